//! What a placement never selects, whatever its selectors say: the fleet's
//! own and Kubernetes' reserved namespaces, the fleet's control kinds, and
//! objects a member's controllers make for themselves. Pure.

use serde_json::Value;

/// Namespaces never placed (nor anything in them).
pub fn reserved_namespace(name: &str) -> bool {
    name == "default" || name.starts_with("kube-") || name.starts_with("fleet-")
}

/// API groups never placed.
const SKIPPED_GROUPS: &[&str] =
    &["cluster.kubernetes-fleet.io", "events.k8s.io", "coordination.k8s.io", "metrics.k8s.io"];

/// Kinds never placed, by group. Stricter than KubeFleet in two ways: core
/// Events (they describe the hub's own objects) and the internal networking
/// kinds (which live in reserved namespaces anyway).
const SKIPPED_KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "Node"),
    ("", "Event"),
    ("networking.fleet.azure.com", "ServiceImport"),
    ("networking.fleet.azure.com", "InternalServiceExport"),
    ("networking.fleet.azure.com", "InternalServiceImport"),
    ("networking.fleet.azure.com", "TrafficManagerProfile"),
    ("networking.fleet.azure.com", "TrafficManagerBackend"),
];

/// The placement group's kinds a user may place: envelopes carry objects.
const PLACEABLE_PLACEMENT_KINDS: &[&str] = &["ClusterResourceEnvelope", "ResourceEnvelope"];

/// Whether objects of this group and kind are never placed.
pub fn skipped_kind(group: &str, kind: &str) -> bool {
    SKIPPED_GROUPS.contains(&group)
        || SKIPPED_KINDS.contains(&(group, kind))
        || (group == apis::placement::GROUP && !PLACEABLE_PLACEMENT_KINDS.contains(&kind))
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// Why this object is never placed, or `None` if it may be. `is_service(ns,
/// name)` says whether a Service of that name exists (its Endpoints are the
/// member's to make).
pub fn skipped_object(obj: &Value, is_service: impl Fn(&str, &str) -> bool) -> Option<&'static str> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let meta = &obj["metadata"];
    let name = meta["name"].as_str().unwrap_or_default();
    let namespace = meta["namespace"].as_str().unwrap_or_default();
    let owned = meta["ownerReferences"].as_array().is_some_and(|o| !o.is_empty());
    if skipped_kind(group_of(api_version), kind) {
        return Some("the fleet never places this kind");
    }
    if !namespace.is_empty() && reserved_namespace(namespace) {
        return Some("it lives in a reserved namespace");
    }
    match (api_version, kind) {
        ("v1", "Namespace") if reserved_namespace(name) => Some("a reserved namespace"),
        ("apps/v1", "ReplicaSet" | "ControllerRevision") if owned => Some("its owner makes it on the member"),
        ("v1", "ConfigMap") if name == "kube-root-ca.crt" => Some("every namespace has its own"),
        ("v1", "ServiceAccount") if name == "default" => Some("every namespace has its own"),
        ("v1", "Secret") if obj["type"] == "kubernetes.io/service-account-token" => {
            Some("a token only the hub can use")
        }
        ("v1", "Endpoints") if is_service(namespace, name) => Some("its Service makes it on the member"),
        ("discovery.k8s.io/v1", "EndpointSlice")
            if meta["labels"]["endpointslice.kubernetes.io/managed-by"].is_string() =>
        {
            Some("its controller makes it on the member")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}})
    }

    #[test]
    fn reserved_namespaces_and_their_contents_are_never_placed() {
        for ns in ["default", "kube-system", "kube-public", "fleet-system", "fleet-member-member-1"] {
            assert!(reserved_namespace(ns), "{ns}");
            assert!(
                skipped_object(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}), |_, _| {
                    false
                })
                .is_some()
            );
            assert!(skipped_object(&obj("v1", "ConfigMap", ns, "c"), |_, _| false).is_some());
        }
        assert!(!reserved_namespace("test-app"));
        assert!(!reserved_namespace("kubelet-things"), "only the kube- prefix");
    }

    #[test]
    fn fleet_control_kinds_are_never_placed_but_envelopes_are() {
        assert!(skipped_kind("placement.kubernetes-fleet.io", "ClusterResourcePlacement"));
        assert!(skipped_kind("placement.kubernetes-fleet.io", "Work"));
        assert!(!skipped_kind("placement.kubernetes-fleet.io", "ResourceEnvelope"));
        assert!(skipped_kind("cluster.kubernetes-fleet.io", "MemberCluster"));
        assert!(skipped_kind("networking.fleet.azure.com", "TrafficManagerBackend"));
        assert!(!skipped_kind("networking.fleet.azure.com", "ServiceExport"), "the seed places its ServiceExport");
        assert!(
            skipped_kind("", "Pod")
                && skipped_kind("events.k8s.io", "Event")
                && skipped_kind("coordination.k8s.io", "Lease")
        );
        assert!(!skipped_kind("apps", "Deployment"));
    }

    #[test]
    fn objects_the_member_makes_itself_are_never_placed() {
        let mut rs = obj("apps/v1", "ReplicaSet", "app", "web-1");
        assert!(skipped_object(&rs, |_, _| false).is_none(), "a bare ReplicaSet is the user's");
        rs["metadata"]["ownerReferences"] = json!([{"kind": "Deployment", "name": "web"}]);
        assert!(skipped_object(&rs, |_, _| false).is_some());
        assert!(skipped_object(&obj("v1", "ConfigMap", "app", "kube-root-ca.crt"), |_, _| false).is_some());
        assert!(skipped_object(&obj("v1", "ServiceAccount", "app", "default"), |_, _| false).is_some());
        assert!(skipped_object(&obj("v1", "ServiceAccount", "app", "builder"), |_, _| false).is_none());
        let mut token = obj("v1", "Secret", "app", "t");
        token["type"] = json!("kubernetes.io/service-account-token");
        assert!(skipped_object(&token, |_, _| false).is_some());
        assert!(skipped_object(&obj("v1", "Secret", "app", "creds"), |_, _| false).is_none());
        let ep = obj("v1", "Endpoints", "app", "nginx");
        assert!(skipped_object(&ep, |ns, n| ns == "app" && n == "nginx").is_some());
        assert!(skipped_object(&ep, |_, _| false).is_none(), "hand-made Endpoints without a Service are placed");
        let mut slice = obj("discovery.k8s.io/v1", "EndpointSlice", "app", "nginx-abc");
        slice["metadata"]["labels"] =
            json!({"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"});
        assert!(skipped_object(&slice, |_, _| false).is_some());
    }
}
