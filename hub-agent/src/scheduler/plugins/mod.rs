//! Scheduler plugins, one per file, named as KubeFleet's.

pub mod cluster_affinity;
pub mod cluster_eligibility;
pub mod taint_toleration;
pub mod topology_spread;
