//! Applying Works to the member cluster. The decisions are pure and
//! unit-tested (decoding, waves, ownership, what to send, drift and diff,
//! availability, status, inventory, backoff); `pass` makes the calls for one
//! Work and `controller` runs passes as a controller over this member's Works.

pub mod availability;
pub mod backoff;
pub mod controller;
pub mod decode;
pub mod desired;
pub mod diff;
pub mod inventory;
pub mod kinds;
pub mod ownership;
pub mod pass;
pub mod status;
pub mod waves;

pub use controller::{Applier, run};

/// The field manager of what the applier writes on the member (KubeFleet's).
pub const FIELD_MANAGER: &str = flotilla_runtime::field_manager::MEMBER_APPLY;
