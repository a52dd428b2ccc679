//! ClusterResourceBinding and ResourceBinding: the scheduler's decision to
//! place a placement's resources on one cluster, which the rollout controller
//! binds to a resource snapshot and the work generator turns into Works.
//!
//! Naming: `<placement>-<cluster>-<8 random characters>`; the label
//! `labels::PLACEMENT_TRACKING` names the placement.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApplyStrategy, ClusterDecision, NamespacedName, PlacementReports};

/// Binds a ClusterResourcePlacement to one cluster.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourceBinding",
    shortname = "crb",
    category = "fleet",
    category = "fleet-placement",
    status = "ResourceBindingStatus",
    printcolumn = r#"{"name":"WorkSynchronized","type":"string","jsonPath":".status.conditions[?(@.type==\"WorkSynchronized\")].status"}"#,
    printcolumn = r#"{"name":"ResourcesApplied","type":"string","jsonPath":".status.conditions[?(@.type==\"Applied\")].status"}"#,
    printcolumn = r#"{"name":"ResourceAvailable","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Available\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourceBindingSpec {
    #[serde(flatten)]
    pub binding: ResourceBindingSpec,
}

shared_spec!(ClusterResourceBindingSpec, binding, ResourceBindingSpec);

/// The spec of a ResourceBinding (binds a ResourcePlacement to one cluster, in
/// its namespace) and, flattened, of a ClusterResourceBinding.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourceBinding",
    namespaced,
    shortname = "rb",
    category = "fleet",
    category = "fleet-placement",
    status = "ResourceBindingStatus",
    printcolumn = r#"{"name":"WorkSynchronized","type":"string","jsonPath":".status.conditions[?(@.type==\"WorkSynchronized\")].status"}"#,
    printcolumn = r#"{"name":"ResourcesApplied","type":"string","jsonPath":".status.conditions[?(@.type==\"Applied\")].status"}"#,
    printcolumn = r#"{"name":"ResourceAvailable","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Available\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ResourceBindingSpec {
    pub state: BindingState,
    /// The first resource snapshot of the index group this binding is on.
    pub resource_snapshot_name: String,
    /// ResourceOverrideSnapshots to apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_override_snapshots: Vec<NamespacedName>,
    /// ClusterResourceOverrideSnapshot names to apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_resource_override_snapshots: Vec<String>,
    /// The policy snapshot the scheduler followed.
    pub scheduling_policy_snapshot_name: String,
    pub target_cluster: String,
    /// Why the scheduler picked the cluster.
    pub cluster_decision: ClusterDecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_strategy: Option<ApplyStrategy>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum BindingState {
    /// Picked by the scheduler, not yet bound by the rollout controller.
    Scheduled,
    /// Bound: the work generator places the snapshot on the cluster.
    Bound,
    /// No longer picked; the rollout controller deletes it when allowed. The
    /// state before it is kept in the annotation `kubernetes-fleet.io/previous-binding-state`.
    Unscheduled,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceBindingStatus {
    #[serde(flatten)]
    pub reports: PlacementReports,
    /// `RolloutStarted`, `Overridden`, `WorkSynchronized`, `Applied`, `Available`, `DiffReported`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
