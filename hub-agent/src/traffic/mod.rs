//! The traffic module's control plane on the hub (fleet-networking's API):
//! ServiceImports from the members' exports (`imports`), and
//! TrafficManagerProfile and TrafficManagerBackend status with the endpoint
//! weights, served by Flotilla's own data plane (`profiles`, `dataplane`).
//! Each controller is a folder: its pure decisions next to a thin loop.

pub mod dataplane;
pub mod imports;
pub mod profiles;
