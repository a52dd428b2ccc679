//! ClusterResourceEnvelope and ResourceEnvelope: objects wrapped so that the
//! hub stores them without acting on them; they are unwrapped only on member
//! clusters. Both keep their manifests in a top-level `data` map (no `spec`).

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::{Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Wraps cluster-scoped objects.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourceEnvelope",
    no_spec,
    category = "fleet",
    category = "fleet-placement"
)]
pub struct ClusterResourceEnvelopeData {
    /// The wrapped objects by a unique key, typically a file name; 1–50 of them.
    #[schemars(schema_with = "envelope_data")]
    pub data: BTreeMap<String, serde_json::Value>,
}

/// Wraps namespaced objects; they are placed in the envelope's namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourceEnvelope",
    namespaced,
    no_spec,
    category = "fleet",
    category = "fleet-placement"
)]
pub struct ResourceEnvelopeData {
    /// The wrapped objects by a unique key, typically a file name; 1–50 of them.
    #[schemars(schema_with = "envelope_data")]
    pub data: BTreeMap<String, serde_json::Value>,
}

/// A map of 1–50 whole objects, kept as given.
fn envelope_data(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "minProperties": 1,
        "maxProperties": 50,
        "additionalProperties": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        },
    })
}
