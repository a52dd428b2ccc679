//! Strips what belongs to the hub's copy of an object, not to the object a
//! member should get: server-set metadata, status, tooling annotations, and
//! values the member's API server allocates itself (a Service's cluster IPs
//! and node ports, a Job's generated selector). What remains is hashed, so
//! the same object always sanitizes to the same JSON. Pure.

use serde_json::{Map, Value};

/// Server-set metadata fields.
const METADATA_FIELDS: &[&str] = &[
    "resourceVersion",
    "generation",
    "uid",
    "selfLink",
    "deletionTimestamp",
    "managedFields",
    "creationTimestamp",
    "ownerReferences",
];

/// Annotations written by tools and controllers on the hub.
const ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision"];

/// The labels a Job controller derives from the Job's UID.
const JOB_UID_LABELS: &[&str] = &["controller-uid", "batch.kubernetes.io/controller-uid"];

/// The object as it goes into a resource snapshot.
pub fn sanitize(obj: &Value) -> Value {
    let mut obj = obj.clone();
    let Some(root) = obj.as_object_mut() else { return obj };
    root.remove("status");
    if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in METADATA_FIELDS {
            meta.remove(*f);
        }
        remove_keys(meta, "annotations", ANNOTATIONS);
    }
    let api_version = root.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
    let kind = root.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "Service") => service(root),
        ("batch/v1", "Job") => job(root),
        _ => {}
    }
    obj
}

/// Removes `keys` from the map at `field` of `parent`, and the map itself if it empties.
pub fn remove_keys(parent: &mut Map<String, Value>, field: &str, keys: &[&str]) {
    if let Some(m) = parent.get_mut(field).and_then(Value::as_object_mut) {
        for k in keys {
            m.remove(*k);
        }
        if m.is_empty() {
            parent.remove(field);
        }
    }
}

/// Cluster IPs are allocated per cluster (a headless Service's `None` is not
/// an allocation and stays), and so are node ports.
fn service(root: &mut Map<String, Value>) {
    let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) else { return };
    if spec.get("clusterIP").and_then(Value::as_str) != Some("None") {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    spec.remove("healthCheckNodePort");
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            p.remove("nodePort");
        }
    }
}

/// Without `manualSelector`, the Job controller derives selector and template
/// labels from the Job's UID, which differs on every member: those keys go
/// (the `job-name` labels stay, as in KubeFleet).
fn job(root: &mut Map<String, Value>) {
    let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) else { return };
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    if let Some(selector) = spec.get_mut("selector").and_then(Value::as_object_mut) {
        remove_keys(selector, "matchLabels", JOB_UID_LABELS);
    }
    if let Some(meta) = spec.get_mut("template").and_then(|t| t.get_mut("metadata")).and_then(Value::as_object_mut) {
        meta.remove("creationTimestamp");
        remove_keys(meta, "labels", JOB_UID_LABELS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_set_metadata_status_and_tool_annotations_go() {
        let obj = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u", "resourceVersion": "7", "generation": 1,
                         "creationTimestamp": "2024-01-01T00:00:00Z", "managedFields": [{}], "ownerReferences": [{}],
                         "labels": {"app": "x"},
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"}},
            "data": {"k": "v"}, "status": {"x": 1}
        });
        assert_eq!(
            sanitize(&obj),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "c", "namespace": "n", "labels": {"app": "x"}, "annotations": {"team": "a"}},
                   "data": {"k": "v"}})
        );
        let only_tool = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
            "annotations": {"deployment.kubernetes.io/revision": "3"}}});
        assert_eq!(sanitize(&only_tool)["metadata"], json!({"name": "c"}), "an emptied map goes too");
    }

    #[test]
    fn a_service_loses_what_each_cluster_allocates() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.5", "clusterIPs": ["10.0.0.5"], "healthCheckNodePort": 31000,
                     "ports": [{"port": 80, "targetPort": 80, "nodePort": 30080}], "selector": {"app": "nginx"}}});
        assert_eq!(
            sanitize(&svc)["spec"],
            json!({"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 80}], "selector": {"app": "nginx"}})
        );
        let headless = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h"},
            "spec": {"clusterIP": "None", "clusterIPs": ["None"]}});
        assert_eq!(sanitize(&headless)["spec"]["clusterIP"], "None", "headless stays headless");
    }

    #[test]
    fn a_job_loses_what_derives_from_its_uid_unless_it_chose_its_selector() {
        let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u", "tier": "batch"}},
                     "template": {"metadata": {"creationTimestamp": null,
                                               "labels": {"batch.kubernetes.io/controller-uid": "u", "controller-uid": "u",
                                                          "batch.kubernetes.io/job-name": "j", "job-name": "j", "app": "x"}}}}});
        let s = sanitize(&job);
        assert_eq!(s["spec"]["selector"], json!({"matchLabels": {"tier": "batch"}}));
        assert_eq!(
            s["spec"]["template"]["metadata"],
            json!({"labels": {"batch.kubernetes.io/job-name": "j", "job-name": "j", "app": "x"}})
        );
        let mut manual = job.clone();
        manual["spec"]["manualSelector"] = json!(true);
        assert_eq!(sanitize(&manual)["spec"]["selector"], job["spec"]["selector"], "a chosen selector is the user's");
    }

    #[test]
    fn sanitizing_is_idempotent() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "uid": "u"},
            "spec": {"clusterIP": "10.0.0.5", "ports": [{"port": 80, "nodePort": 30080}]}, "status": {}});
        assert_eq!(sanitize(&sanitize(&svc)), sanitize(&svc));
    }
}
