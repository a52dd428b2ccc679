//! Staged update runs (KubeFleet's): `plan` initializes a run's stages from
//! its strategy and the placement's bindings, `progress` moves a running one
//! on a step, both pure; `controller` reads and writes.

pub mod controller;
pub mod family;
pub mod plan;
pub mod progress;
pub mod replan;
