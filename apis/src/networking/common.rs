//! Types shared by several `networking.fleet.azure.com` kinds: service ports,
//! references to exported objects and the clusters behind an import.

use k8s_openapi::apimachinery::pkg::{apis::meta::v1::Time, util::intstr::IntOrString};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A port an exported or imported Service exposes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    /// The port's name within the Service (a DNS label); optional when the
    /// Service has a single port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub protocol: PortProtocol,
    /// The application protocol, in Kubernetes label syntax (e.g. `http`,
    /// `kubernetes.io/h2c` or `example.com/custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// The port on the selected pods, by number or by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
}

/// The IP protocol of a [`ServicePort`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum PortProtocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl PortProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "TCP",
            PortProtocol::Udp => "UDP",
            PortProtocol::Sctp => "SCTP",
        }
    }
}

/// Identifies the object an exported or imported object came from (a Service
/// in a member cluster, or a ServiceImport on the hub). Replaced as a whole.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-map-type" = "atomic"))]
pub struct ExportedObjectReference {
    /// The member cluster the object lives in.
    pub cluster_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub resource_version: String,
    pub generation: i64,
    pub uid: String,
    /// `<namespace>/<name>`.
    pub namespaced_name: String,
    /// When this generation of the object was exported, by the exporting
    /// cluster's clock. Optional for compatibility with older exporters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_since: Option<Time>,
}

/// One cluster an imported Service is exported from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportingCluster {
    /// The exporting member cluster's name (an RFC 1123 DNS label).
    pub cluster: String,
}
