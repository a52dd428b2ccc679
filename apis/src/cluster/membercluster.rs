use k8s_openapi::api::rbac::v1::Subject;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ClusterStatus;

/// A cluster in the fleet, as the platform admin declares it on the hub.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "cluster.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "MemberCluster",
    shortname = "cluster",
    category = "fleet",
    category = "fleet-cluster",
    status = "MemberClusterStatus",
    printcolumn = r#"{"name":"Joined","type":"string","jsonPath":".status.conditions[?(@.type==\"Joined\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Member-Agent-Last-Seen","type":"date","jsonPath":".status.agentStatus[?(@.type==\"MemberAgent\")].lastReceivedHeartbeat"}"#,
    printcolumn = r#"{"name":"Node-Count","type":"string","jsonPath":".status.properties.kubernetes-fleet\\.io/node-count.value"}"#,
    printcolumn = r#"{"name":"Available-CPU","type":"string","jsonPath":".status.resourceUsage.available.cpu"}"#,
    printcolumn = r#"{"name":"Available-Memory","type":"string","jsonPath":".status.resourceUsage.available.memory"}"#,
    printcolumn = r#"{"name":"Allocatable-CPU","type":"string","priority":1,"jsonPath":".status.resourceUsage.allocatable.cpu"}"#,
    printcolumn = r#"{"name":"Allocatable-Memory","type":"string","priority":1,"jsonPath":".status.resourceUsage.allocatable.memory"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[serde(rename_all = "camelCase")]
pub struct MemberClusterSpec {
    /// The identity the member agent uses on the hub; the hub grants it access
    /// to the member's reserved namespace only.
    pub identity: Subject,
    #[serde(default = "default_heartbeat_period_seconds")]
    #[schemars(range(min = 1, max = 600))]
    pub heartbeat_period_seconds: i32,
    /// Taints keep placements off this cluster unless they tolerate them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(validation = Rule::new("self.all(t, self.exists_one(u, u == t))").message("taints must be unique"))]
    pub taints: Vec<Taint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_options: Option<DeleteOptions>,
}

impl MemberClusterSpec {
    /// A member whose agent authenticates as the x509 or token user `user`.
    pub fn for_user(user: &str, heartbeat_period_seconds: i32) -> Self {
        Self {
            identity: Subject {
                kind: "User".into(),
                name: user.into(),
                api_group: Some("rbac.authorization.k8s.io".into()),
                namespace: None,
            },
            heartbeat_period_seconds,
            taints: vec![],
            delete_options: None,
        }
    }
}

pub(crate) fn default_heartbeat_period_seconds() -> i32 {
    60
}

pub type MemberClusterStatus = ClusterStatus;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Taint {
    /// A qualified name, as a label key.
    #[schemars(
        length(min = 1, max = 317),
        regex(
            pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
        )
    )]
    pub key: String,
    /// A label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63), regex(pattern = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"))]
    pub value: Option<String>,
    pub effect: TaintEffect,
}

/// Only NoSchedule: a taint keeps new placements away and never evicts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteOptions {
    #[serde(default)]
    pub validation_mode: DeleteValidationMode,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeleteValidationMode {
    #[default]
    Strict,
    Skip,
}
