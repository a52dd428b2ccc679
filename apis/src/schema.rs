//! Schema helpers for fields that the derive cannot express on its own.

use schemars::{Schema, SchemaGenerator, json_schema};

/// A whole Kubernetes object kept as raw JSON (KubeFleet's `runtime.RawExtension`):
/// any fields, with apiVersion/kind/metadata validated as an embedded resource.
pub fn embedded_resource(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Arbitrary JSON (a JSON-patch value): any type, kept as given.
pub fn any_json(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// `[]metav1.Condition` as KubeFleet declares it: a list map keyed by `type`,
/// so server-side apply merges conditions one type at a time.
pub fn conditions(g: &mut SchemaGenerator) -> Schema {
    list_map_by_type::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>(g)
}

/// A list of `T` keyed by its `type` field: under server-side apply each
/// writer owns only its own entries (e.g. each agent its `agentStatus` entry).
pub fn list_map_by_type<T: schemars::JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    let mut s = g.subschema_for::<Vec<T>>();
    s.insert("x-kubernetes-list-type".into(), "map".into());
    s.insert("x-kubernetes-list-map-keys".into(), serde_json::json!(["type"]));
    s
}
