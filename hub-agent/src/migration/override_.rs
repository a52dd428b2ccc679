//! The ResourceOverride through which a migration sets each cluster's export
//! weight: one per ServiceExport the backend uses, rolled out with the
//! placement at once, a rule per weight (clusters chosen by their
//! `kubernetes-fleet.io/member-name` label) that sets the export's
//! `networking.fleet.azure.com/weight` annotation. The rule writes the whole
//! annotation map (the hub template's annotations plus the weight), as a
//! JSON patch `add` of one key would fail on an export without annotations.
//! Pure.

use std::collections::BTreeMap;

use apis::{
    labels,
    placement::{ResourceOverrideSpec, ResourceScope},
};
use serde_json::json;

use crate::adoption::names;

/// A ServiceExport on the hub the backend's traffic follows.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub name: String,
    /// Its annotations on the hub (the template's), without a weight.
    pub annotations: BTreeMap<String, String>,
}

/// The override's name for `export` of migration `migration`.
pub fn name(migration: &str, export: &str) -> String {
    names::fit(&format!("migration-{migration}-{export}"), 253)
}

/// The override's spec giving each cluster its weight; clusters of equal
/// weight share a rule.
pub fn spec(placement: &str, scope: ResourceScope, export: &Export, weights: &[(String, i64)]) -> ResourceOverrideSpec {
    let mut by_weight: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (c, w) in weights {
        by_weight.entry(*w).or_default().push(c);
    }
    let rules: Vec<serde_json::Value> = by_weight
        .iter()
        .map(|(w, clusters)| {
            let mut annotations = export.annotations.clone();
            annotations.insert(labels::SERVICE_EXPORT_WEIGHT.into(), w.to_string());
            json!({
                "clusterSelector": {"clusterSelectorTerms": [{"labelSelector": {"matchExpressions": [
                    {"key": labels::MEMBER_NAME, "operator": "In", "values": clusters}
                ]}}]},
                "overrideType": "JSONPatch",
                "jsonPatchOverrides": [{"op": "add", "path": "/metadata/annotations", "value": annotations}],
            })
        })
        .collect();
    serde_json::from_value(json!({
        "placement": {"name": placement, "scope": scope},
        "resourceSelectors": [{
            "group": "networking.fleet.azure.com", "version": "v1alpha1", "kind": "ServiceExport", "name": export.name,
        }],
        "policy": {"overrideRules": rules},
    }))
    .expect("a valid override spec")
}

/// The weights an override of `spec` sets, by cluster (to compare with the wanted ones).
pub fn weights_of(spec: &ResourceOverrideSpec) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for rule in &spec.policy.override_rules {
        let weight = rule
            .json_patch_overrides
            .iter()
            .find_map(|p| p.value.as_ref()?.get(labels::SERVICE_EXPORT_WEIGHT)?.as_str()?.parse::<i64>().ok());
        let terms = rule.cluster_selector.iter().flat_map(|s| &s.cluster_selector_terms);
        for t in terms {
            let exprs = t.label_selector.iter().flat_map(|l| l.match_expressions.iter().flatten());
            for e in exprs.filter(|e| e.key == labels::MEMBER_NAME) {
                for c in e.values.iter().flatten() {
                    if let Some(w) = weight {
                        out.insert(c.clone(), w);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_per_weight_keeps_the_templates_annotations() {
        let export = Export { name: "web".into(), annotations: [("team".to_string(), "a".to_string())].into() };
        let w = vec![("m1".to_string(), 500), ("m2".to_string(), 250), ("m3".to_string(), 250)];
        let spec = spec("crp", ResourceScope::Cluster, &export, &w);
        assert_eq!(spec.policy.override_rules.len(), 2);
        assert_eq!(spec.resource_selectors[0].kind, "ServiceExport");
        let value = spec.policy.override_rules[0].json_patch_overrides[0].value.clone().unwrap();
        assert_eq!(value, json!({"team": "a", "networking.fleet.azure.com/weight": "250"}));
        let back = weights_of(&spec);
        assert_eq!(back, [("m1".into(), 500), ("m2".into(), 250), ("m3".into(), 250)].into());
        assert!(name("x", &"y".repeat(300)).len() <= 253);
    }
}
