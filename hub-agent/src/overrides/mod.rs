//! ClusterResourceOverride and ResourceOverride: per-cluster variations of
//! placed objects. `engine` decides what an object becomes on a cluster.

pub mod admission;
pub mod applicable;
pub mod controller;
pub mod engine;
#[cfg(test)]
mod fixtures;
pub mod resolved;
pub mod snapshots;
