//! The hub agent: membership, placement (snapshots → scheduler → bindings →
//! rollout → Works), overrides and traffic, as controllers over pure
//! decision functions. `main.rs` only wires them.

pub mod adoption;
pub mod eviction;
pub mod history;
pub mod membership;
pub mod metrics;
pub mod migration;
pub mod overrides;
pub mod placement;
pub mod resources;
pub mod scheduler;
pub mod stagedupdate;
pub mod traffic;
pub mod webhook;
