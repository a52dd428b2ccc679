//! ClusterResourcePlacementEviction and ClusterResourcePlacementDisruptionBudget
//! (KubeFleet's rollout controls): `budget` is the arithmetic, `decide` the
//! eviction's verdict, both pure; `controller` carries it out.

pub mod budget;
pub mod controller;
pub mod decide;
