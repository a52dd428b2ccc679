//! The status of a placement, per placement and per cluster, and the resource
//! identifiers and drift/diff reports that bindings and Works share with it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementStatus {
    /// What the selectors selected; meaningful once `observedResourceIndex` is set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selected_resources: Vec<ResourceIdentifier>,
    /// The resource snapshot index the conditions describe (the latest, unless
    /// the rollout is External and clusters disagree, then empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub observed_resource_index: String,
    /// One entry per picked cluster (PickN and PickFixed may have entries
    /// without a cluster when too few clusters qualify).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_statuses: Vec<PerClusterPlacementStatus>,
    /// `<Kind>Scheduled`, `<Kind>RolloutStarted`, `<Kind>Overridden`,
    /// `<Kind>WorkSynchronized`, `<Kind>Applied`, `<Kind>Available` (or
    /// `<Kind>DiffReported`), with `<Kind>` ClusterResourcePlacement or ResourcePlacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

/// One Kubernetes object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIdentifier {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    /// Empty for a cluster-scoped object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The envelope the object was wrapped in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<EnvelopeIdentifier>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeIdentifier {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, rename = "type")]
    pub type_: EnvelopeType,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
pub enum EnvelopeType {
    /// A ConfigMap annotated `kubernetes-fleet.io/envelope-configmap: "true"` (legacy).
    #[default]
    ConfigMap,
    /// A ClusterResourceEnvelope.
    ClusterResourceEnvelope,
    /// A ResourceEnvelope.
    ResourceEnvelope,
}

/// A namespaced object's name and namespace, both required.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
pub struct NamespacedName {
    pub name: String,
    pub namespace: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PerClusterPlacementStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_name: String,
    /// The resource snapshot index being rolled out to this cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub observed_resource_index: String,
    /// ResourceOverrideSnapshots applied on this cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applicable_resource_overrides: Vec<NamespacedName>,
    /// ClusterResourceOverrideSnapshot names applied on this cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applicable_cluster_resource_overrides: Vec<String>,
    #[serde(flatten)]
    pub reports: PlacementReports,
    /// `Scheduled`, `RolloutStarted`, `Overridden`, `WorkSynchronized`,
    /// `Applied`, `Available` (or `DiffReported`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

// The objects that failed, drifted or differ on one cluster, flattened into both
// the per-cluster placement status and the binding status. A plain comment, not a
// doc comment: schemars would copy a doc comment into both parents' descriptions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementReports {
    /// At most the first 100 objects that failed to apply or are unavailable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub failed_placements: Vec<FailedResourcePlacement>,
    /// At most the first 100 objects that drifted from the hub manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub drifted_placements: Vec<DriftedResourcePlacement>,
    /// At most the first 100 objects that differ from the hub manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub diffed_placements: Vec<DiffedResourcePlacement>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedResourcePlacement {
    #[serde(flatten)]
    pub resource: ResourceIdentifier,
    /// The failed condition.
    pub condition: Condition,
}

/// One field that drifted or differs, as a JSON-patch-like path with both values.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatchDetail {
    pub path: String,
    /// Empty if the path does not exist on the member cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value_in_member: String,
    /// Empty if the path does not exist in the hub manifest.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value_in_hub: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftedResourcePlacement {
    #[serde(flatten)]
    pub resource: ResourceIdentifier,
    pub observation_time: Time,
    /// The member object's generation that has the drift.
    pub target_cluster_observed_generation: i64,
    pub first_drifted_observed_time: Time,
    /// Possibly truncated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_drifts: Vec<PatchDetail>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiffedResourcePlacement {
    #[serde(flatten)]
    pub resource: ResourceIdentifier,
    pub observation_time: Time,
    /// The member object's generation; null if it does not exist yet.
    #[serde(default)]
    pub target_cluster_observed_generation: Option<i64>,
    pub first_diffed_observed_time: Time,
    /// Possibly truncated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_diffs: Vec<PatchDetail>,
}
