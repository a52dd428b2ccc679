//! Adoption (ClusterResourceAdoption, and Kosmos's PromotePolicy through
//! it): a member's running objects become hub templates placed back on that
//! cluster, with no Pod restarted, and can be handed back. Pure:
//! `exclude` (what is never adopted), `template` (a live object as a hub
//! template), `plan` (every object's fate and the templates), `verify`
//! (whether the workloads stayed undisturbed), `kosmos` (PromotePolicy ↔
//! adoption), `names` (names that fit). I/O: `controller` (an adoption's
//! phases), `promote` (PromotePolicies).

pub mod controller;
pub mod exclude;
pub mod kosmos;
pub mod names;
pub mod plan;
pub mod promote;
pub mod template;
pub mod verify;
