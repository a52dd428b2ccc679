//! InternalServiceExport: the copy of an exported Service's spec that a member
//! agent uploads to its reserved namespace on the hub.

use k8s_openapi::{api::core::v1::LoadBalancerIngress, apimachinery::pkg::apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ExportedObjectReference, ServicePort};

/// What the hub needs to know about one cluster's exported Service.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "InternalServiceExport",
    namespaced,
    shortname = "internalsvcexport",
    category = "fleet-networking",
    status = "InternalServiceExportStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct InternalServiceExportSpec {
    /// The Service's ports, replaced as a whole.
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub ports: Vec<ServicePort>,
    /// The exported Service.
    pub service_reference: ExportedObjectReference,
    /// The Service's type (`ClusterIP`, `LoadBalancer`, ...).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the Service's public IP has a DNS label
    /// (annotation `service.beta.kubernetes.io/azure-dns-label-name`).
    #[serde(rename = "isDNSLabelConfigured", default, skip_serializing_if = "std::ops::Not::not")]
    pub is_dns_label_configured: bool,
    /// Whether the Service's load balancer is internal
    /// (annotation `service.beta.kubernetes.io/azure-load-balancer-internal`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_internal_load_balancer: bool,
    /// The Azure resource ID of the Service's public IP (LoadBalancer Services only).
    #[serde(rename = "publicIPResourceID", default, skip_serializing_if = "Option::is_none")]
    pub public_ip_resource_id: Option<String>,
    /// The ServiceExport's weight annotation, 0..=1000; unset means 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Flotilla addition (not in fleet-networking): the Service's
    /// `status.loadBalancer.ingress`, so the hub can route to the cluster
    /// without an Azure public IP. Older exporters leave it empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_ingress: Vec<LoadBalancerIngress>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InternalServiceExportStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
