//! TrafficManagerProfiles and TrafficManagerBackends: each backend's
//! endpoints and Accepted condition (`backend`, with the weights split by
//! `weights`), the routes the data plane serves, and each profile's
//! Programmed condition (`status`). `controller` watches the inputs, hands
//! the routes to the data plane and writes the statuses that differ.

pub mod backend;
pub mod controller;
pub mod status;
pub mod weights;

pub use controller::TrafficArgs;
