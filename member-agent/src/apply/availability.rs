//! Whether an applied object is available, by kind, with KubeFleet's rules:
//! workloads when their controllers report every replica updated and
//! available at the current generation, a Service once it has an address, a
//! CRD once established, a PodDisruptionBudget once its status is current,
//! plain data at once; everything else cannot be tracked. Works on the object
//! as the member's API server returns it. Pure.

use apis::conditions::placement as p;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    Available,
    NotYetAvailable,
    /// Available as far as anyone can tell: nothing reports readiness.
    NotTrackable,
    /// The object says it failed (a Job), or it is not what its kind says.
    Failed(String),
}

impl Availability {
    /// The manifest condition's status and reason.
    pub fn condition(&self) -> (bool, &'static str) {
        match self {
            Availability::Available => (true, p::REASON_MANIFEST_AVAILABLE),
            Availability::NotTrackable => (true, p::REASON_MANIFEST_NOT_TRACKABLE),
            Availability::NotYetAvailable => (false, p::REASON_MANIFEST_NOT_AVAILABLE_YET),
            Availability::Failed(_) => (false, p::REASON_MANIFEST_AVAILABILITY_FAILED),
        }
    }
}

/// Kinds that are usable as soon as they exist, by (group, kind).
const DATA: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Secret"),
    ("", "ConfigMap"),
    ("", "ServiceAccount"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("networking.k8s.io", "IngressClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIStorageCapacity"),
    ("apps", "ControllerRevision"),
    ("scheduling.k8s.io", "PriorityClass"),
];

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn current(obj: &Value) -> bool {
    obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
}

fn condition_true(obj: &Value, type_: &str) -> bool {
    obj["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == type_ && c["status"] == "True"))
}

/// The availability of `obj` (of `group` and `kind`) as the member reports it.
pub fn of(group: &str, kind: &str, obj: &Value) -> Availability {
    let s = &obj["status"];
    let replicas = || obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let yes = |b: bool| if b { Availability::Available } else { Availability::NotYetAvailable };
    match (group, kind) {
        ("apps", "Deployment") => yes(current(obj)
            && int(&s["availableReplicas"]) == replicas()
            && int(&s["updatedReplicas"]) == replicas()
            && int(&s["unavailableReplicas"]) == 0),
        ("apps", "StatefulSet") => yes(current(obj)
            && int(&s["availableReplicas"]) == replicas()
            && int(&s["currentReplicas"]) == int(&s["updatedReplicas"])
            && s["currentRevision"] == s["updateRevision"]),
        ("apps", "DaemonSet") => yes(current(obj)
            && int(&s["numberAvailable"]) == int(&s["desiredNumberScheduled"])
            && int(&s["currentNumberScheduled"]) == int(&s["updatedNumberScheduled"])),
        // A Job is up once it has run: a pod ready or succeeded, or completion.
        ("batch", "Job") if condition_true(obj, "Failed") => Availability::Failed("the Job failed".into()),
        ("batch", "Job") => yes(condition_true(obj, "Complete") || int(&s["succeeded"]) > 0 || int(&s["ready"]) > 0),
        ("", "Service") => match obj["spec"]["type"].as_str().unwrap_or("ClusterIP") {
            "ClusterIP" | "NodePort" => yes(obj["spec"]["clusterIPs"][0].as_str().is_some_and(|ip| !ip.is_empty())),
            "LoadBalancer" => {
                let ingress = &s["loadBalancer"]["ingress"][0];
                let address = |f: &str| ingress[f].as_str().is_some_and(|v| !v.is_empty());
                yes(address("ip") || address("hostname"))
            }
            _ => Availability::NotTrackable,
        },
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            yes(condition_true(obj, "Established") && condition_true(obj, "NamesAccepted"))
        }
        // Flotilla tracks what KubeFleet cannot: a ServiceExport says whether
        // the member agent exported its Service (Valid), so a rollout need not
        // wait out unavailablePeriodSeconds for it.
        ("networking.fleet.azure.com", "ServiceExport") => {
            let valid = obj["status"]["conditions"].as_array().and_then(|cs| cs.iter().find(|c| c["type"] == "Valid"));
            match valid {
                Some(c) if c["status"] == "True" && c["observedGeneration"] == obj["metadata"]["generation"] => {
                    Availability::Available
                }
                Some(c) if c["status"] == "False" && c["observedGeneration"] == obj["metadata"]["generation"] => {
                    Availability::Failed(format!(
                        "the Service cannot be exported: {}",
                        c["message"].as_str().unwrap_or_default()
                    ))
                }
                _ => Availability::NotYetAvailable,
            }
        }
        ("policy", "PodDisruptionBudget") => {
            let cond_current = obj["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["type"] == "DisruptionAllowed" && c["observedGeneration"] == obj["metadata"]["generation"]
                })
            });
            yes(current(obj) && cond_current)
        }
        _ if DATA.contains(&(group, kind)) => Availability::Available,
        _ => Availability::NotTrackable,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(generation: i64, status: Value) -> Value {
        json!({"metadata": {"generation": generation}, "spec": {"replicas": 2}, "status": status})
    }

    #[test]
    fn a_deployment_is_available_when_every_replica_is_updated_and_available_at_its_generation() {
        let ready = json!({"observedGeneration": 3, "availableReplicas": 2, "updatedReplicas": 2});
        assert_eq!(of("apps", "Deployment", &deployment(3, ready.clone())), Availability::Available);
        assert_eq!(of("apps", "Deployment", &deployment(4, ready)), Availability::NotYetAvailable, "not yet observed");
        let rolling =
            json!({"observedGeneration": 3, "availableReplicas": 2, "updatedReplicas": 1, "unavailableReplicas": 0});
        assert_eq!(of("apps", "Deployment", &deployment(3, rolling)), Availability::NotYetAvailable);
        let unavailable =
            json!({"observedGeneration": 3, "availableReplicas": 2, "updatedReplicas": 2, "unavailableReplicas": 1});
        assert_eq!(of("apps", "Deployment", &deployment(3, unavailable)), Availability::NotYetAvailable);
        // No replicas field means one.
        let one = json!({"metadata": {"generation": 1}, "spec": {}, "status": {"observedGeneration": 1, "availableReplicas": 1, "updatedReplicas": 1}});
        assert_eq!(of("apps", "Deployment", &one), Availability::Available);
    }

    #[test]
    fn a_service_export_is_available_once_its_service_is_exported() {
        let se = |status: &str| {
            json!({"metadata": {"generation": 2}, "status": {"conditions": [
                {"type": "Valid", "status": status, "observedGeneration": 2, "message": "m"}]}})
        };
        let group = "networking.fleet.azure.com";
        assert_eq!(of(group, "ServiceExport", &se("True")), Availability::Available);
        assert!(matches!(of(group, "ServiceExport", &se("False")), Availability::Failed(_)));
        assert_eq!(of(group, "ServiceExport", &json!({"metadata": {"generation": 1}})), Availability::NotYetAvailable);
    }

    #[test]
    fn a_statefulset_needs_its_current_revision_to_be_the_update_revision() {
        let s = |cur: &str| {
            json!({"metadata": {"generation": 1}, "spec": {"replicas": 2}, "status": {"observedGeneration": 1,
                "availableReplicas": 2, "currentReplicas": 2, "updatedReplicas": 2, "currentRevision": cur, "updateRevision": "b"}})
        };
        assert_eq!(of("apps", "StatefulSet", &s("b")), Availability::Available);
        assert_eq!(of("apps", "StatefulSet", &s("a")), Availability::NotYetAvailable);
    }

    #[test]
    fn a_daemonset_is_available_when_every_scheduled_pod_is() {
        let d = |available: i64| {
            json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "numberAvailable": available,
                "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "updatedNumberScheduled": 3}})
        };
        assert_eq!(of("apps", "DaemonSet", &d(3)), Availability::Available);
        assert_eq!(of("apps", "DaemonSet", &d(2)), Availability::NotYetAvailable);
    }

    #[test]
    fn jobs_services_crds_and_pdbs() {
        assert_eq!(of("batch", "Job", &json!({"status": {"ready": 1}})), Availability::Available);
        assert_eq!(of("batch", "Job", &json!({"status": {}})), Availability::NotYetAvailable);
        let failed = json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}});
        assert!(matches!(of("batch", "Job", &failed), Availability::Failed(_)));

        assert_eq!(of("", "Service", &json!({"spec": {"clusterIPs": ["10.0.0.1"]}})), Availability::Available);
        assert_eq!(of("", "Service", &json!({"spec": {"type": "NodePort"}})), Availability::NotYetAvailable);
        let lb = |ingress: Value| json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": ingress}}});
        assert_eq!(of("", "Service", &lb(json!([{"hostname": "a.example"}]))), Availability::Available);
        assert_eq!(of("", "Service", &lb(json!([]))), Availability::NotYetAvailable);
        assert_eq!(of("", "Service", &json!({"spec": {"type": "ExternalName"}})), Availability::NotTrackable);

        let crd = |names: &str| json!({"status": {"conditions": [{"type": "Established", "status": "True"}, {"type": "NamesAccepted", "status": names}]}});
        assert_eq!(of("apiextensions.k8s.io", "CustomResourceDefinition", &crd("True")), Availability::Available);
        assert_eq!(
            of("apiextensions.k8s.io", "CustomResourceDefinition", &crd("False")),
            Availability::NotYetAvailable
        );

        let pdb = |cond_gen: i64| {
            json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
                "conditions": [{"type": "DisruptionAllowed", "status": "False", "observedGeneration": cond_gen}]}})
        };
        assert_eq!(of("policy", "PodDisruptionBudget", &pdb(2)), Availability::Available);
        assert_eq!(of("policy", "PodDisruptionBudget", &pdb(1)), Availability::NotYetAvailable);
    }

    #[test]
    fn data_is_available_at_once_and_the_rest_is_not_trackable() {
        assert_eq!(of("", "ConfigMap", &json!({})), Availability::Available);
        assert_eq!(of("rbac.authorization.k8s.io", "ClusterRole", &json!({})), Availability::Available);
        assert_eq!(of("example.com", "Widget", &json!({})), Availability::NotTrackable);
        assert_eq!(of("networking.k8s.io", "Ingress", &json!({})), Availability::NotTrackable);
        assert_eq!(Availability::NotTrackable.condition(), (true, p::REASON_MANIFEST_NOT_TRACKABLE));
        assert_eq!(Availability::NotYetAvailable.condition(), (false, p::REASON_MANIFEST_NOT_AVAILABLE_YET));
    }
}
