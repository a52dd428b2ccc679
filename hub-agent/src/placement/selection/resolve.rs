//! Resolving a placement's resource selectors against the hub's objects: which
//! namespaces and objects are selected, sanitized and in snapshot order. The
//! objects come through [`Lookup`] (the resource cache in the agent, a map in
//! tests). Pure.

use std::collections::BTreeSet;

use apis::placement::{PlacementSpec, ResourceIdentifier, ResourceSelectorTerm, SelectionScope};
use serde_json::Value;

use super::sanitize::sanitize;
use crate::{
    placement::snapshot::order,
    resources::{Lookup, identifier, skip},
    scheduler::label_selector,
};

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// The selectors cannot be satisfied as written: a condition for the user.
    #[error("{0}")]
    Invalid(String),
    /// The hub's objects are not all loaded yet: try again shortly.
    #[error("waiting for the hub's objects: {0}")]
    NotReady(String),
}

/// What a placement selected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selected {
    /// Sanitized, in snapshot order.
    pub objects: Vec<Value>,
}

impl Selected {
    /// `status.selectedResources`, in the same order.
    pub fn identifiers(&self) -> Vec<ResourceIdentifier> {
        self.objects.iter().map(identifier).collect()
    }
}

fn describe(s: &ResourceSelectorTerm) -> String {
    let gv = if s.group.is_empty() { s.version.clone() } else { format!("{}/{}", s.group, s.version) };
    if s.name.is_empty() { format!("{gv} {}", s.kind) } else { format!("{gv} {} {:?}", s.kind, s.name) }
}

fn is_namespace(s: &ResourceSelectorTerm) -> bool {
    s.group.is_empty() && s.version == "v1" && s.kind == "Namespace"
}

fn deleting(obj: &Value) -> bool {
    !obj["metadata"]["deletionTimestamp"].is_null()
}

/// Whether `obj` matches the selector's name or label selector (neither: all).
fn matches(s: &ResourceSelectorTerm, obj: &Value) -> Result<bool, Error> {
    let meta = &obj["metadata"];
    if !s.name.is_empty() {
        return Ok(meta["name"].as_str() == Some(s.name.as_str()));
    }
    let Some(selector) = &s.label_selector else { return Ok(true) };
    let labels = serde_json::from_value(meta["labels"].clone()).unwrap_or_default();
    label_selector::matches(selector, &labels).map_err(|e| Error::Invalid(format!("{}: {e}", describe(s))))
}

/// Resolves `spec`'s selectors. `namespace` is a ResourcePlacement's own
/// namespace (`None` for a ClusterResourcePlacement).
pub fn resolve(spec: &PlacementSpec, namespace: Option<&str>, hub: &impl Lookup) -> Result<Selected, Error> {
    let mut picked: Vec<Value> = Vec::new();
    // For a ClusterResourcePlacement in NamespaceWithResourceSelectors mode, the
    // one namespace its namespaced selectors look in.
    let mut scoped_namespace: Option<String> = None;
    if namespace.is_none() {
        for s in spec.resource_selectors.iter().filter(|s| is_namespace(s)) {
            if s.selection_scope == SelectionScope::NamespaceWithResourceSelectors {
                let found = hub
                    .objects("", "Namespace", None)
                    .map_err(Error::NotReady)?
                    .into_iter()
                    .find(|ns| ns["metadata"]["name"].as_str() == Some(s.name.as_str()) && !deleting(ns));
                match found {
                    Some(_) if skip::reserved_namespace(&s.name) => {
                        return Err(Error::Invalid(format!("namespace {:?} is reserved and never placed", s.name)));
                    }
                    Some(_) => scoped_namespace = Some(s.name.clone()),
                    None => {
                        return Err(Error::Invalid(format!(
                            "NamespaceWithResourceSelectors mode requires exactly one namespace, but namespace {:?} was not found",
                            s.name
                        )));
                    }
                }
            }
        }
    }

    for s in &spec.resource_selectors {
        let served = hub
            .served(&s.group, &s.version, &s.kind)
            .ok_or_else(|| Error::Invalid(format!("{}: the hub does not serve this kind", describe(s))))?;
        if served.skipped {
            continue;
        }
        if is_namespace(s) {
            if let Some(ns) = namespace {
                return Err(Error::Invalid(format!(
                    "{}: a ResourcePlacement selects objects in its own namespace {ns:?}, not namespaces",
                    describe(s)
                )));
            }
            select_namespaces(s, hub, &mut picked)?;
            continue;
        }
        let look_in = match (served.namespaced, namespace) {
            (true, Some(ns)) => Some(ns.to_string()),
            (false, Some(ns)) => {
                return Err(Error::Invalid(format!(
                    "{}: a ResourcePlacement in {ns:?} cannot select cluster-scoped objects",
                    describe(s)
                )));
            }
            (true, None) => match &scoped_namespace {
                Some(ns) => Some(ns.clone()),
                None => {
                    return Err(Error::Invalid(format!(
                        "{}: a ClusterResourcePlacement selects namespaced objects only through a Namespace selector in NamespaceWithResourceSelectors mode",
                        describe(s)
                    )));
                }
            },
            (false, None) => None,
        };
        for obj in hub.objects(&s.group, &s.kind, look_in.as_deref()).map_err(Error::NotReady)? {
            if !deleting(&obj) && matches(s, &obj)? && skipped(&obj, hub)?.is_none() {
                picked.push(obj);
            }
        }
    }

    let mut seen = BTreeSet::new();
    for obj in &picked {
        let id = identifier(obj);
        if !seen.insert((id.group.clone(), id.kind.clone(), id.namespace.clone(), id.name.clone())) {
            return Err(Error::Invalid(format!(
                "found duplicate resource {} {}/{}: more than one selector selects it",
                id.kind, id.namespace, id.name
            )));
        }
    }
    let mut objects: Vec<Value> = picked.iter().map(sanitize).collect();
    order::sort(&mut objects);
    Ok(Selected { objects })
}

fn skipped(obj: &Value, hub: &impl Lookup) -> Result<Option<&'static str>, Error> {
    let endpoints = obj["kind"] == "Endpoints" && obj["apiVersion"] == "v1";
    let services = if endpoints {
        let ns = obj["metadata"]["namespace"].as_str();
        hub.objects("", "Service", ns).map_err(Error::NotReady)?
    } else {
        Vec::new()
    };
    Ok(skip::skipped_object(obj, |_, name| services.iter().any(|s| s["metadata"]["name"].as_str() == Some(name))))
}

fn select_namespaces(s: &ResourceSelectorTerm, hub: &impl Lookup, picked: &mut Vec<Value>) -> Result<(), Error> {
    for ns in hub.objects("", "Namespace", None).map_err(Error::NotReady)? {
        if deleting(&ns) || !matches(s, &ns)? {
            continue;
        }
        let name = ns["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if skip::reserved_namespace(&name) {
            if !s.name.is_empty() {
                return Err(Error::Invalid(format!("namespace {name:?} is reserved and never placed")));
            }
            continue;
        }
        picked.push(ns);
        if s.selection_scope != SelectionScope::NamespaceWithResources {
            continue;
        }
        for (group, kind) in hub.namespaced_kinds() {
            for obj in hub.objects(&group, &kind, Some(&name)).map_err(Error::NotReady)? {
                if !deleting(&obj) && skipped(&obj, hub)?.is_none() {
                    picked.push(obj);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::resources::Served;

    /// The hub as a map from (group, kind) to objects.
    #[derive(Default)]
    struct Hub {
        kinds: BTreeMap<(String, String), (bool, Vec<Value>)>,
    }

    impl Hub {
        fn with(mut self, group: &str, kind: &str, namespaced: bool, objects: Vec<Value>) -> Self {
            self.kinds.insert((group.into(), kind.into()), (namespaced, objects));
            self
        }
    }

    impl Lookup for Hub {
        fn served(&self, group: &str, _: &str, kind: &str) -> Option<Served> {
            self.kinds
                .get(&(group.into(), kind.into()))
                .map(|(namespaced, _)| Served { namespaced: *namespaced, skipped: skip::skipped_kind(group, kind) })
        }
        fn objects(&self, group: &str, kind: &str, namespace: Option<&str>) -> Result<Vec<Value>, String> {
            let (_, objects) = self.kinds.get(&(group.into(), kind.into())).ok_or("unknown")?;
            Ok(objects
                .iter()
                .filter(|o| namespace.is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns)))
                .cloned()
                .collect())
        }
        fn namespaced_kinds(&self) -> Vec<(String, String)> {
            self.kinds
                .iter()
                .filter(|(k, (n, _))| *n && !skip::skipped_kind(&k.0, &k.1))
                .map(|(k, _)| k.clone())
                .collect()
        }
    }

    fn ns(name: &str, labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels, "uid": "u"}})
    }

    fn obj(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns, "resourceVersion": "7"}})
    }

    fn hub() -> Hub {
        Hub::default()
            .with("", "Namespace", false, vec![ns("app", json!({"team": "a"})), ns("other", json!({})), ns("kube-system", json!({"team": "a"}))])
            .with(
                "",
                "ConfigMap",
                true,
                vec![
                    obj("v1", "ConfigMap", "app", "settings"),
                    obj("v1", "ConfigMap", "app", "kube-root-ca.crt"),
                    obj("v1", "ConfigMap", "other", "elsewhere"),
                ],
            )
            .with("apps", "Deployment", true, vec![obj("apps/v1", "Deployment", "app", "web")])
            .with("", "Pod", true, vec![obj("v1", "Pod", "app", "web-1")])
            .with("rbac.authorization.k8s.io", "ClusterRole", false, vec![json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader", "labels": {"team": "a"}}})])
    }

    fn selector(group: &str, version: &str, kind: &str, name: &str) -> ResourceSelectorTerm {
        ResourceSelectorTerm {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn names(selected: &Selected) -> Vec<String> {
        selected.identifiers().iter().map(|i| format!("{}/{}/{}", i.kind, i.namespace, i.name)).collect()
    }

    #[test]
    fn a_namespace_with_its_resources_in_snapshot_order_and_sanitized() {
        let spec = PlacementSpec::new(vec![selector("", "v1", "Namespace", "app")]);
        let selected = resolve(&spec, None, &hub()).unwrap();
        assert_eq!(names(&selected), ["Namespace//app", "ConfigMap/app/settings", "Deployment/app/web"]);
        assert!(selected.objects.iter().all(|o| o["metadata"].get("resourceVersion").is_none()));
        assert!(selected.objects[0]["metadata"].get("uid").is_none());
    }

    #[test]
    fn namespace_only_takes_just_the_namespace() {
        let mut s = selector("", "v1", "Namespace", "app");
        s.selection_scope = SelectionScope::NamespaceOnly;
        let selected = resolve(&PlacementSpec::new(vec![s]), None, &hub()).unwrap();
        assert_eq!(names(&selected), ["Namespace//app"]);
    }

    #[test]
    fn a_label_selector_never_picks_a_reserved_namespace_but_naming_one_is_an_error() {
        let mut s = selector("", "v1", "Namespace", "");
        s.label_selector = Some(serde_json::from_value(json!({"matchLabels": {"team": "a"}})).unwrap());
        s.selection_scope = SelectionScope::NamespaceOnly;
        let selected = resolve(&PlacementSpec::new(vec![s]), None, &hub()).unwrap();
        assert_eq!(names(&selected), ["Namespace//app"]);

        let err = resolve(&PlacementSpec::new(vec![selector("", "v1", "Namespace", "kube-system")]), None, &hub());
        assert!(matches!(err, Err(Error::Invalid(m)) if m.contains("kube-system")));
    }

    #[test]
    fn namespace_with_resource_selectors_scopes_the_namespaced_selectors() {
        let mut ns_sel = selector("", "v1", "Namespace", "app");
        ns_sel.selection_scope = SelectionScope::NamespaceWithResourceSelectors;
        let spec = PlacementSpec::new(vec![ns_sel, selector("apps", "v1", "Deployment", "")]);
        assert_eq!(names(&resolve(&spec, None, &hub()).unwrap()), ["Namespace//app", "Deployment/app/web"]);

        // A namespaced selector without such a namespace selector is an error naming it.
        let spec = PlacementSpec::new(vec![selector("apps", "v1", "Deployment", "web")]);
        assert!(matches!(resolve(&spec, None, &hub()), Err(Error::Invalid(m)) if m.contains("apps/v1 Deployment")));
    }

    #[test]
    fn a_resource_placement_selects_in_its_namespace_only() {
        let spec = PlacementSpec::new(vec![selector("", "v1", "ConfigMap", "")]);
        assert_eq!(names(&resolve(&spec, Some("app"), &hub()).unwrap()), ["ConfigMap/app/settings"]);
        let spec = PlacementSpec::new(vec![selector("rbac.authorization.k8s.io", "v1", "ClusterRole", "")]);
        assert!(matches!(resolve(&spec, Some("app"), &hub()), Err(Error::Invalid(m)) if m.contains("cluster-scoped")));
        let spec = PlacementSpec::new(vec![selector("", "v1", "Namespace", "app")]);
        assert!(matches!(resolve(&spec, Some("app"), &hub()), Err(Error::Invalid(_))));
    }

    #[test]
    fn unknown_kinds_are_errors_and_skipped_kinds_select_nothing() {
        let spec = PlacementSpec::new(vec![selector("example.com", "v1", "Widget", "")]);
        assert!(matches!(resolve(&spec, None, &hub()), Err(Error::Invalid(m)) if m.contains("example.com/v1 Widget")));
        let spec = PlacementSpec::new(vec![selector("", "v1", "Pod", "")]);
        assert_eq!(resolve(&spec, Some("app"), &hub()).unwrap(), Selected::default());
    }

    #[test]
    fn cluster_scoped_by_label_and_duplicates_refused() {
        let mut s = selector("rbac.authorization.k8s.io", "v1", "ClusterRole", "");
        s.label_selector = Some(serde_json::from_value(json!({"matchLabels": {"team": "a"}})).unwrap());
        let spec = PlacementSpec::new(vec![s.clone()]);
        assert_eq!(names(&resolve(&spec, None, &hub()).unwrap()), ["ClusterRole//reader"]);
        let spec = PlacementSpec::new(vec![s, selector("rbac.authorization.k8s.io", "v1", "ClusterRole", "reader")]);
        assert!(matches!(resolve(&spec, None, &hub()), Err(Error::Invalid(m)) if m.contains("duplicate")));
    }

    #[test]
    fn a_missing_name_selects_nothing_and_unloaded_kinds_wait() {
        let spec = PlacementSpec::new(vec![selector("rbac.authorization.k8s.io", "v1", "ClusterRole", "absent")]);
        assert_eq!(resolve(&spec, None, &hub()).unwrap(), Selected::default());
    }
}
