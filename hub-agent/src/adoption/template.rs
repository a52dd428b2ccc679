//! A member's live object as a hub template: what a placement would strip
//! anyway (server-set metadata, status, cluster IPs, node ports, a Job's
//! generated selector), plus what only the member's own controllers may
//! hold: finalizers (nothing on the hub would remove them), owner
//! references, a claim's bound volume and its binding annotations, a Pod's
//! node, a ServiceAccount's token references, a Namespace's finalizers. The
//! placement then takes the object over as it is (`IfNoDiff`), comparing
//! only what the template keeps. Pure.

use serde_json::{Map, Value};

use crate::placement::selection::sanitize::{remove_keys, sanitize};

/// Annotations the member's controllers set on a claim when they bind it.
const CLAIM_ANNOTATIONS: &[&str] = &[
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.kubernetes.io/selected-node",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
];

/// Metadata the API server sets: leaving it out is no difference worth naming.
const SERVER_METADATA: &[&str] =
    &["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp"];

pub fn template(live: &Value) -> Value {
    let mut obj = sanitize(live);
    let Some(root) = obj.as_object_mut() else { return obj };
    if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("finalizers");
        meta.remove("deletionGracePeriodSeconds");
    }
    let kind = root.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    let core = root.get("apiVersion").and_then(Value::as_str) == Some("v1");
    match (core, kind.as_str()) {
        (true, "PersistentVolumeClaim") => {
            if let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("volumeName");
            }
            if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
                remove_keys(meta, "annotations", CLAIM_ANNOTATIONS);
            }
        }
        (true, "Pod") => {
            if let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("nodeName");
            }
        }
        (true, "ServiceAccount") => {
            root.remove("secrets");
        }
        (true, "Namespace") => {
            root.remove("spec");
        }
        _ => {}
    }
    obj
}

/// The paths of `live` the template leaves out, as `spec.clusterIP` or
/// `metadata.annotations[pv.kubernetes.io/bind-completed]`: what the
/// adoption's status names for each object. Status and server-set metadata
/// are not named.
pub fn dropped(live: &Value, template: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(l), Some(t)) = (live.as_object(), template.as_object()) else { return out };
    for (k, v) in l {
        match k.as_str() {
            "status" => {}
            "metadata" => {
                let empty = Value::Object(Map::new());
                let tm = t.get("metadata").unwrap_or(&empty);
                for (mk, mv) in v.as_object().into_iter().flatten() {
                    if SERVER_METADATA.contains(&mk.as_str()) {
                        continue;
                    }
                    // Labels and annotations: each key, whether or not any is kept.
                    match (mv, tm.get(mk)) {
                        (Value::Object(entries), kept) => {
                            let kept = kept.and_then(Value::as_object);
                            for key in entries.keys().filter(|key| !kept.is_some_and(|k| k.contains_key(*key))) {
                                out.push(format!("metadata.{mk}[{key}]"));
                            }
                        }
                        (_, None) => out.push(format!("metadata.{mk}")),
                        _ => {}
                    }
                }
            }
            _ => walk(k, v, t.get(k), &mut out),
        }
    }
    out
}

fn walk(path: &str, live: &Value, kept: Option<&Value>, out: &mut Vec<String>) {
    match (live, kept) {
        (_, None) => out.push(path.to_string()),
        (Value::Object(l), Some(Value::Object(t))) => {
            for (k, v) in l {
                walk(&format!("{path}.{k}"), v, t.get(k), out);
            }
        }
        (Value::Array(l), Some(Value::Array(t))) if l.len() == t.len() => {
            for (i, (a, b)) in l.iter().zip(t).enumerate() {
                walk(&format!("{path}[{i}]"), a, Some(b), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_bound_claim_loses_its_binding_and_the_paths_say_so() {
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "app", "uid": "u", "resourceVersion": "9",
                         "finalizers": ["kubernetes.io/pvc-protection"],
                         "annotations": {"pv.kubernetes.io/bind-completed": "yes", "team": "a"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "volumeName": "pvc-123", "storageClassName": "standard"},
            "status": {"phase": "Bound"}});
        let t = template(&pvc);
        assert_eq!(
            t,
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                   "metadata": {"name": "data", "namespace": "app", "annotations": {"team": "a"}},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                            "storageClassName": "standard"}})
        );
        assert_eq!(
            dropped(&pvc, &t),
            ["metadata.annotations[pv.kubernetes.io/bind-completed]", "metadata.finalizers", "spec.volumeName"]
        );
    }

    #[test]
    fn a_deployment_keeps_its_spec_and_loses_what_its_controller_writes() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "app", "generation": 3, "labels": {"app": "web"},
                         "annotations": {"deployment.kubernetes.io/revision": "1"},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "y"}]},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "terminationMessagePath": "/dev/termination-log"}]}}},
            "status": {"replicas": 2}});
        let t = template(&d);
        assert_eq!(t["spec"], d["spec"], "every field of the spec, defaults included: nothing differs");
        assert_eq!(t["metadata"], json!({"name": "web", "namespace": "app", "labels": {"app": "web"}}));
        assert_eq!(
            dropped(&d, &t),
            ["metadata.annotations[deployment.kubernetes.io/revision]", "metadata.ownerReferences"]
        );
    }

    #[test]
    fn services_pods_accounts_and_namespaces_lose_what_their_cluster_allocates() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"], "ports": [{"port": 80}], "selector": {"app": "web"}}});
        let t = template(&svc);
        assert_eq!(t["spec"], json!({"ports": [{"port": 80}], "selector": {"app": "web"}}));
        assert_eq!(dropped(&svc, &t), ["spec.clusterIP", "spec.clusterIPs"]);
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"nodeName": "n1", "containers": []}});
        assert_eq!(template(&pod)["spec"], json!({"containers": []}));
        let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}, "secrets": [{"name": "a-token"}]});
        assert_eq!(template(&sa), json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}}));
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"kubernetes.io/metadata.name": "app"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        assert_eq!(
            template(&ns),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"kubernetes.io/metadata.name": "app"}}})
        );
    }
}
