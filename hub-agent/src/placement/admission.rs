//! What the admission webhook checks in a ClusterResourcePlacement or
//! ResourcePlacement beyond its schema (KubeFleet's validator, with its
//! messages), and the defaults it fills in where a schema default cannot say
//! "only for this type". Pure: kinds are looked up through `served`.

use apis::{
    labels,
    placement::{
        ClusterSelectorTerm, PlacementDisruptionBudgetSpec, PlacementSpec, PlacementType, PropertySelectorRequirement,
        SelectionScope, TolerationOperator,
    },
};
use json_patch::{AddOperation, PatchOperation};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use crate::scheduler::label_selector;

/// The prefix of the fleet's resource properties: `<prefix>/<capacity>-<resource>`.
const RESOURCE_PROPERTY_PREFIX: &str = "resources.kubernetes-fleet.io/";
const CAPACITY_TYPES: &[&str] = &["total", "allocatable", "available"];

fn selector_errors(
    what: &str,
    selector: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
) -> Vec<String> {
    let Some(s) = selector else { return vec![] };
    label_selector::errors(s).into_iter().map(|e| format!("the labelSelector in {what} is invalid: {e}")).collect()
}

/// Why a property name is not one the scheduler can read, if it is not.
pub fn property_name_error(name: &str) -> Option<String> {
    match name.strip_prefix(RESOURCE_PROPERTY_PREFIX) {
        Some(rest) => {
            let Some((capacity, resource)) = rest.split_once('-') else {
                return Some(format!(
                    "invalid resource property name {name}, expected format is [PREFIX]/[CAPACITY_TYPE]-[RESOURCE_NAME]"
                ));
            };
            if !CAPACITY_TYPES.contains(&capacity) {
                return Some(format!(
                    "invalid capacity type in resource property name {name}, supported values are {CAPACITY_TYPES:?}"
                ));
            }
            labels::key_error(resource).map(|e| format!("property name {name} is not valid: {e}"))
        }
        None => labels::key_error(name).map(|e| format!("property name {name} is not valid: {e}")),
    }
}

fn requirement_errors(r: &PropertySelectorRequirement) -> Vec<String> {
    let mut out: Vec<String> =
        property_name_error(&r.name).map(|e| format!("invalid property name {}: {e}", r.name)).into_iter().collect();
    if r.values.len() != 1 {
        out.push(format!(
            "invalid requirement on property {}: operator {:?} requires exactly one value, got {}",
            r.name,
            r.operator,
            r.values.len()
        ));
    }
    for v in &r.values {
        if apis::quantity::parse(v).is_none() {
            out.push(format!(
                "invalid requirement on property {}: value {v:?} is not a valid resource.Quantity",
                r.name
            ));
        }
    }
    out
}

fn term_errors(what: &str, term: &ClusterSelectorTerm) -> Vec<String> {
    let mut out = selector_errors(what, term.label_selector.as_ref());
    for r in term.property_selector.iter().flat_map(|p| &p.match_expressions) {
        out.extend(requirement_errors(r));
    }
    if let Some(sorter) = &term.property_sorter {
        out.extend(property_name_error(&sorter.name));
    }
    out
}

/// Everything wrong with `spec` that its schema cannot see.
pub fn spec_errors(spec: &PlacementSpec) -> Vec<String> {
    let mut out = Vec::new();
    for s in &spec.resource_selectors {
        let what = format!("resource selector {}/{} {}", s.group, s.version, s.kind);
        out.extend(selector_errors(&what, s.label_selector.as_ref()));
    }
    let Some(policy) = &spec.policy else { return out };
    let affinity = policy.affinity.as_ref().and_then(|a| a.cluster_affinity.as_ref());
    if let Some(a) = affinity {
        for t in a.required_during_scheduling_ignored_during_execution.iter().flat_map(|r| &r.cluster_selector_terms) {
            out.extend(term_errors("cluster selector", t));
        }
        for p in &a.preferred_during_scheduling_ignored_during_execution {
            out.extend(term_errors("preferred cluster selector", &p.preference));
        }
    }
    for (i, t) in policy.tolerations.iter().enumerate() {
        if !t.key.is_empty()
            && let Some(e) = labels::key_error(&t.key)
        {
            out.push(format!("invalid toleration key {e}"));
        }
        if t.operator == TolerationOperator::Equal
            && let Some(e) = labels::value_error(&t.value)
        {
            out.push(format!("invalid toleration value {e}"));
        }
        if policy.tolerations[..i].contains(t) {
            out.push(format!("toleration {:?} already exists, tolerations must be unique", t.key));
        }
    }
    out
}

/// The errors of `spec`'s selectors against the kinds the hub serves:
/// `served(group, version, kind)` is `Some(namespaced)` for a served kind.
/// A ClusterResourcePlacement selects cluster-scoped kinds (namespaced ones
/// only next to a NamespaceWithResourceSelectors namespace selector); a
/// ResourcePlacement namespaced kinds only.
pub fn scope_errors(
    spec: &PlacementSpec,
    resource_placement: bool,
    served: impl Fn(&str, &str, &str) -> Option<bool>,
) -> Vec<String> {
    let scoped = spec.resource_selectors.iter().any(|s| {
        s.group.is_empty()
            && s.kind == "Namespace"
            && s.selection_scope == SelectionScope::NamespaceWithResourceSelectors
    });
    let mut out = Vec::new();
    for s in &spec.resource_selectors {
        let gvk = format!("{}/{}, Kind={}", s.group, s.version, s.kind);
        match served(&s.group, &s.version, &s.kind) {
            None => out.push(format!("failed to get GVR of the selector: the hub does not serve {gvk}")),
            Some(true) if !resource_placement && !scoped => out.push(format!(
                "the resource is not found in schema (please retry) or it is not a cluster scoped resource: {gvk}"
            )),
            Some(false) if resource_placement => out.push(format!(
                "the resource is not found in schema (please retry) or it is a cluster scoped resource: {gvk}"
            )),
            Some(_) => {}
        }
    }
    out
}

/// KubeFleet's defaults that depend on another field, as JSON patch
/// operations on the placement `obj`: `rollingUpdate` for the RollingUpdate
/// strategy (the schema then defaults each of its fields), and
/// `serverSideApplyConfig: {force: false}` for ServerSideApply. The schema
/// has already defaulted `strategy.type` and `applyStrategy` when this runs.
pub fn defaults(obj: &Value) -> Vec<PatchOperation> {
    let strategy = &obj["spec"]["strategy"];
    let add = |path: &str, value: Value| {
        PatchOperation::Add(AddOperation { path: path.parse().expect("a valid pointer"), value })
    };
    let mut out = Vec::new();
    if !strategy.is_object() {
        return out;
    }
    if strategy["type"].as_str().unwrap_or("RollingUpdate") == "RollingUpdate" && strategy["rollingUpdate"].is_null() {
        out.push(add(
            "/spec/strategy/rollingUpdate",
            json!({"maxUnavailable": "25%", "maxSurge": "25%", "unavailablePeriodSeconds": 60}),
        ));
    }
    let apply = &strategy["applyStrategy"];
    if apply["type"] == "ServerSideApply" && apply["serverSideApplyConfig"].is_null() {
        out.push(add("/spec/strategy/applyStrategy/serverSideApplyConfig", json!({"force": false})));
    }
    out
}

/// Why a ClusterResourcePlacementDisruptionBudget cannot guard its
/// placement (of `policy_type`; none is PickAll): a PickAll placement has no
/// target count, so only an integer `minAvailable` means something.
pub fn budget_errors(policy_type: PlacementType, budget: &PlacementDisruptionBudgetSpec) -> Vec<String> {
    let mut out = Vec::new();
    if policy_type != PlacementType::PickAll {
        return out;
    }
    if let Some(m) = &budget.max_unavailable {
        out.push(format!(
            "cluster resource placement policy type PickAll is not supported with any specified max unavailable {}",
            int_or_string(m)
        ));
    }
    if let Some(m @ IntOrString::String(_)) = &budget.min_available {
        out.push(format!(
            "cluster resource placement policy type PickAll is not supported with min available as a percentage {}",
            int_or_string(m)
        ));
    }
    out
}

/// Why an eviction from placement `name` (of `policy_type`) cannot be
/// accepted: a placement being deleted, or a PickFixed one (its clusters are
/// named; the user edits the names instead).
pub fn eviction_errors(name: &str, policy_type: PlacementType, deleting: bool) -> Vec<String> {
    if deleting {
        return vec![format!("cluster resource placement {name} is being deleted")];
    }
    if policy_type == PlacementType::PickFixed {
        return vec!["cluster resource placement policy type PickFixed is not supported".to_string()];
    }
    vec![]
}

fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: Value) -> PlacementSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn bad_label_selectors_property_names_values_and_tolerations_are_named() {
        let s = spec(json!({
            "resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace",
                                   "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}],
            "policy": {"placementType": "PickN", "numberOfClusters": 1,
                "affinity": {"clusterAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [
                        {"labelSelector": {"matchLabels": {"key@1234:": "x"}}},
                        {"propertySelector": {"matchExpressions": [
                            {"name": "resources.kubernetes-fleet.io/spare-cpu", "operator": "Gt", "values": ["1"]},
                            {"name": "kubernetes-fleet.io/node-count", "operator": "Gt", "values": ["many"]}]}}]},
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference":
                        {"labelSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists", "values": ["a"]}]}}}]}},
                "tolerations": [{"key": "bad key", "operator": "Equal", "value": "v"},
                                {"key": "k", "operator": "Equal", "value": "v"},
                                {"key": "k", "operator": "Equal", "value": "v"}]}}));
        let e = spec_errors(&s).join("\n");
        for want in [
            "the labelSelector in resource selector /v1 Namespace is invalid: operator In on key \"app\" needs values",
            "the labelSelector in cluster selector is invalid: invalid label key \"key@1234:\"",
            "invalid capacity type in resource property name resources.kubernetes-fleet.io/spare-cpu",
            "value \"many\" is not a valid resource.Quantity",
            "the labelSelector in preferred cluster selector is invalid: operator Exists on key \"zone\" takes no values",
            "invalid toleration key \"bad key\"",
            "toleration \"k\" already exists, tolerations must be unique",
        ] {
            assert!(e.contains(want), "missing {want:?} in:\n{e}");
        }
        let fine = spec(
            json!({"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "a"}],
            "policy": {"placementType": "PickAll", "affinity": {"clusterAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [
                    {"propertySelector": {"matchExpressions": [
                        {"name": "resources.kubernetes-fleet.io/available-cpu", "operator": "Ge", "values": ["500m"]}]}}]}}},
            "tolerations": [{"key": "k", "operator": "Exists"}]}}),
        );
        assert_eq!(spec_errors(&fine), Vec::<String>::new());
    }

    #[test]
    fn selectors_must_name_served_kinds_of_the_right_scope() {
        let served = |g: &str, _: &str, k: &str| match (g, k) {
            ("", "Namespace") | ("rbac.authorization.k8s.io", "ClusterRole") => Some(false),
            ("apps", "Deployment") | ("", "ConfigMap") => Some(true),
            _ => None,
        };
        let sel = |kinds: &[(&str, &str)]| {
            let s: Vec<Value> =
                kinds.iter().map(|(g, k)| json!({"group": g, "version": "v1", "kind": k, "name": "x"})).collect();
            spec(json!({"resourceSelectors": s}))
        };
        let crp =
            scope_errors(&sel(&[("", "Namespace"), ("apps", "Deployment"), ("example.com", "Widget")]), false, served);
        assert_eq!(crp.len(), 2, "{crp:?}");
        assert!(crp[0].contains("not a cluster scoped resource: apps/v1, Kind=Deployment"));
        assert!(crp[1].starts_with("failed to get GVR of the selector"));
        let rp = scope_errors(&sel(&[("", "ConfigMap"), ("", "Namespace")]), true, served);
        assert_eq!(
            rp,
            [
                "the resource is not found in schema (please retry) or it is a cluster scoped resource: /v1, Kind=Namespace"
            ]
        );
        // A NamespaceWithResourceSelectors namespace lets a CRP select namespaced kinds in it.
        let mut scoped = sel(&[("", "Namespace"), ("apps", "Deployment")]);
        scoped.resource_selectors[0].selection_scope = SelectionScope::NamespaceWithResourceSelectors;
        assert!(scope_errors(&scoped, false, served).is_empty());
    }

    #[test]
    fn rolling_update_and_server_side_apply_config_are_defaulted_only_for_their_types() {
        let ops = |strategy: Value| {
            let patch = json_patch::Patch(defaults(&json!({"spec": {"strategy": strategy}})));
            let mut doc = json!({"spec": {"strategy": strategy}});
            json_patch::patch(&mut doc, &patch).unwrap();
            doc["spec"]["strategy"].clone()
        };
        let s = ops(json!({"type": "RollingUpdate", "applyStrategy": {"type": "ServerSideApply"}}));
        assert_eq!(
            s["rollingUpdate"],
            json!({"maxUnavailable": "25%", "maxSurge": "25%", "unavailablePeriodSeconds": 60})
        );
        assert_eq!(s["applyStrategy"]["serverSideApplyConfig"], json!({"force": false}));
        let s = ops(json!({"type": "External", "applyStrategy": {"type": "ClientSideApply"}}));
        assert!(s["rollingUpdate"].is_null() && s["applyStrategy"]["serverSideApplyConfig"].is_null(), "{s}");
        let s = ops(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}));
        assert_eq!(
            s["rollingUpdate"],
            json!({"maxSurge": 1}),
            "a given rollingUpdate is left to the schema's field defaults"
        );
    }

    #[test]
    fn budgets_and_evictions_follow_the_placement_type() {
        let budget = |max: Option<IntOrString>, min: Option<IntOrString>| PlacementDisruptionBudgetSpec {
            max_unavailable: max,
            min_available: min,
        };
        let pct = || Some(IntOrString::String("50%".into()));
        let int = || Some(IntOrString::Int(1));
        assert_eq!(
            budget_errors(PlacementType::PickAll, &budget(int(), None)),
            ["cluster resource placement policy type PickAll is not supported with any specified max unavailable 1"]
        );
        assert_eq!(
            budget_errors(PlacementType::PickAll, &budget(None, pct())),
            ["cluster resource placement policy type PickAll is not supported with min available as a percentage 50%"]
        );
        assert!(budget_errors(PlacementType::PickAll, &budget(None, int())).is_empty());
        assert!(budget_errors(PlacementType::PickN, &budget(pct(), None)).is_empty());
        assert_eq!(
            eviction_errors("web", PlacementType::PickFixed, false),
            ["cluster resource placement policy type PickFixed is not supported"]
        );
        assert_eq!(
            eviction_errors("web", PlacementType::PickN, true),
            ["cluster resource placement web is being deleted"]
        );
        assert!(eviction_errors("web", PlacementType::PickAll, false).is_empty());
    }
}
