//! The scheduler: pure functions from (policy, member clusters, existing
//! bindings) to decisions, one file per plugin as KubeFleet's framework has
//! them. Controllers read the clusters, call these, and write the result.
//!
//! Today: the filters whose semantics stand alone — required cluster affinity
//! (label and property selectors), taints and tolerations, eligibility. The
//! framework (PickAll, PickN, PickFixed, scoring, topology spread) arrives
//! with the rest of the placement issue.

pub mod label_selector;
pub mod plugins;
