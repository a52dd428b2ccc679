//! A binding's override snapshots applied to its resources for its cluster:
//! each resource gets the overrides that select it, ClusterResourceOverrides
//! first, then ResourceOverrides, in the binding's (sorted) order. A resource
//! a Delete rule matches is left out. One failure fails the binding's whole
//! set, so its Works stay as they were. Pure.

use apis::placement::{ClusterResourceOverrideSpec, Manifest, ResourceOverrideSpec};

use super::{
    applicable::{cro_selects, ro_selects},
    engine::{self, Cluster, Outcome, Override},
};
use crate::resources::identifier;

/// One override snapshot a binding names, found.
pub enum Resolved<'a> {
    Cluster { name: &'a str, spec: &'a ClusterResourceOverrideSpec },
    Namespaced { namespace: &'a str, name: &'a str, spec: &'a ResourceOverrideSpec },
}

impl Resolved<'_> {
    fn selects(&self, m: &Manifest) -> bool {
        let id = identifier(&m.0);
        match self {
            Resolved::Cluster { spec, .. } => cro_selects(spec, &id),
            Resolved::Namespaced { namespace, spec, .. } => ro_selects(namespace, spec, &id),
        }
    }

    fn as_override(&self) -> Override<'_> {
        match self {
            Resolved::Cluster { name, spec } => Override { name, policy: &spec.policy },
            Resolved::Namespaced { name, spec, .. } => Override { name, policy: &spec.policy },
        }
    }
}

/// `resources` (one snapshot's) as placed on `cluster` under `overrides`
/// (cluster-scoped ones first); the first failure, naming the resource.
pub fn apply(resources: &[Manifest], overrides: &[Resolved], cluster: &Cluster) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::with_capacity(resources.len());
    for m in resources {
        let picked: Vec<Override> = overrides.iter().filter(|o| o.selects(m)).map(Resolved::as_override).collect();
        if picked.is_empty() {
            out.push(m.clone());
            continue;
        }
        match engine::apply(&m.0, cluster, &picked) {
            Ok(Outcome::Placed(v)) => out.push(Manifest(v)),
            Ok(Outcome::NotPlaced) => {}
            Err(e) => {
                let id = identifier(&m.0);
                let ns = if id.namespace.is_empty() { String::new() } else { format!("{}/", id.namespace) };
                return Err(format!("{} {ns}{}: {e}", id.kind, id.name));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use apis::placement::{
        ClusterSelector, JsonPatchOverride, JsonPatchOverrideOperator, OverridePolicy, OverrideRule, OverrideType,
    };
    use serde_json::json;

    use super::*;

    fn ro(name: &str, rule: OverrideRule) -> ResourceOverrideSpec {
        crate::overrides::fixtures::service_override(name, OverridePolicy { override_rules: vec![rule] })
    }

    fn everywhere(override_type: OverrideType, ops: Vec<JsonPatchOverride>) -> OverrideRule {
        OverrideRule {
            cluster_selector: Some(ClusterSelector { cluster_selector_terms: vec![] }),
            override_type,
            json_patch_overrides: ops,
        }
    }

    fn manifests() -> Vec<Manifest> {
        vec![
            Manifest(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-app"}})),
            Manifest(
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "test-app"}, "spec": {}}),
            ),
            Manifest(
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "other", "namespace": "test-app"}, "spec": {}}),
            ),
        ]
    }

    #[test]
    fn only_selected_resources_change_and_deleted_ones_are_left_out() {
        let label = JsonPatchOverride {
            op: JsonPatchOverrideOperator::Add,
            path: "/metadata/labels".into(),
            value: Some(json!({"on": "${MEMBER-CLUSTER-NAME}"})),
        };
        let (a, b) = (
            ro("web", everywhere(OverrideType::JsonPatch, vec![label])),
            ro("other", everywhere(OverrideType::Delete, vec![])),
        );
        let overrides = [
            Resolved::Namespaced { namespace: "test-app", name: "ro-web-0", spec: &a },
            Resolved::Namespaced { namespace: "test-app", name: "ro-other-0", spec: &b },
        ];
        let labels = BTreeMap::new();
        let out = apply(&manifests(), &overrides, &Cluster { name: "member-1", labels: &labels }).unwrap();
        assert_eq!(out.len(), 2, "other is not placed");
        assert_eq!(out[0], manifests()[0], "the namespace is untouched");
        assert_eq!(out[1].0["metadata"]["labels"]["on"], "member-1");
    }

    #[test]
    fn a_failure_names_the_resource_and_the_override() {
        let bad = JsonPatchOverride {
            op: JsonPatchOverrideOperator::Replace,
            path: "/spec/missing".into(),
            value: Some(json!(1)),
        };
        let a = ro("web", everywhere(OverrideType::JsonPatch, vec![bad]));
        let overrides = [Resolved::Namespaced { namespace: "test-app", name: "ro-web-3", spec: &a }];
        let labels = BTreeMap::new();
        let err = apply(&manifests(), &overrides, &Cluster { name: "member-1", labels: &labels }).unwrap_err();
        assert!(err.starts_with("Service test-app/web: override ro-web-3 rule 0"), "{err}");
    }
}
