//! The member agent: joins the fleet (heartbeats, properties) and applies its
//! Works, as controllers over pure decision functions. `main.rs` only wires them.

pub mod apply;
pub mod export;
pub mod join;
pub mod metrics;
pub mod resource_export;
