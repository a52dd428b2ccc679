//! Work: the manifests the member agent applies on one member cluster, written
//! by the hub into the member's namespace `fleet-member-<cluster>`, and the
//! per-manifest results the member agent reports back.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApplyStrategy, Manifest, PatchDetail, ReportBackStrategy};

/// What to apply on the member cluster and how.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "Work",
    namespaced,
    category = "fleet",
    category = "fleet-placement",
    status = "WorkStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct WorkSpec {
    #[serde(default)]
    pub workload: WorkloadTemplate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_strategy: Option<ApplyStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_back_strategy: Option<ReportBackStrategy>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadTemplate {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<Manifest>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkStatus {
    /// `Applied`, `Available`, `DiffReported`, `StatusTrimmed`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// One entry per manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifest_conditions: Vec<ManifestCondition>,
}

/// Identifies a manifest of a Work and the object it became.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkResourceIdentifier {
    /// The manifest's index in `spec.workload.manifests`, so a manifest that
    /// could not be decoded can still be reported.
    pub ordinal: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The resource (plural) name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// Empty for a cluster-scoped object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestCondition {
    pub identifier: WorkResourceIdentifier,
    /// `Applied`, `Available`, `DiffReported`, with the per-manifest reasons.
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Set only while the object is owned by fleet and applied (never with `diffDetails`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_details: Option<DriftDetails>,
    /// Set only for objects not owned by fleet or under ReportDiff (never with `driftDetails`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_details: Option<DiffDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_reported_status: Option<BackReportedStatus>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftDetails {
    pub observation_time: Time,
    pub observed_in_member_cluster_generation: i64,
    pub first_drifted_observed_time: Time,
    /// Possibly truncated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_drifts: Vec<PatchDetail>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiffDetails {
    pub observation_time: Time,
    /// Null if the object does not exist on the member cluster yet.
    #[serde(default)]
    pub observed_in_member_cluster_generation: Option<i64>,
    pub first_diffed_observed_time: Time,
    /// Possibly truncated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed_diffs: Vec<PatchDetail>,
}

/// The placed object's status, copied verbatim from the member cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackReportedStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_status: Option<Manifest>,
    pub observation_time: Time,
}
