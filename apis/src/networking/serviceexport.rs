//! ServiceExport: a member cluster's declaration that a Service of the same
//! name and namespace is exported to the fleet.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A ServiceExport has no spec: it names the Service by its own name and
/// namespace. The per-cluster traffic weight comes from the annotation
/// [`crate::labels::SERVICE_EXPORT_WEIGHT`] (an integer in 0..=1000, default 1;
/// 0 withdraws the export without deleting it).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "ServiceExport",
    namespaced,
    no_spec,
    shortname = "svcexport",
    category = "fleet-networking",
    status = "ServiceExportStatus",
    printcolumn = r#"{"name":"Is-Valid","type":"string","jsonPath":".status.conditions[?(@.type=='Valid')].status"}"#,
    printcolumn = r#"{"name":"Is-Conflicted","type":"string","jsonPath":".status.conditions[?(@.type=='Conflict')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[serde(rename_all = "camelCase")]
pub struct ServiceExportSpec {}

/// Written by the member agent: `Valid` (the Service exists and can be
/// exported) and `Conflict` (its ports differ from the fleet-wide import).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceExportStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
