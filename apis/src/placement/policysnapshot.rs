//! ClusterSchedulingPolicySnapshot and SchedulingPolicySnapshot: an immutable
//! copy of a placement's policy, where the scheduler records its decisions.
//!
//! Naming: `<placement>-<policyIndex>`, the index counting from 0.

use k8s_openapi::{ByteString, apimachinery::pkg::apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PlacementPolicy;

/// The policy of a ClusterResourcePlacement.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterSchedulingPolicySnapshot",
    shortname = "csps",
    category = "fleet",
    category = "fleet-placement",
    status = "SchedulingPolicySnapshotStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
// The immutability rule comes with the flattened `SchedulingPolicySnapshotSpec`.
#[serde(rename_all = "camelCase")]
pub struct ClusterSchedulingPolicySnapshotSpec {
    #[serde(flatten)]
    pub snapshot: SchedulingPolicySnapshotSpec,
}

shared_spec!(ClusterSchedulingPolicySnapshotSpec, snapshot, SchedulingPolicySnapshotSpec);

/// A placement's policy: the spec of a SchedulingPolicySnapshot (in the
/// ResourcePlacement's namespace) and, flattened, of a ClusterSchedulingPolicySnapshot.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "SchedulingPolicySnapshot",
    namespaced,
    shortname = "sps",
    category = "fleet",
    category = "fleet-placement",
    status = "SchedulingPolicySnapshotStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct SchedulingPolicySnapshotSpec {
    /// Unset means every joined member cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PlacementPolicy>,
    /// SHA-256 of the policy.
    #[schemars(schema_with = "super::manifest::bytes")]
    pub policy_hash: ByteString,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulingPolicySnapshotStatus {
    /// The placement generation the scheduler scheduled.
    #[serde(rename = "observedCRPGeneration")]
    pub observed_crp_generation: i64,
    /// `Scheduled`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Every selected cluster and, space permitting, some unselected ones.
    #[serde(rename = "targetClusters", default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1000))]
    pub cluster_decisions: Vec<ClusterDecision>,
}

/// The scheduler's decision about one cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDecision {
    pub cluster_name: String,
    pub selected: bool,
    #[serde(default)]
    pub cluster_score: Option<ClusterScore>,
    /// Why the cluster was or was not selected.
    pub reason: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterScore {
    /// From preferred cluster affinity; absent if required affinity did not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity_score: Option<i32>,
    /// From topology spread.
    #[serde(rename = "priorityScore", default, skip_serializing_if = "Option::is_none")]
    pub topology_spread_score: Option<i32>,
}
