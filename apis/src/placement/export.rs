//! ResourceExport (Flotilla's, v1alpha1): the hub asks a member, in the
//! member's own hub namespace, for the live objects of some of its
//! namespaces; the member agent answers in the status with its own
//! credentials. The reverse of a Work: nothing crosses members, and the hub
//! never dials a member. Adoption uses it to read what runs and to hand it
//! back (`release`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AdoptedNamespaces, AdoptionResourceSelector, PodFact};

#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1alpha1",
    kind = "ResourceExport",
    namespaced,
    shortname = "rexport",
    category = "fleet",
    category = "fleet-placement",
    status = "ResourceExportStatus",
    printcolumn = r#"{"name":"Exported","type":"string","jsonPath":".status.conditions[?(@.type==\"Exported\")].status"}"#,
    printcolumn = r#"{"name":"Objects","type":"integer","jsonPath":".status.objectCount"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ResourceExportSpec {
    pub namespaces: AdoptedNamespaces,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_selectors: Vec<AdoptionResourceSelector>,
    /// Resources not read at all, as `resource[.group]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_resources: Vec<String>,
    /// Bumped by the hub to ask for a fresh read (the Pods, to verify).
    #[serde(default)]
    pub round: i64,
    /// Let go of the objects this export names in `release.objects`: the
    /// member removes the fleet's owner references, labels and annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseRequest>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRequest {
    pub objects: Vec<ObjectReference>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    #[serde(default)]
    pub group: String,
    pub version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceExportStatus {
    /// The spec generation this status answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Exported`, and `Released` once asked to release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// The namespaces asked for and whether each exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<ExportedNamespace>,
    #[serde(default)]
    pub object_count: i32,
    /// Every object found in them (but the resources not read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ExportedObject>,
    /// Resources the member could not read (forbidden, failing), each as
    /// `resource[.group]: why`: an adoption cannot take the namespaces then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Every Pod in them, as adoption verifies them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<ExportedPod>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedNamespace {
    pub name: String,
    pub found: bool,
    /// The Namespace object itself, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::embedded_resource")]
    pub object: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedObject {
    #[serde(flatten)]
    pub reference: ObjectReference,
    /// `Kind/name` of its controller, for an object a controller owns
    /// (exported by name only: its controller makes it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub controlled_by: String,
    /// Why the member keeps the object to itself by rule (a
    /// service-account token); the hub leaves such objects alone.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub withheld: String,
    /// The live object, without managedFields; absent for controlled,
    /// withheld and refused objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::embedded_resource")]
    pub object: Option<serde_json::Value>,
    /// Why the member refused to export the object (too large): an
    /// adoption cannot take the namespace without it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedPod {
    pub namespace: String,
    /// `Kind/name` of its controller.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub controlled_by: String,
    #[serde(flatten)]
    pub pod: PodFact,
}
