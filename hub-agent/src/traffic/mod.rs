//! The traffic module's control plane on the hub (fleet-networking's API):
//! ServiceImports from the members' exports, and TrafficManagerProfile and
//! TrafficManagerBackend status with the endpoint weights. Pure decisions
//! first.

pub mod backend;
pub mod dataplane;
pub mod import;
pub mod imports;
pub mod profiles;
pub mod weights;
