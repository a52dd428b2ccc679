//! ServiceImport: the fleet-wide view of a Service exported from one or more
//! clusters; the hub creates it, and a member imports it through a
//! MultiClusterService.

use k8s_openapi::api::core::v1::SessionAffinityConfig;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ExportingCluster, ServicePort};

/// A ServiceImport has no spec; its status describes the merged Service.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "ServiceImport",
    namespaced,
    no_spec,
    shortname = "svcimport",
    category = "fleet-networking",
    status = "ServiceImportStatus",
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceImportSpec {}

/// The merged state of an imported Service; also the status of an
/// InternalServiceImport.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceImportStatus {
    /// The virtual IP of a `ClusterSetIP` import.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    pub ips: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<ServiceImportType>,
    /// `ClientIP` or `None` (the default); ignored for `Headless` imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_config: Option<SessionAffinityConfig>,
    /// The ports every exporting cluster agrees on, replaced as a whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub ports: Vec<ServicePort>,
    /// The clusters the Service is exported from, one entry per cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["cluster"]))]
    pub clusters: Vec<ExportingCluster>,
}

/// How an imported Service is reached.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ServiceImportType {
    /// Through the import's virtual IP.
    ClusterSetIP,
    /// Pod by pod, without a virtual IP.
    Headless,
}
