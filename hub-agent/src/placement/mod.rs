//! Placement: ClusterResourcePlacement and ResourcePlacement → resource and
//! policy snapshots → scheduler → bindings → rollout → Works. The decisions
//! are pure functions in the submodules; `controller` reads, calls them, and
//! writes.

pub mod admission;
pub mod controller;
pub mod events;
pub mod family;
pub mod removal;
pub mod rollout;
pub mod selection;
pub mod snapshot;
pub mod status;
pub mod works;
