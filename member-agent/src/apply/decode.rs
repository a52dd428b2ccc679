//! A Work's manifests as objects to apply, each with its identifier, or the
//! reason it cannot be applied: not an object, no kind, a generateName (each
//! apply would make another object), or a duplicate of an earlier manifest.
//! One bad manifest never stops the others. Pure.

use std::collections::BTreeSet;

use apis::{
    conditions::placement as p,
    placement::{Manifest, WorkResourceIdentifier},
};
use serde_json::Value;

/// Why a manifest is not applied, as its Applied condition says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub reason: &'static str,
    pub message: String,
}

/// One manifest, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// Ordinal, group, version, kind, namespace and name (the resource is
    /// filled in once discovery has resolved the kind).
    pub identifier: WorkResourceIdentifier,
    pub object: Result<Value, Refused>,
}

fn refuse(reason: &'static str, message: impl Into<String>) -> Result<Value, Refused> {
    Err(Refused { reason, message: message.into() })
}

pub fn decode(manifests: &[Manifest]) -> Vec<Decoded> {
    let mut seen = BTreeSet::new();
    manifests
        .iter()
        .enumerate()
        .map(|(ordinal, m)| {
            let v = &m.0;
            let api_version = v["apiVersion"].as_str().unwrap_or_default();
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let meta = &v["metadata"];
            let identifier = WorkResourceIdentifier {
                ordinal: ordinal as i32,
                group: group.to_string(),
                version: version.to_string(),
                kind: v["kind"].as_str().unwrap_or_default().to_string(),
                resource: String::new(),
                namespace: meta["namespace"].as_str().unwrap_or_default().to_string(),
                name: meta["name"].as_str().unwrap_or_default().to_string(),
            };
            let object = if !v.is_object() {
                refuse(p::REASON_DECODING_ERRED, "the manifest is not a JSON object")
            } else if api_version.is_empty() || identifier.kind.is_empty() {
                refuse(p::REASON_DECODING_ERRED, "the manifest has no apiVersion or kind")
            } else if identifier.name.is_empty() && meta["generateName"].is_string() {
                refuse(
                    p::REASON_FOUND_GENERATE_NAME,
                    "the manifest uses generateName: every apply would create another object; give it a name",
                )
            } else if identifier.name.is_empty() {
                refuse(p::REASON_DECODING_ERRED, "the manifest has no metadata.name")
            } else if !seen.insert((
                identifier.group.clone(),
                identifier.kind.clone(),
                identifier.namespace.clone(),
                identifier.name.clone(),
            )) {
                refuse(
                    p::REASON_DUPLICATED,
                    format!(
                        "{} {} is already in this Work at an earlier position; only the first is applied",
                        identifier.kind, identifier.name
                    ),
                )
            } else {
                Ok(v.clone())
            };
            Decoded { identifier, object }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn m(v: Value) -> Manifest {
        Manifest(v)
    }

    #[test]
    fn each_manifest_is_judged_on_its_own() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "app"}});
        let decoded = decode(&[
            m(cm.clone()),
            m(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generateName": "web-"}})),
            m(cm.clone()),
            m(json!("not an object")),
            m(json!({"kind": "Service", "metadata": {"name": "s"}})),
            m(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"}})),
        ]);
        let reasons: Vec<Option<&str>> = decoded.iter().map(|d| d.object.as_ref().err().map(|r| r.reason)).collect();
        assert_eq!(
            reasons,
            [
                None,
                Some(p::REASON_FOUND_GENERATE_NAME),
                Some(p::REASON_DUPLICATED),
                Some(p::REASON_DECODING_ERRED),
                Some(p::REASON_DECODING_ERRED),
                None
            ]
        );
        let id = &decoded[5].identifier;
        assert_eq!(
            (id.ordinal, id.group.as_str(), id.version.as_str(), id.kind.as_str()),
            (5, "apps", "v1", "Deployment")
        );
        assert_eq!((id.namespace.as_str(), id.name.as_str()), ("app", "web"));
    }
}
