use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ClusterStatus, membercluster::default_heartbeat_period_seconds};

/// The hub's instruction to one member agent (join or leave), and where that
/// agent reports; lives in the member's reserved namespace `fleet-member-<name>`.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cluster.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "InternalMemberCluster",
    namespaced,
    shortname = "imc",
    category = "fleet",
    category = "fleet-cluster",
    status = "InternalMemberClusterStatus",
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct InternalMemberClusterSpec {
    pub state: ClusterState,
    #[serde(default = "default_heartbeat_period_seconds")]
    #[schemars(range(min = 1, max = 600))]
    pub heartbeat_period_seconds: i32,
}

pub type InternalMemberClusterStatus = ClusterStatus;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ClusterState {
    Join,
    Leave,
}
