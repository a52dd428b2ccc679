//! Placement: ClusterResourcePlacement and ResourcePlacement → resource and
//! policy snapshots → scheduler → bindings → rollout → Works. Pure pieces
//! first; the controllers arrive with the rest of the placement issue.

pub mod rollout;
pub mod selection;
pub mod snapshot;
