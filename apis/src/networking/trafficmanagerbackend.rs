//! TrafficManagerBackend: attaches the clusters behind a ServiceImport to a
//! TrafficManagerProfile as weighted endpoints.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "TrafficManagerBackend",
    namespaced,
    shortname = "tmb",
    category = "fleet-networking",
    status = "TrafficManagerBackendStatus",
    printcolumn = r#"{"name":"Profile","type":"string","jsonPath":".spec.profile.name"}"#,
    printcolumn = r#"{"name":"Backend","type":"string","jsonPath":".spec.backend.name"}"#,
    printcolumn = r#"{"name":"Is-Accepted","type":"string","jsonPath":".status.conditions[?(@.type=='Accepted')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerBackendSpec {
    /// The TrafficManagerProfile (same namespace) to attach to.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.profile is immutable"))]
    pub profile: TrafficManagerProfileRef,
    /// The ServiceImport (same namespace) whose clusters become endpoints.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.backend is immutable"))]
    pub backend: TrafficManagerBackendRef,
    /// The total weight of this backend's endpoints, 0..=1000, split across
    /// the exporting clusters by their export weights (each endpoint gets the
    /// ceiling of its share, so at least 1). 0 removes every endpoint.
    #[serde(default = "default_weight")]
    #[schemars(range(min = 0, max = 1000))]
    pub weight: i64,
}

fn default_weight() -> i64 {
    1
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerProfileRef {
    pub name: String,
}

/// Only ServiceImport backends are supported.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerBackendRef {
    /// The ServiceImport's name.
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerBackendStatus {
    /// The endpoints accepted into the profile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<TrafficManagerEndpointStatus>,
    /// `Accepted`: whether the endpoints were configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

/// One endpoint of the profile, for one exporting cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerEndpointStatus {
    pub name: String,
    /// The ID of the backing resource (an Azure resource ID in fleet-networking).
    #[serde(rename = "resourceID", default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The endpoint's computed weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// The endpoint's DNS name or IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The cluster the endpoint is exported from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromCluster>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FromCluster {
    /// The exporting member cluster's name.
    pub cluster: String,
    /// The ServiceExport's weight annotation in that cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}
