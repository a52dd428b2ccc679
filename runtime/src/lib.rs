//! What both agents share: connecting to an API server, tracing, the admin
//! server that answers `/healthz`, `/readyz` and `/metrics`, the reconcile
//! metrics, and the supervisor every long-running task runs under.

pub mod admin;
pub mod api;
pub mod client;
pub mod field_manager;
pub mod finalizer;
pub mod metrics;
pub mod supervise;
pub mod telemetry;

pub use admin::{AdminServer, Readiness};
pub use metrics::Reconciles;
pub use supervise::Supervisor;
