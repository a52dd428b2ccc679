//! The traffic data plane: per TrafficManagerProfile, a weighted proxy over
//! its backends' endpoints, with active health checks. `pick` and `health`
//! are the pure decisions, `headers` what a hop may forward; `routes` the
//! swappable table; `proxy` the HTTP and TCP proxies.

pub mod checks;
pub mod dns;
pub mod headers;
pub mod health;
pub mod pick;
pub mod plane;
pub mod proxy;
pub mod recording;
pub mod routes;
