//! How the object on the member differs from the hub's copy, as JSON pointer
//! paths with both values: drift (someone changed what was applied) and diff
//! (ReportDiff). Partial comparison looks only at the fields the hub sets;
//! full comparison at every field but those the member's API server and
//! controllers own. Secret values never appear: a differing value is shown as
//! redacted. At most [`MAX_DETAILS`] paths. Pure.

use apis::{
    labels::{LAST_APPLIED_CONFIG, MANIFEST_HASH},
    placement::PatchDetail,
};
use serde_json::Value;

/// At most this many differences per object (KubeFleet's limit).
pub const MAX_DETAILS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Only the fields the hub's copy sets.
    Partial,
    /// Every field, except status and server-owned metadata.
    Full,
}

const REDACTED: &str = "(redacted)";

/// Metadata the member's API server and controllers own: never a difference.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "ownerReferences",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "finalizers",
];

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn render(v: Option<&Value>, secret: bool) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(_) if secret => REDACTED.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

struct Walk {
    mode: Comparison,
    secret: bool,
    out: Vec<PatchDetail>,
}

impl Walk {
    fn push(&mut self, path: &str, member: Option<&Value>, hub: Option<&Value>) {
        if self.out.len() < MAX_DETAILS {
            let secret = self.secret
                && (path.starts_with("/data/")
                    || path.starts_with("/stringData/")
                    || path == "/data"
                    || path == "/stringData");
            self.out.push(PatchDetail {
                path: path.to_string(),
                value_in_member: render(member, secret),
                value_in_hub: render(hub, secret),
            });
        }
    }

    fn compare(&mut self, path: &str, member: Option<&Value>, hub: Option<&Value>) {
        match (member, hub) {
            (Some(Value::Object(m)), Some(Value::Object(h))) => {
                let mut keys: Vec<&String> = h.keys().collect();
                if self.mode == Comparison::Full {
                    keys.extend(m.keys().filter(|k| !h.contains_key(*k)));
                }
                for k in keys {
                    let p = format!("{path}/{}", escape(k));
                    if skipped(&p) {
                        continue;
                    }
                    self.compare(&p, m.get(k), h.get(k));
                }
            }
            (Some(Value::Array(m)), Some(Value::Array(h))) if m.len() == h.len() => {
                for (i, (mv, hv)) in m.iter().zip(h).enumerate() {
                    self.compare(&format!("{path}/{i}"), Some(mv), Some(hv));
                }
            }
            (m, h) if m != h => {
                // In partial mode a field the hub does not set is not compared;
                // a null the hub sets is the same as absent.
                let absent = |v: Option<&Value>| v.is_none_or(Value::is_null);
                if absent(m) && absent(h) {
                    return;
                }
                self.push(path, m, h);
            }
            _ => {}
        }
    }
}

/// Annotations appliers keep for themselves: never a difference.
const APPLIER_ANNOTATIONS: &[&str] =
    &["kubectl.kubernetes.io/last-applied-configuration", LAST_APPLIED_CONFIG, MANIFEST_HASH];

fn skipped(path: &str) -> bool {
    path == "/status" || path.strip_prefix("/metadata/").is_some_and(|f| SERVER_METADATA.contains(&f))
}

/// `member` without the appliers' annotations (and without an annotation
/// map that held only those).
fn without_applier_annotations(member: &Value) -> std::borrow::Cow<'_, Value> {
    let Some(a) = member["metadata"]["annotations"].as_object() else { return std::borrow::Cow::Borrowed(member) };
    if !APPLIER_ANNOTATIONS.iter().any(|k| a.contains_key(*k)) {
        return std::borrow::Cow::Borrowed(member);
    }
    let mut m = member.clone();
    let a = m["metadata"]["annotations"].as_object_mut().expect("checked above");
    a.retain(|k, _| !APPLIER_ANNOTATIONS.contains(&k.as_str()));
    if a.is_empty() {
        m["metadata"].as_object_mut().expect("metadata is an object").remove("annotations");
    }
    std::borrow::Cow::Owned(m)
}

/// The differences between `member` (the live object) and `hub` (what the
/// Work says), sorted by path.
pub fn differences(member: &Value, hub: &Value, mode: Comparison) -> Vec<PatchDetail> {
    let secret = hub["kind"] == "Secret" && hub["apiVersion"] == "v1";
    let mut walk = Walk { mode, secret, out: Vec::new() };
    walk.compare("", Some(&without_applier_annotations(member)), Some(hub));
    walk.out.sort_by(|a, b| a.path.cmp(&b.path));
    walk.out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "app"},
               "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    fn live(replicas: i64, image: &str) -> Value {
        let mut d = deployment(replicas, image);
        d["metadata"]["uid"] = json!("u");
        d["metadata"]["resourceVersion"] = json!("9");
        d["metadata"]["annotations"] = json!({MANIFEST_HASH: "h", LAST_APPLIED_CONFIG: "{}"});
        d["spec"]["strategy"] = json!({"type": "RollingUpdate"});
        d["status"] = json!({"replicas": replicas});
        d
    }

    #[test]
    fn partial_comparison_reports_only_the_fields_the_hub_sets() {
        assert!(differences(&live(2, "nginx:1"), &deployment(2, "nginx:1"), Comparison::Partial).is_empty());
        let d = differences(&live(3, "nginx:2"), &deployment(2, "nginx:1"), Comparison::Partial);
        let paths: Vec<&str> = d.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/spec/replicas", "/spec/template/spec/containers/0/image"]);
        assert_eq!((d[0].value_in_member.as_str(), d[0].value_in_hub.as_str()), ("3", "2"));
        assert_eq!((d[1].value_in_member.as_str(), d[1].value_in_hub.as_str()), ("nginx:2", "nginx:1"));
    }

    #[test]
    fn full_comparison_also_reports_fields_only_the_member_has_but_not_server_owned_ones() {
        let d = differences(&live(2, "nginx:1"), &deployment(2, "nginx:1"), Comparison::Full);
        let paths: Vec<&str> = d.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/spec/strategy"],
            "uid, resourceVersion, status and the applier's annotations are not compared"
        );
        assert_eq!(d[0].value_in_hub, "");
    }

    #[test]
    fn secret_values_never_appear() {
        let hub =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "aHVi"}});
        let member =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "bWVtYmVy"}});
        let d = differences(&member, &hub, Comparison::Partial);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "/data/password");
        assert_eq!((d[0].value_in_member.as_str(), d[0].value_in_hub.as_str()), (REDACTED, REDACTED));
    }

    #[test]
    fn lists_of_another_length_and_escaped_keys() {
        let mut hub = deployment(2, "a");
        hub["spec"]["template"]["spec"]["containers"] = json!([{"name": "web"}, {"name": "sidecar"}]);
        hub["metadata"]["labels"] = json!({"app.kubernetes.io/name": "web"});
        let d = differences(&live(2, "a"), &hub, Comparison::Partial);
        let paths: Vec<&str> = d.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/metadata/labels", "/spec/template/spec/containers"]);
        let mut member = live(2, "a");
        member["metadata"]["labels"] = json!({"app.kubernetes.io/name": "other"});
        let d = differences(&member, &hub, Comparison::Partial);
        assert_eq!(d[0].path, "/metadata/labels/app.kubernetes.io~1name");
    }

    #[test]
    fn at_most_a_hundred_details() {
        let hub = json!({"data": (0..150).map(|i| (format!("k{i}"), json!("h"))).collect::<serde_json::Map<_, _>>()});
        let member = json!({"data": {}});
        assert_eq!(differences(&member, &hub, Comparison::Partial).len(), MAX_DETAILS);
    }
}
