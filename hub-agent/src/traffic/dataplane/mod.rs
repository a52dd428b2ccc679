//! The traffic data plane: per TrafficManagerProfile, a weighted proxy over
//! its backends' endpoints, with active health checks. `pick` and `health`
//! are the pure decisions.

pub mod health;
pub mod pick;
