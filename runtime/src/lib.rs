//! What both agents share: connecting to an API server, tracing, and the admin
//! server that answers `/healthz`, `/readyz` and `/metrics`.

pub mod admin;
pub mod api;
pub mod client;
pub mod field_manager;
pub mod finalizer;
pub mod telemetry;

pub use admin::{AdminServer, Readiness};
