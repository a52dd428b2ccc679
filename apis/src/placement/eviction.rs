//! ClusterResourcePlacementEviction: a one-shot request to remove a
//! ClusterResourcePlacement's resources from one cluster, subject to the
//! placement's disruption budget. Not allowed for PickFixed placements. An
//! eviction runs at most once; to retry, re-create it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which placement to evict from which cluster; immutable.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourcePlacementEviction",
    shortname = "crpe",
    category = "fleet",
    category = "fleet-placement",
    status = "PlacementEvictionStatus",
    printcolumn = r#"{"name":"Valid","type":"string","jsonPath":".status.conditions[?(@.type==\"Valid\")].status"}"#,
    printcolumn = r#"{"name":"Executed","type":"string","jsonPath":".status.conditions[?(@.type==\"Executed\")].status"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct PlacementEvictionSpec {
    /// The ClusterResourcePlacement to evict from.
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("The PlacementName field is immutable"))]
    pub placement_name: String,
    /// The cluster to evict the placement from.
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("The ClusterName field is immutable"))]
    pub cluster_name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementEvictionStatus {
    /// `Valid` and `Executed`; both are final once set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
