//! Helpers shared by the integration tests (`mod common;` in each test file).
//! Not every test binary uses every helper.
#![allow(dead_code)]

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parses a YAML sample as `K`.
pub fn parse<K: DeserializeOwned>(yaml: &str) -> K {
    serde_saphyr::from_str(yaml).expect("sample parses")
}

/// Parses a YAML sample as untyped JSON.
pub fn raw(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).expect("sample parses")
}

/// Serializes `obj`, parses it back and checks nothing changed (the root
/// types have no `PartialEq`, so their serialized forms are compared).
pub fn round_trip<K: serde::Serialize + DeserializeOwned>(obj: &K) -> Value {
    let v = serde_json::to_value(obj).unwrap();
    let back: K = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), v);
    v
}

/// The CRD of `kind`, from every CRD Flotilla defines.
pub fn crd(kind: &str) -> CustomResourceDefinition {
    apis::crd::all().into_iter().find(|c| c.spec.names.kind == kind).unwrap_or_else(|| panic!("no CRD for {kind}"))
}

/// The OpenAPI schema of the storage version of `kind`.
pub fn schema(kind: &str) -> Value {
    let crd = crd(kind);
    let v = crd.spec.versions.iter().find(|v| v.storage).unwrap();
    serde_json::to_value(v.schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap()).unwrap()
}

/// The schema at a dotted path of property names below the root (`[]` for items).
pub fn at<'a>(schema: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(schema, |s, p| {
        let s = if p == "[]" { &s["items"] } else { &s["properties"][p] };
        assert!(!s.is_null(), "no schema at {path} (stuck at {p})");
        s
    })
}

/// The (rule, message or messageExpression) pairs at a schema node.
pub fn rules(schema: &Value) -> Vec<(String, String)> {
    schema["x-kubernetes-validations"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    let msg = r["message"].as_str().or(r["messageExpression"].as_str()).unwrap_or("");
                    (r["rule"].as_str().unwrap().to_string(), msg.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The (name, type, JSONPath, priority) printer columns of the storage version of `kind`.
pub fn columns(kind: &str) -> Vec<(String, String, String, i32)> {
    crd(kind)
        .spec
        .versions
        .into_iter()
        .find(|v| v.storage)
        .unwrap()
        .additional_printer_columns
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.name, c.type_, c.json_path, c.priority.unwrap_or(0)))
        .collect()
}

/// Owned printer-column rows, to compare with [`columns`].
pub fn cols(cs: &[(&str, &str, &str, i32)]) -> Vec<(String, String, String, i32)> {
    cs.iter().map(|(a, b, c, p)| (a.to_string(), b.to_string(), c.to_string(), *p)).collect()
}

/// Calls `visit` with every object node of a schema and its dotted path.
pub fn walk_schema(path: &str, v: &Value, visit: &mut impl FnMut(&str, &serde_json::Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            visit(path, m);
            for (k, child) in m {
                walk_schema(&format!("{path}.{k}"), child, visit);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| walk_schema(path, c, visit)),
        _ => {}
    }
}

/// The API server accepts only structural schemas: no composition keywords or references.
pub fn assert_structural(kind: &str, schema: &Value) {
    walk_schema(kind, schema, &mut |path, m| {
        for k in ["allOf", "anyOf", "oneOf", "not", "$ref", "definitions", "$defs"] {
            assert!(!m.contains_key(k), "{path} has {k}");
        }
    });
}
