//! Finalizer names, each defined once.

/// Held by the hub on a MemberCluster until its reserved namespace and RBAC are gone.
pub const MEMBER_CLUSTER: &str = "kubernetes-fleet.io/membercluster-finalizer";

mod networking;
mod placement;
pub use networking::*;
pub use placement::*;
