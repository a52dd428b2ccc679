//! The order objects take in a snapshot, and so on a member: what others
//! depend on first (namespaces, then config and storage, CRDs, RBAC, then
//! workloads, then webhooks), the rest after. A fixed order makes the hash
//! stable. Pure.

use std::cmp::Ordering;

use serde_json::Value;

/// KubeFleet's kind order; unknown kinds come after all of these.
const KIND_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().fold(v, |v, k| &v[*k]).as_str().unwrap_or_default()
}

fn key(v: &Value) -> (usize, String, String) {
    let kind = str_at(v, &["kind"]);
    let api_version = str_at(v, &["apiVersion"]);
    let object = format!("{}/{}", str_at(v, &["metadata", "namespace"]), str_at(v, &["metadata", "name"]));
    match KIND_ORDER.iter().position(|k| *k == kind) {
        Some(i) => (i, api_version.to_string(), object),
        // Go's GVK.String(): "<group>/<version>, Kind=<Kind>".
        None => {
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            (KIND_ORDER.len(), format!("{group}/{version}, Kind={kind}"), object)
        }
    }
}

pub fn compare(a: &Value, b: &Value) -> Ordering {
    key(a).cmp(&key(b))
}

pub fn sort(objects: &mut [Value]) {
    objects.sort_by(compare);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn o(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}})
    }

    fn names(v: &[Value]) -> Vec<String> {
        v.iter()
            .map(|o| format!("{}/{}", o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap()))
            .collect()
    }

    #[test]
    fn dependencies_first_unknown_kinds_last_then_by_version_and_name() {
        let mut objs = vec![
            o("networking.fleet.azure.com/v1alpha1", "ServiceExport", "test-app", "nginx-service"),
            o("apps/v1", "Deployment", "test-app", "web"),
            o("v1", "Service", "test-app", "nginx-service"),
            o("v1", "ConfigMap", "test-app", "b"),
            o("v1", "ConfigMap", "test-app", "a"),
            o("v1", "Namespace", "", "test-app"),
            o("example.com/v1", "Widget", "test-app", "w"),
        ];
        sort(&mut objs);
        assert_eq!(
            names(&objs),
            [
                "Namespace/test-app",
                "ConfigMap/a",
                "ConfigMap/b",
                "Service/nginx-service",
                "Deployment/web",
                "Widget/w",
                "ServiceExport/nginx-service"
            ],
            "unknown kinds by \"<group>/<version>, Kind=<Kind>\""
        );
    }
}
