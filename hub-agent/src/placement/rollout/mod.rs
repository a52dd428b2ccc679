//! The rolling update: which bindings may change now without taking more
//! clusters out of service than `maxUnavailable` allows or running more than
//! `maxSurge` extra. Pure; the rollout controller applies the result.

pub mod readiness;
pub mod strategy;
