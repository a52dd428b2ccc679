//! Data carried verbatim inside another object: whole Kubernetes objects and hashes.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// A whole Kubernetes object kept as raw JSON: KubeFleet's embedded
/// `runtime.RawExtension` (a Work manifest, a resource snapshot's
/// `ResourceContent`, a back-reported status). The schema checks only its
/// apiVersion, kind and metadata and keeps every other field.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(transparent)]
pub struct Manifest(pub serde_json::Value);

impl JsonSchema for Manifest {
    fn schema_name() -> Cow<'static, str> {
        "Manifest".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        crate::schema::embedded_resource(g)
    }
}

impl From<serde_json::Value> for Manifest {
    fn from(v: serde_json::Value) -> Self {
        Self(v)
    }
}

impl Manifest {
    /// The object's `apiVersion`, if it is a string.
    pub fn api_version(&self) -> Option<&str> {
        self.0.get("apiVersion")?.as_str()
    }

    /// The object's `kind`, if it is a string.
    pub fn kind(&self) -> Option<&str> {
        self.0.get("kind")?.as_str()
    }
}

/// Schema of a `[]byte` field (a `k8s_openapi::ByteString`): base64 in a string.
pub(crate) fn bytes(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "format": "byte" })
}
