//! What adoption never takes: resources excluded by name (the member does
//! not even read them), objects a controller makes (Pods of a ReplicaSet,
//! ReplicaSets of a Deployment, ControllerRevisions, a CronJob's Jobs),
//! service-account token Secrets (the member withholds them) and the
//! `kube-root-ca.crt` ConfigMap every namespace gets. What the adoption's
//! resource selectors do not select is excluded too. Pure.

use std::collections::BTreeMap;

use apis::placement::{AdoptionResourceSelector, AdoptionSpec, DEFAULT_EXCLUDED_RESOURCES, ExportedObject};
use serde_json::Value;

/// The ConfigMap the root CA publisher puts in every namespace.
const ROOT_CA_CONFIG_MAP: &str = "kube-root-ca.crt";

/// The `resource[.group]` names the member does not read.
pub fn excluded_resources(spec: &AdoptionSpec) -> Vec<String> {
    match &spec.excluded_resources {
        Some(list) => list.clone(),
        None => DEFAULT_EXCLUDED_RESOURCES.iter().map(|s| s.to_string()).collect(),
    }
}

/// A selector's kind that matches every kind (its group is then ignored).
pub const ANY_KIND: &str = "*";

/// Why `o` is not adopted, or `None` if it is.
pub fn reason(o: &ExportedObject, selectors: &[AdoptionResourceSelector]) -> Option<String> {
    if !o.controlled_by.is_empty() {
        return Some(format!("controlled by {}, which makes it", o.controlled_by));
    }
    if !o.withheld.is_empty() {
        return Some(o.withheld.clone());
    }
    let r = &o.reference;
    if r.group.is_empty() && r.kind == "ConfigMap" && r.name == ROOT_CA_CONFIG_MAP {
        return Some("published in every namespace by the cluster".into());
    }
    if !selectors.is_empty() && !selectors.iter().any(|s| selects(s, o)) {
        return Some("not selected by resourceSelectors".into());
    }
    None
}

fn selects(s: &AdoptionResourceSelector, o: &ExportedObject) -> bool {
    let any_kind = s.kind == ANY_KIND;
    if !any_kind && (s.group != o.reference.group || s.kind != o.reference.kind) {
        return false;
    }
    let Some(selector) = &s.label_selector else { return true };
    let labels: BTreeMap<String, String> = o
        .object
        .as_ref()
        .and_then(|v| v["metadata"]["labels"].as_object())
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    crate::scheduler::label_selector::matches(selector, &labels).unwrap_or(false)
}

/// Whether `obj` is a workload: something that runs Pods, so it is wrapped
/// in an envelope on the hub (where it must not run) and its Pods are watched.
pub fn is_workload(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
            | ("batch", "Job" | "CronJob")
            | ("", "Pod" | "ReplicationController")
    )
}

/// Whether a live object is a Pod owner the adoption can watch the Pods of.
pub fn runs_pods(obj: &Value) -> bool {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let group = obj["apiVersion"].as_str().unwrap_or_default().rsplit_once('/').map(|(g, _)| g).unwrap_or_default();
    is_workload(group, kind) && kind != "CronJob"
}

#[cfg(test)]
mod tests {
    use apis::placement::ObjectReference;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    use serde_json::json;

    use super::*;

    fn object(group: &str, kind: &str, name: &str, labels: Value) -> ExportedObject {
        let api_version = if group.is_empty() { "v1".to_string() } else { format!("{group}/v1") };
        ExportedObject {
            reference: ObjectReference {
                group: group.into(),
                version: "v1".into(),
                kind: kind.into(),
                namespace: "app".into(),
                name: name.into(),
            },
            object: Some(
                json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "labels": labels}}),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_exclude_kosmos_list_and_leases_and_an_explicit_list_replaces_them() {
        let mut spec = AdoptionSpec::default();
        let d = excluded_resources(&spec);
        for r in [
            "events",
            "events.events.k8s.io",
            "endpoints",
            "endpointslices.discovery.k8s.io",
            "leases.coordination.k8s.io",
        ] {
            assert!(d.contains(&r.to_string()), "{r}");
        }
        spec.excluded_resources = Some(vec!["secrets".into()]);
        assert_eq!(excluded_resources(&spec), ["secrets"]);
    }

    #[test]
    fn controlled_withheld_root_ca_and_unselected_objects_are_excluded() {
        let mut rs = object("apps", "ReplicaSet", "web-5d", json!({}));
        rs.controlled_by = "Deployment/web".into();
        rs.object = None;
        assert!(reason(&rs, &[]).unwrap().contains("Deployment/web"));
        let mut token = object("", "Secret", "sa-token", json!({}));
        token.withheld = "a service-account token".into();
        assert_eq!(reason(&token, &[]).as_deref(), Some("a service-account token"));
        assert!(reason(&object("", "ConfigMap", "kube-root-ca.crt", json!({})), &[]).is_some());
        let cm = object("", "ConfigMap", "settings", json!({"tier": "web"}));
        assert_eq!(reason(&cm, &[]), None, "everything else is adopted");

        let only_web_config = [AdoptionResourceSelector {
            group: "".into(),
            kind: "ConfigMap".into(),
            label_selector: Some(serde_json::from_value(json!({"matchLabels": {"tier": "web"}})).unwrap()),
        }];
        assert_eq!(reason(&cm, &only_web_config), None);
        let other = object("", "ConfigMap", "other", json!({"tier": "db"}));
        assert_eq!(reason(&other, &only_web_config).as_deref(), Some("not selected by resourceSelectors"));
        let deploy = object("apps", "Deployment", "web", json!({"tier": "web"}));
        assert!(reason(&deploy, &only_web_config).is_some(), "another kind is not selected");
    }

    #[test]
    fn a_selector_of_any_kind_selects_by_labels_alone() {
        let busybox = AdoptionResourceSelector {
            group: String::new(),
            kind: ANY_KIND.into(),
            label_selector: Some(LabelSelector {
                match_labels: Some([("app".to_string(), "busybox".to_string())].into()),
                ..Default::default()
            }),
        };
        let labelled = |group: &str, kind: &str, app: &str| {
            let mut o = object(group, kind, "x", json!({}));
            o.object = Some(json!({"metadata": {"labels": {"app": app}}}));
            o
        };
        let s = std::slice::from_ref(&busybox);
        assert_eq!(reason(&labelled("apps", "Deployment", "busybox"), s), None);
        assert_eq!(reason(&labelled("", "ConfigMap", "busybox"), s), None);
        assert!(reason(&labelled("apps", "Deployment", "nginx"), s).is_some());
    }

    #[test]
    fn workloads_are_what_runs_pods() {
        assert!(is_workload("apps", "Deployment") && is_workload("apps", "StatefulSet") && is_workload("batch", "Job"));
        assert!(is_workload("", "Pod") && is_workload("batch", "CronJob"));
        assert!(
            !is_workload("", "ConfigMap")
                && !is_workload("", "Service")
                && !is_workload("rbac.authorization.k8s.io", "Role")
        );
        assert!(runs_pods(&json!({"apiVersion": "apps/v1", "kind": "StatefulSet"})));
        assert!(!runs_pods(&json!({"apiVersion": "batch/v1", "kind": "CronJob"})), "a CronJob's Pods come and go");
    }
}
