//! ClusterResourceSnapshot and ResourceSnapshot: an immutable copy of what a
//! placement selected, one resource index per change.
//!
//! Naming: `<placement>-<index>-snapshot` for the first snapshot of an index
//! group and `<placement>-<index>-<subindex>` for the others (a group is split
//! to stay under the object size limit). Labels and annotations: see
//! `labels::RESOURCE_INDEX` and its neighbours.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Manifest;

/// The resources a ClusterResourcePlacement selected.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourceSnapshot",
    shortname = "crs",
    category = "fleet",
    category = "fleet-placement",
    status = "ResourceSnapshotStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
// The immutability rule comes with the flattened `ResourceSnapshotSpec`.
#[serde(rename_all = "camelCase")]
pub struct ClusterResourceSnapshotSpec {
    #[serde(flatten)]
    pub snapshot: ResourceSnapshotSpec,
}

shared_spec!(ClusterResourceSnapshotSpec, snapshot, ResourceSnapshotSpec);

/// The resources a placement selected: the spec of a ResourceSnapshot (in the
/// ResourcePlacement's namespace) and, flattened, of a ClusterResourceSnapshot.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourceSnapshot",
    namespaced,
    shortname = "rs",
    category = "fleet",
    category = "fleet-placement",
    status = "ResourceSnapshotStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ResourceSnapshotSpec {
    /// The selected objects, sanitised (no status, uid, resourceVersion, …).
    pub selected_resources: Vec<Manifest>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSnapshotStatus {
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
