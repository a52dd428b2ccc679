//! What the member exports of one live object: a controlled object by name
//! only (its controller makes it), a service-account token Secret withheld
//! (a credential never leaves the cluster), anything larger than the limit
//! refused, everything else whole without managedFields; and each Pod's
//! identity, restarts and template revision. Pure.

use apis::placement::{ExportedObject, ExportedPod, ObjectReference, PodFact};
use serde_json::Value;

/// The largest object exported (the export's whole status must stay below
/// the API server's 1.5 MiB request limit).
pub const MAX_OBJECT_BYTES: usize = 256 * 1024;

/// The Secret type whose data is a service-account credential.
const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";

/// `Kind/name` of the object's controller, if one controls it.
pub fn controller(obj: &Value) -> Option<String> {
    let owners = obj["metadata"]["ownerReferences"].as_array()?;
    let c = owners.iter().find(|o| o["controller"].as_bool() == Some(true))?;
    Some(format!("{}/{}", c["kind"].as_str()?, c["name"].as_str()?))
}

pub fn object(reference: ObjectReference, live: &Value) -> ExportedObject {
    let mut out = ExportedObject { reference, ..Default::default() };
    if let Some(c) = controller(live) {
        out.controlled_by = c;
        return out;
    }
    if out.reference.group.is_empty()
        && out.reference.kind == "Secret"
        && live["type"].as_str() == Some(SERVICE_ACCOUNT_TOKEN)
    {
        out.withheld = "a service-account token: its controller makes it".into();
        return out;
    }
    let mut obj = live.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let size = serde_json::to_vec(&obj).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_OBJECT_BYTES {
        out.error = format!("too large to export: {size} bytes, at most {MAX_OBJECT_BYTES}");
        return out;
    }
    out.object = Some(obj);
    out
}

/// A Pod as adoption verifies it.
pub fn pod(live: &Value) -> ExportedPod {
    let meta = &live["metadata"];
    let labels = &meta["labels"];
    let hash = labels["pod-template-hash"].as_str().or_else(|| labels["controller-revision-hash"].as_str());
    let restarts = live["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .chain(live["status"]["initContainerStatuses"].as_array())
        .flatten()
        .map(|c| c["restartCount"].as_i64().unwrap_or(0) as i32)
        .sum();
    ExportedPod {
        namespace: meta["namespace"].as_str().unwrap_or_default().to_string(),
        controlled_by: controller(live).unwrap_or_default(),
        pod: PodFact {
            name: meta["name"].as_str().unwrap_or_default().to_string(),
            uid: meta["uid"].as_str().unwrap_or_default().to_string(),
            restarts,
            template_hash: hash.unwrap_or_default().to_string(),
        },
    }
}

/// Whether `resource` of `group` is among `excluded` (`resource[.group]` names).
pub fn excluded(excluded: &[String], resource: &str, group: &str) -> bool {
    let name = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
    excluded.contains(&name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn r(kind: &str, name: &str) -> ObjectReference {
        ObjectReference {
            version: "v1".into(),
            kind: kind.into(),
            namespace: "app".into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn controlled_objects_go_by_name_tokens_stay_and_the_rest_goes_whole() {
        let rs = json!({"metadata": {"name": "web-5d", "ownerReferences": [
            {"kind": "Deployment", "name": "web", "controller": true}, {"kind": "Other", "name": "x"}]}});
        let e = object(r("ReplicaSet", "web-5d"), &rs);
        assert_eq!((e.controlled_by.as_str(), e.object.is_none()), ("Deployment/web", true));

        let token = json!({"type": "kubernetes.io/service-account-token", "metadata": {"name": "t"}, "data": {"token": "c2VjcmV0"}});
        let e = object(r("Secret", "t"), &token);
        assert!(e.object.is_none() && e.withheld.contains("service-account token"));

        let cm = json!({"metadata": {"name": "c", "managedFields": [{"manager": "kubectl"}],
                                     "ownerReferences": [{"kind": "Thing", "name": "t"}]}, "data": {"k": "v"}});
        let e = object(r("ConfigMap", "c"), &cm);
        assert_eq!(
            e.object,
            Some(
                json!({"metadata": {"name": "c", "ownerReferences": [{"kind": "Thing", "name": "t"}]}, "data": {"k": "v"}})
            )
        );
        assert!(e.controlled_by.is_empty(), "an owner that is not a controller does not make it");
    }

    #[test]
    fn an_object_over_the_limit_is_refused_with_its_size() {
        let big = json!({"metadata": {"name": "big"}, "data": {"k": "x".repeat(MAX_OBJECT_BYTES)}});
        let e = object(r("ConfigMap", "big"), &big);
        assert!(e.object.is_none() && e.error.starts_with("too large to export"), "{}", e.error);
    }

    #[test]
    fn a_pod_says_who_it_is_how_often_it_restarted_and_which_template_it_runs() {
        let p = json!({"metadata": {"name": "web-5d-a", "namespace": "app", "uid": "u1",
                                    "labels": {"pod-template-hash": "5d"},
                                    "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d", "controller": true}]},
                       "status": {"containerStatuses": [{"restartCount": 1}, {"restartCount": 2}],
                                  "initContainerStatuses": [{"restartCount": 1}]}});
        let e = pod(&p);
        assert_eq!(e.controlled_by, "ReplicaSet/web-5d");
        assert_eq!(
            e.pod,
            PodFact { name: "web-5d-a".into(), uid: "u1".into(), restarts: 4, template_hash: "5d".into() }
        );
        let s = json!({"metadata": {"name": "db-0", "labels": {"controller-revision-hash": "db-7f"}}});
        assert_eq!(pod(&s).pod.template_hash, "db-7f");
    }

    #[test]
    fn exclusions_name_resource_and_group() {
        let ex = vec!["events".to_string(), "endpointslices.discovery.k8s.io".to_string()];
        assert!(excluded(&ex, "events", ""));
        assert!(!excluded(&ex, "events", "events.k8s.io"), "events.events.k8s.io is another resource");
        assert!(excluded(&ex, "endpointslices", "discovery.k8s.io"));
    }
}
