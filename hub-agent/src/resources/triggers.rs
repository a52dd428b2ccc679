//! Which placements a change to one hub object may concern: those whose
//! selectors could select it. Erring on the side of "maybe" costs one
//! reconcile that finds nothing new; missing one would leave a placement
//! stale. Pure.

use std::collections::BTreeMap;

use apis::placement::{PlacementSpec, ResourceSelectorTerm, SelectionScope};

use crate::scheduler::label_selector;

/// The changed object.
pub struct Changed<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

fn is_namespace_selector(s: &ResourceSelectorTerm) -> bool {
    s.group.is_empty() && s.kind == "Namespace"
}

/// Whether namespace `name` (with `labels`, if known) is one the selector picks.
fn picks_namespace(s: &ResourceSelectorTerm, name: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
    if !s.name.is_empty() {
        return s.name == name;
    }
    match (&s.label_selector, labels) {
        (None, _) => true,
        (Some(sel), Some(labels)) => label_selector::matches(sel, labels).unwrap_or(true),
        // A deleted namespace: it may have been selected.
        (Some(_), None) => true,
    }
}

/// Whether a placement with `spec` (a ResourcePlacement in `placement_ns`)
/// may select the changed object. `namespace_labels` looks a namespace up.
pub fn may_select(
    spec: &PlacementSpec,
    placement_ns: Option<&str>,
    changed: &Changed,
    namespace_labels: impl Fn(&str) -> Option<BTreeMap<String, String>>,
) -> bool {
    if let Some(ns) = placement_ns {
        return changed.namespace == Some(ns)
            && spec.resource_selectors.iter().any(|s| s.group == changed.group && s.kind == changed.kind);
    }
    spec.resource_selectors.iter().any(|s| {
        if is_namespace_selector(s) {
            if changed.group.is_empty() && changed.kind == "Namespace" {
                // Its labels may just have stopped matching: the placement must drop it.
                return (s.name.is_empty() && s.label_selector.is_some())
                    || picks_namespace(s, changed.name, namespace_labels(changed.name).as_ref());
            }
            match changed.namespace {
                Some(ns) if s.selection_scope == SelectionScope::NamespaceWithResources => {
                    picks_namespace(s, ns, namespace_labels(ns).as_ref())
                }
                _ => false,
            }
        } else {
            s.group == changed.group && s.kind == changed.kind
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn selector(kind: &str, name: &str, scope: SelectionScope) -> ResourceSelectorTerm {
        ResourceSelectorTerm {
            group: if kind == "Deployment" { "apps".into() } else { String::new() },
            version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            label_selector: None,
            selection_scope: scope,
        }
    }

    fn changed<'a>(group: &'a str, kind: &'a str, ns: Option<&'a str>, name: &'a str) -> Changed<'a> {
        Changed { group, kind, namespace: ns, name }
    }

    fn no_labels(_: &str) -> Option<BTreeMap<String, String>> {
        None
    }

    #[test]
    fn a_namespace_selector_with_resources_wants_everything_in_it() {
        let spec = PlacementSpec::new(vec![selector("Namespace", "app", SelectionScope::NamespaceWithResources)]);
        assert!(may_select(&spec, None, &changed("", "ConfigMap", Some("app"), "c"), no_labels));
        assert!(may_select(&spec, None, &changed("", "Namespace", None, "app"), no_labels));
        assert!(!may_select(&spec, None, &changed("", "ConfigMap", Some("other"), "c"), no_labels));
        let only = PlacementSpec::new(vec![selector("Namespace", "app", SelectionScope::NamespaceOnly)]);
        assert!(!may_select(&only, None, &changed("", "ConfigMap", Some("app"), "c"), no_labels));
    }

    #[test]
    fn a_labelled_namespace_selector_checks_the_namespace_labels() {
        let mut s = selector("Namespace", "", SelectionScope::NamespaceWithResources);
        s.label_selector = Some(serde_json::from_value(json!({"matchLabels": {"team": "a"}})).unwrap());
        let spec = PlacementSpec::new(vec![s]);
        let labels =
            |ns: &str| Some(BTreeMap::from([("team".to_string(), if ns == "app" { "a" } else { "b" }.to_string())]));
        assert!(may_select(&spec, None, &changed("", "ConfigMap", Some("app"), "c"), labels));
        assert!(!may_select(&spec, None, &changed("", "ConfigMap", Some("other"), "c"), labels));
        // A namespace that lost the label is still the placement's business.
        assert!(may_select(&spec, None, &changed("", "Namespace", None, "other"), labels));
    }

    #[test]
    fn a_kind_selector_wants_its_kind_and_a_resource_placement_its_namespace() {
        let spec = PlacementSpec::new(vec![selector("Deployment", "", SelectionScope::default())]);
        assert!(may_select(&spec, None, &changed("apps", "Deployment", Some("x"), "d"), no_labels));
        assert!(!may_select(&spec, None, &changed("", "ConfigMap", Some("x"), "d"), no_labels));
        assert!(may_select(&spec, Some("x"), &changed("apps", "Deployment", Some("x"), "d"), no_labels));
        assert!(!may_select(&spec, Some("y"), &changed("apps", "Deployment", Some("x"), "d"), no_labels));
    }
}
