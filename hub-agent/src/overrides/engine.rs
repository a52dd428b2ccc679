//! The override engine: what one selected object becomes on one cluster
//! after the overrides that select it, in order (ClusterResourceOverrides,
//! then ResourceOverrides, each rule in order, the later winning). A rule
//! applies when its cluster selector matches the cluster (no selector: no
//! cluster; an empty one: every cluster). `Delete` keeps the object off the
//! cluster; `JSONPatch` applies its operations, with the cluster's name and
//! labels substituted, to the whole object at once: one failing operation
//! fails the object, never half of it. A patch may not change what the
//! object is (apiVersion, kind, name, namespace) or its status. Pure.

use std::collections::BTreeMap;

use apis::placement::{
    JsonPatchOverride, JsonPatchOverrideOperator, OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX,
    OVERRIDE_CLUSTER_NAME_VARIABLE, OverridePolicy, OverrideType,
};
use serde_json::{Map, Value};

use crate::scheduler::label_selector;

/// The cluster an object is being placed on.
pub struct Cluster<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
}

/// One override, as its snapshot holds it.
pub struct Override<'a> {
    /// The snapshot's name, for messages.
    pub name: &'a str,
    pub policy: &'a OverridePolicy,
}

/// What the object becomes on the cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Placed(Value),
    /// A Delete rule matched: not placed on this cluster.
    NotPlaced,
}

/// Whether a rule's cluster selector picks `cluster`.
pub fn selects(selector: Option<&apis::placement::ClusterSelector>, cluster: &Cluster) -> Result<bool, String> {
    let Some(selector) = selector else { return Ok(false) };
    if selector.cluster_selector_terms.is_empty() {
        return Ok(true);
    }
    for term in &selector.cluster_selector_terms {
        match &term.label_selector {
            Some(ls) if label_selector::matches(ls, cluster.labels)? => return Ok(true),
            _ => {}
        }
    }
    Ok(false)
}

/// `s` with the cluster variables replaced.
fn substitute(s: &str, cluster: &Cluster) -> Result<String, String> {
    let mut out = s.replace(OVERRIDE_CLUSTER_NAME_VARIABLE, cluster.name);
    while let Some(start) = out.find(OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX) {
        let key_start = start + OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX.len();
        let Some(len) = out[key_start..].find('}') else {
            return Err(format!("the variable {} has no closing }}", &out[start..]));
        };
        let key = &out[key_start..key_start + len];
        let Some(value) = cluster.labels.get(key) else {
            return Err(format!(
                "cluster {} has no label {key:?} (variable ${{MEMBER-CLUSTER-LABEL-KEY-{key}}})",
                cluster.name
            ));
        };
        out.replace_range(start..key_start + len + 1, value);
    }
    Ok(out)
}

fn substitute_value(v: &Value, cluster: &Cluster) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => Value::String(substitute(s, cluster)?),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute_value(x, cluster)).collect::<Result<_, _>>()?),
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(substitute(k, cluster)?, substitute_value(x, cluster)?);
            }
            Value::Object(m)
        }
        other => other.clone(),
    })
}

/// The operations of one rule as an RFC 6902 patch for `cluster`.
fn patch(ops: &[JsonPatchOverride], cluster: &Cluster) -> Result<json_patch::Patch, String> {
    let mut out = Vec::new();
    for o in ops {
        let op = match o.op {
            JsonPatchOverrideOperator::Add => "add",
            JsonPatchOverrideOperator::Remove => "remove",
            JsonPatchOverrideOperator::Replace => "replace",
        };
        let mut entry = serde_json::json!({"op": op, "path": o.path});
        match (&o.op, &o.value) {
            (JsonPatchOverrideOperator::Remove, Some(_)) => {
                return Err(format!("remove cannot have a value: path {}", o.path));
            }
            (JsonPatchOverrideOperator::Remove, None) => {}
            (_, v) => entry["value"] = substitute_value(v.as_ref().unwrap_or(&Value::Null), cluster)?,
        }
        out.push(entry);
    }
    serde_json::from_value(Value::Array(out)).map_err(|e| format!("invalid JSON patch: {e}"))
}

/// What a patch may not change.
fn identity(obj: &Value) -> [&Value; 5] {
    [&obj["apiVersion"], &obj["kind"], &obj["metadata"]["name"], &obj["metadata"]["namespace"], &obj["status"]]
}

/// The object on `cluster` after `overrides` (in the order to apply them).
pub fn apply(object: &Value, cluster: &Cluster, overrides: &[Override]) -> Result<Outcome, String> {
    let mut obj = object.clone();
    for o in overrides {
        for (i, rule) in o.policy.override_rules.iter().enumerate() {
            let at = || format!("override {} rule {i}", o.name);
            if !selects(rule.cluster_selector.as_ref(), cluster).map_err(|e| format!("{}: {e}", at()))? {
                continue;
            }
            match rule.override_type {
                OverrideType::Delete => return Ok(Outcome::NotPlaced),
                OverrideType::JsonPatch => {
                    let p = patch(&rule.json_patch_overrides, cluster).map_err(|e| format!("{}: {e}", at()))?;
                    let mut next = obj.clone();
                    json_patch::patch(&mut next, &p).map_err(|e| format!("{}: {e}", at()))?;
                    if identity(&next) != identity(&obj) {
                        return Err(format!(
                            "{}: a patch may not change the object's apiVersion, kind, name, namespace or status",
                            at()
                        ));
                    }
                    obj = next;
                }
            }
        }
    }
    Ok(Outcome::Placed(obj))
}

#[cfg(test)]
mod tests {
    use apis::placement::{ClusterSelector, ClusterSelectorTerm, OverrideRule};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    use serde_json::json;

    use super::*;

    fn service() -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx-service", "namespace": "test-app",
               "labels": {"app": "nginx"}}, "spec": {"ports": [{"port": 80}], "type": "LoadBalancer"}})
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn op(op: JsonPatchOverrideOperator, path: &str, value: Option<Value>) -> JsonPatchOverride {
        JsonPatchOverride { op, path: path.into(), value }
    }

    fn on(labels: &[(&str, &str)]) -> Option<ClusterSelector> {
        let ls = LabelSelector {
            match_labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            ..Default::default()
        };
        Some(ClusterSelector {
            cluster_selector_terms: vec![ClusterSelectorTerm { label_selector: Some(ls), ..Default::default() }],
        })
    }

    fn everywhere() -> Option<ClusterSelector> {
        Some(ClusterSelector { cluster_selector_terms: vec![] })
    }

    fn rule(selector: Option<ClusterSelector>, ops: Vec<JsonPatchOverride>) -> OverrideRule {
        OverrideRule { cluster_selector: selector, override_type: OverrideType::JsonPatch, json_patch_overrides: ops }
    }

    fn delete(selector: Option<ClusterSelector>) -> OverrideRule {
        OverrideRule { cluster_selector: selector, override_type: OverrideType::Delete, json_patch_overrides: vec![] }
    }

    fn run(obj: &Value, cluster: (&str, &[(&str, &str)]), rules: Vec<Vec<OverrideRule>>) -> Result<Outcome, String> {
        let policies: Vec<OverridePolicy> = rules.into_iter().map(|r| OverridePolicy { override_rules: r }).collect();
        let overrides: Vec<Override> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| Override { name: ["cro-0", "ro-0"][i.min(1)], policy: p })
            .collect();
        let l = labels(cluster.1);
        apply(obj, &Cluster { name: cluster.0, labels: &l }, &overrides)
    }

    fn placed(r: Result<Outcome, String>) -> Value {
        match r {
            Ok(Outcome::Placed(v)) => v,
            other => panic!("expected a placed object, got {other:?}"),
        }
    }

    use JsonPatchOverrideOperator::{Add, Remove, Replace};

    #[test]
    fn the_seed_dns_label_reaches_only_the_matching_cluster() {
        let annotation = "/metadata/annotations";
        let rules = || {
            vec![vec![rule(
                on(&[("cluster-name", "member-1")]),
                vec![op(
                    Add,
                    annotation,
                    Some(json!({"service.beta.kubernetes.io/azure-dns-label-name": "fleet-${MEMBER-CLUSTER-NAME}"})),
                )],
            )]]
        };
        let m1 = placed(run(&service(), ("member-1", &[("cluster-name", "member-1")]), rules()));
        assert_eq!(m1["metadata"]["annotations"]["service.beta.kubernetes.io/azure-dns-label-name"], "fleet-member-1");
        let m2 = placed(run(&service(), ("member-2", &[("cluster-name", "member-2")]), rules()));
        assert_eq!(m2, service(), "member-2 is not selected: unchanged");
    }

    #[test]
    fn delete_keeps_the_object_off_matching_clusters_only() {
        let rules = || vec![vec![delete(on(&[("cluster-name", "member-2")]))]];
        assert_eq!(run(&service(), ("member-2", &[("cluster-name", "member-2")]), rules()), Ok(Outcome::NotPlaced));
        assert_eq!(placed(run(&service(), ("member-1", &[("cluster-name", "member-1")]), rules())), service());
    }

    #[test]
    fn no_selector_selects_no_cluster_and_an_empty_one_every_cluster() {
        let set = |sel| vec![vec![rule(sel, vec![op(Replace, "/spec/type", Some(json!("ClusterIP")))])]];
        assert_eq!(placed(run(&service(), ("m", &[]), set(None))), service());
        assert_eq!(placed(run(&service(), ("m", &[]), set(everywhere())))["spec"]["type"], "ClusterIP");
    }

    #[test]
    fn rules_apply_in_order_and_resource_overrides_after_cluster_ones() {
        let replace = |v: &str| op(Replace, "/spec/type", Some(json!(v)));
        let r = run(
            &service(),
            ("m", &[]),
            vec![vec![rule(everywhere(), vec![replace("NodePort")]), rule(everywhere(), vec![replace("ClusterIP")])]],
        );
        assert_eq!(placed(r)["spec"]["type"], "ClusterIP", "the later rule wins");
        let r = run(
            &service(),
            ("m", &[]),
            vec![
                vec![rule(everywhere(), vec![replace("NodePort")])],
                vec![rule(everywhere(), vec![replace("ExternalName")])],
            ],
        );
        assert_eq!(placed(r)["spec"]["type"], "ExternalName", "the ResourceOverride wins");
    }

    #[test]
    fn variables_take_the_clusters_name_and_labels() {
        let ops = vec![op(
            Add,
            "/metadata/labels/placed-on",
            Some(json!("${MEMBER-CLUSTER-NAME}-${MEMBER-CLUSTER-LABEL-KEY-region}-${MEMBER-CLUSTER-LABEL-KEY-region}")),
        )];
        let v = placed(run(&service(), ("member-1", &[("region", "west")]), vec![vec![rule(everywhere(), ops)]]));
        assert_eq!(v["metadata"]["labels"]["placed-on"], "member-1-west-west");
    }

    #[test]
    fn a_variable_naming_a_missing_label_or_left_open_fails_with_a_message() {
        let with = |s: &str| vec![vec![rule(everywhere(), vec![op(Add, "/metadata/labels/x", Some(json!(s)))])]];
        let err = run(&service(), ("member-1", &[]), with("${MEMBER-CLUSTER-LABEL-KEY-region}")).unwrap_err();
        assert!(err.contains("no label \"region\"") && err.contains("cro-0 rule 0"), "{err}");
        let err =
            run(&service(), ("member-1", &[("region", "w")]), with("${MEMBER-CLUSTER-LABEL-KEY-region")).unwrap_err();
        assert!(err.contains("no closing"), "{err}");
    }

    #[test]
    fn a_missing_path_fails_the_whole_object_with_no_half_applied_change() {
        let ops = vec![
            op(Add, "/metadata/labels/first", Some(json!("1"))),
            op(Replace, "/spec/missing/field", Some(json!("x"))),
        ];
        let err = run(&service(), ("m", &[]), vec![vec![rule(everywhere(), ops)]]).unwrap_err();
        assert!(err.contains("cro-0 rule 0"), "{err}");
        let err = run(&service(), ("m", &[]), vec![vec![rule(everywhere(), vec![op(Remove, "/spec/nothing", None)])]])
            .unwrap_err();
        assert!(err.contains("cro-0 rule 0"), "{err}");
    }

    #[test]
    fn the_append_index_and_escaped_keys_work() {
        let ops = vec![
            op(Add, "/spec/ports/-", Some(json!({"port": 443}))),
            op(Add, "/metadata/annotations", Some(json!({}))),
            op(Add, "/metadata/annotations/example.com~1team", Some(json!("a"))),
            op(Add, "/metadata/annotations/tilde~0key", Some(json!("b"))),
        ];
        let v = placed(run(&service(), ("m", &[]), vec![vec![rule(everywhere(), ops)]]));
        assert_eq!(v["spec"]["ports"][1]["port"], 443);
        assert_eq!(v["metadata"]["annotations"]["example.com/team"], "a");
        assert_eq!(v["metadata"]["annotations"]["tilde~key"], "b");
    }

    #[test]
    fn remove_with_a_value_is_refused() {
        let err = run(
            &service(),
            ("m", &[]),
            vec![vec![rule(everywhere(), vec![op(Remove, "/spec/type", Some(json!("x")))])]],
        )
        .unwrap_err();
        assert!(err.contains("remove cannot have a value: path /spec/type"), "{err}");
    }

    #[test]
    fn patches_may_not_change_what_the_object_is_or_its_status() {
        for (path, value) in [
            ("/kind", json!("ConfigMap")),
            ("/apiVersion", json!("v2")),
            ("/metadata/name", json!("other")),
            ("/metadata/namespace", json!("other")),
            ("/status", json!({"x": 1})),
        ] {
            let err = run(&service(), ("m", &[]), vec![vec![rule(everywhere(), vec![op(Add, path, Some(value))])]])
                .unwrap_err();
            assert!(err.contains("may not change"), "{path}: {err}");
        }
    }
}
