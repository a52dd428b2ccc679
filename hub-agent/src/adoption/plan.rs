//! An adoption's plan, from what the member exported: each object's fate
//! (`Planned`, with the paths its template leaves out, or `Excluded` with
//! why), the hub templates, the workloads whose Pods are watched, and
//! whatever makes adopting impossible (a missing namespace, an object or a
//! resource the member could not export). Pure.
//!
//! Every template but the Namespace is wrapped in a ResourceEnvelope of its
//! own: nothing adopted acts on the hub (a Deployment would run, a
//! RoleBinding would grant, a Service would take an IP), and the hub agent
//! needs no right to write arbitrary kinds.

use apis::placement::{
    AdoptedResource, AdoptionResult, AdoptionSpec, ObjectReference, PodFact, ResourceExportStatus, WorkloadPods,
};
use serde_json::{Value, json};

use super::{exclude, template};

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub resources: Vec<AdoptedResource>,
    /// The Namespaces, as the member has them.
    pub namespaces: Vec<Value>,
    /// Everything else to create on the hub, in its namespace.
    pub templates: Vec<Value>,
    /// The workloads adopted, with their Pods now.
    pub workloads: Vec<WorkloadPods>,
    /// Why the namespaces cannot be adopted; empty if they can.
    pub refused: Vec<String>,
}

impl Plan {
    pub fn adopted_count(&self) -> i32 {
        self.resources.iter().filter(|r| r.result != AdoptionResult::Excluded).count() as i32
    }
}

/// The ResourceEnvelope holding the template of `r` on the hub.
pub fn envelope_name(r: &ObjectReference) -> String {
    super::names::fit(&format!("adopted-{}-{}", r.kind.to_lowercase(), r.name), 253)
}

pub fn plan(spec: &AdoptionSpec, export: &ResourceExportStatus) -> Plan {
    let mut p = Plan::default();
    for ns in &export.namespaces {
        match (&ns.object, ns.found) {
            (Some(o), true) => p.namespaces.push(template::template(o)),
            _ => p.refused.push(format!("namespace {} does not exist on cluster {}", ns.name, spec.cluster_name)),
        }
    }
    for e in &export.errors {
        p.refused.push(format!("cluster {} could not export {e}", spec.cluster_name));
    }
    for o in &export.objects {
        let r = &o.reference;
        let mut entry = AdoptedResource { reference: r.clone(), ..Default::default() };
        if let Some(why) = exclude::reason(o, &spec.resource_selectors) {
            entry.result = AdoptionResult::Excluded;
            entry.reason = why;
        } else if !o.error.is_empty() || o.object.is_none() {
            entry.result = AdoptionResult::Failed;
            entry.reason = if o.error.is_empty() { "not exported".into() } else { o.error.clone() };
            p.refused.push(format!("{} {}/{} cannot be exported: {}", r.kind, r.namespace, r.name, entry.reason));
        } else if let Some(live) = &o.object {
            let t = template::template(live);
            entry.diff_paths = template::dropped(live, &t);
            p.templates.push(envelope(r, t));
            if exclude::runs_pods(live) {
                p.workloads.push(WorkloadPods {
                    kind: r.kind.clone(),
                    namespace: r.namespace.clone(),
                    name: r.name.clone(),
                    before: pods_of(export, r),
                    after: None,
                });
            }
        }
        p.resources.push(entry);
    }
    p
}

fn envelope(r: &ObjectReference, template: Value) -> Value {
    json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ResourceEnvelope",
        "metadata": {"name": envelope_name(r), "namespace": r.namespace},
        "data": {format!("{}.yaml", r.kind.to_lowercase()): template},
    })
}

/// The Pods workload `w` runs, as `export` saw them: its own, or (a
/// Deployment's) those of the ReplicaSets it controls. Sorted by name.
pub fn pods_of(export: &ResourceExportStatus, w: &ObjectReference) -> Vec<PodFact> {
    let owner = format!("{}/{}", w.kind, w.name);
    // A Deployment's Pods belong to its ReplicaSets.
    let replica_sets: Vec<String> = (export.objects.iter())
        .filter(|o| {
            o.reference.namespace == w.namespace && o.reference.kind == "ReplicaSet" && o.controlled_by == owner
        })
        .map(|o| format!("ReplicaSet/{}", o.reference.name))
        .collect();
    let mut pods: Vec<PodFact> = (export.pods.iter())
        .filter(|p| p.namespace == w.namespace && (p.controlled_by == owner || replica_sets.contains(&p.controlled_by)))
        .map(|p| p.pod.clone())
        .collect();
    if w.kind == "Pod" {
        pods.extend(
            export.pods.iter().filter(|p| p.namespace == w.namespace && p.pod.name == w.name).map(|p| p.pod.clone()),
        );
    }
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods
}

/// Each workload of `before` with its Pods as `export` sees them now.
pub fn observed(before: &[WorkloadPods], export: &ResourceExportStatus) -> Vec<WorkloadPods> {
    before
        .iter()
        .map(|w| {
            let r = ObjectReference {
                kind: w.kind.clone(),
                namespace: w.namespace.clone(),
                name: w.name.clone(),
                ..Default::default()
            };
            WorkloadPods { after: Some(pods_of(export, &r)), ..w.clone() }
        })
        .collect()
}

/// The objects an adoption took, by reference, to hand back on release.
pub fn adopted_references(resources: &[AdoptedResource]) -> Vec<ObjectReference> {
    let mut refs: Vec<ObjectReference> =
        resources.iter().filter(|r| r.result != AdoptionResult::Excluded).map(|r| r.reference.clone()).collect();
    refs.sort();
    refs
}

#[cfg(test)]
mod tests {
    use apis::placement::{AdoptedNamespaces, ExportedNamespace, ExportedObject, ExportedPod};

    use super::*;

    fn reference(group: &str, kind: &str, name: &str) -> ObjectReference {
        ObjectReference {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: "app".into(),
            name: name.into(),
        }
    }

    fn live(group: &str, kind: &str, name: &str, spec: Value) -> ExportedObject {
        let api_version = if group.is_empty() { "v1".to_string() } else { format!("{group}/v1") };
        ExportedObject {
            reference: reference(group, kind, name),
            object: Some(json!({"apiVersion": api_version, "kind": kind,
                                "metadata": {"name": name, "namespace": "app", "uid": format!("uid-{name}")}, "spec": spec})),
            ..Default::default()
        }
    }

    fn pod(name: &str, owner: &str, restarts: i32) -> ExportedPod {
        ExportedPod {
            namespace: "app".into(),
            controlled_by: owner.into(),
            pod: PodFact { name: name.into(), uid: format!("uid-{name}"), restarts, template_hash: "5d".into() },
        }
    }

    fn spec() -> AdoptionSpec {
        AdoptionSpec {
            cluster_name: "member-1".into(),
            namespaces: AdoptedNamespaces { names: Some(vec!["app".into()]), selector: None },
            ..Default::default()
        }
    }

    fn export() -> ResourceExportStatus {
        let mut rs = ExportedObject { reference: reference("apps", "ReplicaSet", "web-5d"), ..Default::default() };
        rs.controlled_by = "Deployment/web".into();
        ResourceExportStatus {
            namespaces: vec![ExportedNamespace {
                name: "app".into(),
                found: true,
                object: Some(
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "uid": "n"}, "spec": {"finalizers": ["kubernetes"]}}),
                ),
            }],
            objects: vec![
                live("apps", "Deployment", "web", json!({"replicas": 2})),
                rs,
                live("apps", "StatefulSet", "db", json!({"replicas": 1})),
                live("", "ConfigMap", "settings", json!(null)),
                live("", "Service", "web", json!({"clusterIP": "10.0.0.1", "ports": [{"port": 80}]})),
            ],
            pods: vec![
                pod("web-5d-b", "ReplicaSet/web-5d", 0),
                pod("web-5d-a", "ReplicaSet/web-5d", 1),
                pod("db-0", "StatefulSet/db", 0),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn templates_go_in_envelopes_and_workloads_with_their_pods() {
        let p = plan(&spec(), &export());
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(p.namespaces, [json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}})]);
        let kinds: Vec<(&str, &str)> = p
            .templates
            .iter()
            .map(|t| (t["kind"].as_str().unwrap(), t["metadata"]["name"].as_str().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("ResourceEnvelope", "adopted-deployment-web"),
                ("ResourceEnvelope", "adopted-statefulset-db"),
                ("ResourceEnvelope", "adopted-configmap-settings"),
                ("ResourceEnvelope", "adopted-service-web")
            ],
            "every template in an envelope of its own"
        );
        assert_eq!(p.templates[3]["data"]["service.yaml"]["spec"], json!({"ports": [{"port": 80}]}));
        assert_eq!(p.templates[0]["data"]["deployment.yaml"]["spec"], json!({"replicas": 2}));
        assert_eq!(p.templates[0]["metadata"]["namespace"], "app");
        let results: Vec<(&str, AdoptionResult)> =
            p.resources.iter().map(|r| (r.reference.name.as_str(), r.result)).collect();
        assert_eq!(
            results,
            [
                ("web", AdoptionResult::Planned),
                ("web-5d", AdoptionResult::Excluded),
                ("db", AdoptionResult::Planned),
                ("settings", AdoptionResult::Planned),
                ("web", AdoptionResult::Planned)
            ]
        );
        assert_eq!(p.resources[4].diff_paths, ["spec.clusterIP"]);
        assert_eq!(p.adopted_count(), 4);
        let web = &p.workloads[0];
        assert_eq!((web.kind.as_str(), web.name.as_str()), ("Deployment", "web"));
        let names: Vec<&str> = web.before.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["web-5d-a", "web-5d-b"], "a Deployment's Pods through its ReplicaSet, by name");
        assert_eq!(p.workloads[1].before.len(), 1);
    }

    #[test]
    fn a_missing_namespace_an_unreadable_resource_or_a_refused_object_stops_the_adoption() {
        let mut e = export();
        e.namespaces.push(ExportedNamespace { name: "gone".into(), found: false, object: None });
        e.errors.push("secrets: forbidden".into());
        let mut big = live("", "ConfigMap", "huge", json!(null));
        big.object = None;
        big.error = "too large to export: 2000000 bytes".into();
        e.objects.push(big);
        let p = plan(&spec(), &e);
        assert_eq!(p.refused.len(), 3, "{:?}", p.refused);
        assert!(p.refused[0].contains("namespace gone does not exist on cluster member-1"));
        assert!(p.refused[1].contains("secrets: forbidden"));
        assert!(p.refused[2].contains("too large"));
        assert_eq!(p.resources.last().unwrap().result, AdoptionResult::Failed);
    }

    #[test]
    fn the_pods_seen_later_fill_in_after() {
        let p = plan(&spec(), &export());
        let mut later = export();
        later.pods[0].pod.restarts = 3;
        let seen = observed(&p.workloads, &later);
        let after = seen[0].after.as_ref().unwrap();
        assert_eq!(after.iter().map(|p| p.restarts).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(seen[0].before, p.workloads[0].before);
        let refs = adopted_references(&p.resources);
        assert_eq!(refs.len(), 4);
        assert!(
            !refs.iter().any(|r| r.kind == "ReplicaSet"),
            "what was excluded is not handed back: it was never taken"
        );
    }
}
