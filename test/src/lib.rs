//! The local fleet: a hub and N member Kubernetes control planes started from
//! real upstream binaries (etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler and kwok), for integration tests, end-to-end tests,
//! benchmarks and `make fleet-up`.
//!
//! Every child process dies with the process that started it (PR_SET_PDEATHSIG),
//! is stopped when its [`ControlPlane`] is dropped, and the shared test fleet is
//! stopped at exit, so nothing outlives a test binary, even after a panic.

pub mod agents;
pub mod apply;
pub mod assets;
pub mod bench;
pub mod control_plane;
pub mod crpm;
pub mod fleet;
pub mod kubeconfig;
pub mod kwok;
pub mod load;
pub mod loadbalancer;
pub mod migration;
pub mod pki;
pub mod pods;
pub mod ports;
pub mod probe;
pub mod process;
pub mod shared;
pub mod simulated;
pub mod wait;

pub use control_plane::{ControlPlane, Role};
pub use fleet::{Fleet, FleetOptions};
