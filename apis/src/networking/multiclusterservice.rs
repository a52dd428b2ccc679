//! MultiClusterService: a member-cluster load balancer in front of an imported
//! Service's endpoints in every exporting cluster.

use k8s_openapi::{api::core::v1::LoadBalancerStatus, apimachinery::pkg::apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Annotate with [`crate::labels::MULTI_CLUSTER_SERVICE_AZURE_LOAD_BALANCER_INTERNAL`]
/// to make the derived load balancer internal.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "MultiClusterService",
    namespaced,
    shortname = "mcs",
    category = "fleet-networking",
    status = "MultiClusterServiceStatus",
    printcolumn = r#"{"name":"Service-Import","type":"string","jsonPath":".spec.serviceImport.name"}"#,
    printcolumn = r#"{"name":"External-IP","type":"string","jsonPath":".status.loadBalancer.ingress[0].ip"}"#,
    printcolumn = r#"{"name":"Is-Valid","type":"string","jsonPath":".status.conditions[?(@.type=='Valid')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[serde(rename_all = "camelCase")]
pub struct MultiClusterServiceSpec {
    /// The ServiceImport (same name as the exported Service) to load-balance.
    pub service_import: ServiceImportRef,
}

/// A ServiceImport in the MultiClusterService's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceImportRef {
    /// A DNS-1035 label: lower-case alphanumerics and '-', starting with a letter.
    #[schemars(length(max = 63), regex(pattern = r"^([a-z]([-a-z0-9]*[a-z0-9])?)$"))]
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MultiClusterServiceStatus {
    /// The derived load balancer's status, as on a Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerStatus>,
    /// `Valid`: whether the referenced ServiceImport was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
