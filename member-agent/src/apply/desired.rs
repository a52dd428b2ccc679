//! What the applier sends to the member's API server for one manifest: the
//! manifest with the annotation `kubernetes-fleet.io/spec-hash` (so a changed
//! hub copy is told from a drifted member copy) and the AppliedWork owner
//! reference; for client-side apply also the last applied configuration, and
//! the three-way merge patch that turns the live object into it. Pure.

use apis::labels::{LAST_APPLIED_CONFIG, MANIFEST_HASH};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// A last applied configuration above this size does not fit an annotation
/// comfortably; such objects are server-side applied instead (as KubeFleet).
pub const MAX_LAST_APPLIED: usize = 256 * 1024;

/// The hash of a manifest as the hub wrote it.
pub fn spec_hash(manifest: &Value) -> String {
    format!("{:x}", Sha256::digest(serde_json::to_vec(manifest).expect("JSON serializes")))
}

/// The hash recorded on the live object by the last apply, if any.
pub fn recorded_hash(live: &Value) -> Option<&str> {
    live["metadata"]["annotations"][MANIFEST_HASH].as_str()
}

fn annotate(obj: &mut Value, key: &str, value: String) {
    let meta = obj["metadata"].as_object_mut().expect("decoded manifests are objects with metadata");
    let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    annotations[key] = Value::String(value);
}

/// The object to server-side apply: the manifest, its hash, and our owner
/// reference (owner references merge by uid, so others' stay).
pub fn server_side(manifest: &Value, hash: &str, owner: &OwnerReference) -> Value {
    let mut obj = manifest.clone();
    annotate(&mut obj, MANIFEST_HASH, hash.to_string());
    obj["metadata"]["ownerReferences"] = json!([owner]);
    obj
}

/// The object client-side apply makes the live object into, with every
/// owner reference it keeps (a merge patch replaces the list); None if the
/// last applied configuration would be too large for an annotation.
pub fn client_side(manifest: &Value, hash: &str, owners: Vec<Value>) -> Option<Value> {
    let last = serde_json::to_string(manifest).expect("JSON serializes");
    if last.len() > MAX_LAST_APPLIED {
        return None;
    }
    let mut obj = manifest.clone();
    annotate(&mut obj, MANIFEST_HASH, hash.to_string());
    annotate(&mut obj, LAST_APPLIED_CONFIG, last);
    obj["metadata"]["ownerReferences"] = Value::Array(owners);
    Some(obj)
}

/// The last applied configuration recorded on the live object.
pub fn last_applied(live: &Value) -> Option<Value> {
    live["metadata"]["annotations"][LAST_APPLIED_CONFIG].as_str().and_then(|s| serde_json::from_str(s).ok())
}

/// The JSON merge patch (RFC 7386) from `live` to `desired`: every field
/// `desired` sets that `live` lacks or holds differently, and a null for
/// every field the last applied configuration set that `desired` dropped
/// (fields others set are left alone). Lists are replaced whole, as merge
/// patches do.
pub fn three_way(last: Option<&Value>, desired: &Value, live: &Value) -> Value {
    let mut patch = Map::new();
    if let (Some(d), Some(l)) = (desired.as_object(), live.as_object()) {
        for (k, dv) in d {
            match l.get(k) {
                Some(lv) if lv == dv => {}
                Some(lv) if lv.is_object() && dv.is_object() => {
                    let sub = three_way(last.and_then(|x| x.get(k)), dv, lv);
                    if sub.as_object().is_some_and(|m| !m.is_empty()) {
                        patch.insert(k.clone(), sub);
                    }
                }
                _ => {
                    patch.insert(k.clone(), dv.clone());
                }
            }
        }
        if let Some(last) = last.and_then(Value::as_object) {
            for k in last.keys() {
                if !d.contains_key(k) && l.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
        }
    }
    Value::Object(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> OwnerReference {
        OwnerReference {
            api_version: "v".into(),
            kind: "AppliedWork".into(),
            name: "w".into(),
            uid: "u1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_hash_follows_the_manifest() {
        let a = json!({"kind": "ConfigMap", "data": {"k": "1"}});
        let b = json!({"kind": "ConfigMap", "data": {"k": "2"}});
        assert_eq!(spec_hash(&a), spec_hash(&a.clone()));
        assert_ne!(spec_hash(&a), spec_hash(&b));
    }

    #[test]
    fn server_side_objects_carry_the_hash_and_our_owner() {
        let m = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"a": "b"}}});
        let obj = server_side(&m, "h", &owner());
        assert_eq!(recorded_hash(&obj), Some("h"));
        assert_eq!(obj["metadata"]["annotations"]["a"], "b", "the manifest's annotations stay");
        assert_eq!(obj["metadata"]["ownerReferences"][0]["uid"], "u1");
        assert_eq!(m["metadata"]["annotations"].as_object().unwrap().len(), 1, "the manifest is not changed");
    }

    #[test]
    fn client_side_objects_record_the_manifest_and_refuse_oversized_ones() {
        let m = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
        let obj = client_side(&m, "h", vec![json!({"uid": "x"})]).unwrap();
        assert_eq!(last_applied(&obj), Some(m.clone()));
        assert_eq!(obj["metadata"]["ownerReferences"], json!([{"uid": "x"}]));
        let big = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                         "data": {"k": "x".repeat(MAX_LAST_APPLIED)}});
        assert_eq!(client_side(&big, "h", vec![]), None);
    }

    #[test]
    fn the_three_way_patch_sets_what_changed_and_removes_only_what_we_dropped() {
        let last = json!({"metadata": {"labels": {"a": "1", "b": "1"}}, "data": {"x": "1", "y": "1"}});
        let desired = json!({"metadata": {"labels": {"a": "2"}}, "data": {"x": "1"}});
        let live = json!({"metadata": {"labels": {"a": "1", "b": "1", "theirs": "t"}, "uid": "u"},
                          "data": {"x": "drifted", "y": "1", "z": "theirs"}});
        let patch = three_way(Some(&last), &desired, &live);
        assert_eq!(patch, json!({"metadata": {"labels": {"a": "2", "b": null}}, "data": {"x": "1", "y": null}}));
        assert_eq!(
            three_way(Some(&desired), &desired, &json!({"metadata": {"labels": {"a": "2"}}, "data": {"x": "1"}})),
            json!({})
        );
    }

    #[test]
    fn without_a_last_applied_configuration_nothing_is_removed() {
        let patch =
            three_way(None, &json!({"spec": {"replicas": 2}}), &json!({"spec": {"replicas": 1, "paused": true}}));
        assert_eq!(patch, json!({"spec": {"replicas": 2}}));
    }

    #[test]
    fn lists_are_replaced_whole() {
        let patch = three_way(
            None,
            &json!({"ports": [{"port": 80}]}),
            &json!({"ports": [{"port": 80, "protocol": "TCP"}, {"port": 81}]}),
        );
        assert_eq!(patch, json!({"ports": [{"port": 80}]}));
    }
}
