//! Letting go of an object the fleet took: the merge patch that removes the
//! AppliedWork owner references and every `kubernetes-fleet.io/` label and
//! annotation, guarded by the resourceVersion read. `None` when there is
//! nothing to remove. Pure.

use serde_json::{Map, Value, json};

use crate::apply::ownership::is_applied_work;

/// The prefix of the fleet's own labels and annotations on placed objects.
const FLEET_PREFIX: &str = "kubernetes-fleet.io/";

pub fn patch(live: &Value) -> Option<Value> {
    let meta = &live["metadata"];
    let owners = meta["ownerReferences"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = owners.iter().filter(|o| !is_applied_work(o)).cloned().collect();
    let mut m = Map::new();
    if kept.len() != owners.len() {
        m.insert("ownerReferences".into(), if kept.is_empty() { Value::Null } else { Value::Array(kept) });
    }
    for field in ["labels", "annotations"] {
        let fleet: Map<String, Value> = (meta[field].as_object().into_iter().flatten())
            .filter(|(k, _)| k.starts_with(FLEET_PREFIX))
            .map(|(k, _)| (k.clone(), Value::Null))
            .collect();
        if !fleet.is_empty() {
            m.insert(field.into(), Value::Object(fleet));
        }
    }
    if m.is_empty() {
        return None;
    }
    m.insert("resourceVersion".into(), meta["resourceVersion"].clone());
    Some(json!({"metadata": m}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fleets_owners_labels_and_annotations_go() {
        let live = json!({"metadata": {"name": "web", "resourceVersion": "42",
            "ownerReferences": [{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "AppliedWork", "name": "w", "uid": "1"},
                                {"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "2"}],
            "labels": {"app": "web", "kubernetes-fleet.io/parent-CRP": "x"},
            "annotations": {"kubernetes-fleet.io/spec-hash": "h", "kubernetes-fleet.io/last-applied-configuration": "{}", "team": "a"}}});
        assert_eq!(
            patch(&live),
            Some(json!({"metadata": {
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "2"}],
                "labels": {"kubernetes-fleet.io/parent-CRP": null},
                "annotations": {"kubernetes-fleet.io/spec-hash": null, "kubernetes-fleet.io/last-applied-configuration": null},
                "resourceVersion": "42"}}))
        );
    }

    #[test]
    fn the_last_owner_goes_with_null_and_a_clean_object_needs_nothing() {
        let only = json!({"metadata": {"resourceVersion": "1", "ownerReferences": [
            {"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "AppliedWork", "name": "w", "uid": "1"}]}});
        assert_eq!(patch(&only), Some(json!({"metadata": {"ownerReferences": null, "resourceVersion": "1"}})));
        assert_eq!(patch(&json!({"metadata": {"name": "c", "labels": {"app": "x"}}})), None);
    }
}
