//! What the API server's schema cannot check about an override, checked when
//! it is written (the hub agent's validating webhook): a `remove` that carries
//! a value, a variable other than `${MEMBER-CLUSTER-NAME}` and
//! `${MEMBER-CLUSTER-LABEL-KEY-<key>}`, and a resource another override of
//! the same kind already selects (which of two would win is unclear, so
//! KubeFleet allows one of each kind per resource). Each message names the
//! rule and path, or the resource and the other override. Pure.

use apis::placement::{
    ClusterResourceOverrideSpec, JsonPatchOverrideOperator, OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX,
    OVERRIDE_CLUSTER_NAME_VARIABLE, OverridePolicy, ResourceOverrideSpec,
};
use serde_json::Value;

/// Every `${...}` in `s` that is not a known variable.
fn unknown_variables(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let tail = &rest[start..];
        let Some(end) = tail.find('}') else {
            out.push(tail.to_string());
            break;
        };
        let var = &tail[..=end];
        let known = var == OVERRIDE_CLUSTER_NAME_VARIABLE
            || var.strip_prefix(OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX).is_some_and(|k| k.len() > 1);
        if !known {
            out.push(var.to_string());
        }
        rest = &tail[end + 1..];
    }
    out
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out)
        }),
        _ => {}
    }
}

/// The policy's problems, each naming its rule and path.
pub fn policy_errors(policy: &OverridePolicy) -> Vec<String> {
    let mut out = Vec::new();
    for (i, rule) in policy.override_rules.iter().enumerate() {
        for (j, o) in rule.json_patch_overrides.iter().enumerate() {
            let at = format!("spec.policy.overrideRules[{i}].jsonPatchOverrides[{j}]");
            if o.op == JsonPatchOverrideOperator::Remove && o.value.is_some() {
                out.push(format!("{at}: remove operation cannot have value: path {}", o.path));
            }
            let mut texts = Vec::new();
            if let Some(v) = &o.value {
                strings(v, &mut texts);
            }
            for var in texts.iter().flat_map(|t| unknown_variables(t)) {
                out.push(format!(
                    "{at}: invalid variable {var} in the value (only {OVERRIDE_CLUSTER_NAME_VARIABLE} and {OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX}<key>}} are supported): path {}",
                    o.path
                ));
            }
        }
    }
    out
}

/// Another override of the same kind, for the duplicate check.
pub struct Other<'a, S> {
    pub name: &'a str,
    pub spec: &'a S,
}

/// Resources `spec` selects that another ClusterResourceOverride already selects.
pub fn cluster_conflicts(
    spec: &ClusterResourceOverrideSpec,
    others: &[Other<ClusterResourceOverrideSpec>],
) -> Vec<String> {
    let mut out = Vec::new();
    for s in &spec.cluster_resource_selectors {
        for o in others {
            if o.spec
                .cluster_resource_selectors
                .iter()
                .any(|x| x.group == s.group && x.kind == s.kind && x.name == s.name)
            {
                out.push(format!(
                    "the resource {} {} is already selected by ClusterResourceOverride {}; a resource can be selected by one ClusterResourceOverride only",
                    s.kind, s.name, o.name
                ));
            }
        }
    }
    out
}

/// Resources `spec` selects that another ResourceOverride of its namespace already selects.
pub fn namespaced_conflicts(spec: &ResourceOverrideSpec, others: &[Other<ResourceOverrideSpec>]) -> Vec<String> {
    let mut out = Vec::new();
    for s in &spec.resource_selectors {
        for o in others {
            if o.spec.resource_selectors.iter().any(|x| x.group == s.group && x.kind == s.kind && x.name == s.name) {
                out.push(format!(
                    "the resource {} {} is already selected by ResourceOverride {}; a resource can be selected by one ResourceOverride only",
                    s.kind, s.name, o.name
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use apis::placement::{JsonPatchOverride, OverrideRule, OverrideType};
    use serde_json::json;

    use super::*;

    fn policy(ops: Vec<JsonPatchOverride>) -> OverridePolicy {
        OverridePolicy {
            override_rules: vec![OverrideRule {
                cluster_selector: None,
                override_type: OverrideType::JsonPatch,
                json_patch_overrides: ops,
            }],
        }
    }

    fn op(op: JsonPatchOverrideOperator, path: &str, value: Option<Value>) -> JsonPatchOverride {
        JsonPatchOverride { op, path: path.into(), value }
    }

    #[test]
    fn remove_with_a_value_is_refused_naming_the_path() {
        let errs =
            policy_errors(&policy(vec![op(JsonPatchOverrideOperator::Remove, "/spec/replicas", Some(json!(3)))]));
        assert_eq!(
            errs,
            [
                "spec.policy.overrideRules[0].jsonPatchOverrides[0]: remove operation cannot have value: path /spec/replicas"
            ]
        );
        assert!(policy_errors(&policy(vec![op(JsonPatchOverrideOperator::Remove, "/spec/replicas", None)])).is_empty());
    }

    #[test]
    fn only_the_two_variables_are_allowed_anywhere_in_the_value() {
        let ok = json!({"a": "${MEMBER-CLUSTER-NAME}", "b": ["x-${MEMBER-CLUSTER-LABEL-KEY-region}"]});
        assert!(
            policy_errors(&policy(vec![op(JsonPatchOverrideOperator::Add, "/metadata/labels", Some(ok))])).is_empty()
        );
        for bad in
            [json!("${CLUSTER-NAME}"), json!({"k": ["${MEMBER-CLUSTER-LABEL-KEY-}"]}), json!("${MEMBER-CLUSTER-NAME")]
        {
            let errs = policy_errors(&policy(vec![op(
                JsonPatchOverrideOperator::Add,
                "/metadata/labels/x",
                Some(bad.clone()),
            )]));
            assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
            assert!(
                errs[0].contains("invalid variable") && errs[0].ends_with("path /metadata/labels/x"),
                "{}",
                errs[0]
            );
        }
    }

    #[test]
    fn a_resource_selected_twice_by_one_kind_is_refused() {
        let spec = |name: &str| crate::overrides::fixtures::service_override(name, policy(vec![]));
        let (mine, theirs, unrelated) = (spec("web"), spec("web"), spec("db"));
        let errs = namespaced_conflicts(
            &mine,
            &[Other { name: "ro-a", spec: &theirs }, Other { name: "ro-b", spec: &unrelated }],
        );
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("Service web is already selected by ResourceOverride ro-a"), "{}", errs[0]);
    }
}
