//! Which overrides concern a placement's resources on a cluster. A
//! ClusterResourceOverride selects cluster-scoped objects by name, and a
//! selected Namespace covers everything in it; a ResourceOverride selects
//! objects of its own namespace. An override naming a placement concerns only
//! that placement. On a cluster, an override counts if one of its rules
//! selects that cluster. Pure.

use apis::placement::{
    ClusterResourceOverrideSpec, NamespacedName, OverridePolicy, PlacementRef, ResourceIdentifier,
    ResourceOverrideSpec, ResourceScope,
};

use super::engine::{Cluster, selects};

/// The placement being rolled out.
pub struct Placement<'a> {
    pub name: &'a str,
    /// A ResourcePlacement's namespace; None for a ClusterResourcePlacement.
    pub namespace: Option<&'a str>,
}

fn names_placement(r: Option<&PlacementRef>, p: &Placement, override_namespace: Option<&str>) -> bool {
    match r {
        None => true,
        Some(r) => {
            r.name == p.name
                && match r.scope {
                    ResourceScope::Cluster => p.namespace.is_none(),
                    ResourceScope::Namespaced => p.namespace.is_some() && p.namespace == override_namespace,
                }
        }
    }
}

/// Whether a ClusterResourceOverride selects `r`.
pub fn cro_selects(spec: &ClusterResourceOverrideSpec, r: &ResourceIdentifier) -> bool {
    spec.cluster_resource_selectors.iter().any(|s| {
        let direct = r.namespace.is_empty() && s.group == r.group && s.kind == r.kind && s.name == r.name;
        let its_namespace =
            !r.namespace.is_empty() && s.group.is_empty() && s.kind == "Namespace" && s.name == r.namespace;
        direct || its_namespace
    })
}

/// Whether a ResourceOverride in `namespace` selects `r`.
pub fn ro_selects(namespace: &str, spec: &ResourceOverrideSpec, r: &ResourceIdentifier) -> bool {
    r.namespace == namespace
        && spec.resource_selectors.iter().any(|s| s.group == r.group && s.kind == r.kind && s.name == r.name)
}

/// Whether one of the policy's rules selects `cluster` (a selector that
/// cannot be evaluated counts: the engine then reports it).
pub fn on_cluster(policy: &OverridePolicy, cluster: &Cluster) -> bool {
    policy.override_rules.iter().any(|rule| selects(rule.cluster_selector.as_ref(), cluster).unwrap_or(true))
}

/// The override snapshots a binding carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lists {
    pub cluster: Vec<String>,
    pub namespaced: Vec<NamespacedName>,
}

/// The override snapshots each of `clusters` (name, labels) should carry for
/// the `selected` resources of `placement`: the latest snapshot of each
/// override that concerns them there.
pub fn lists_for(
    cros: &[impl std::ops::Deref<Target = apis::placement::ClusterResourceOverrideSnapshot>],
    ros: &[impl std::ops::Deref<Target = apis::placement::ResourceOverrideSnapshot>],
    placement: &Placement,
    selected: &[ResourceIdentifier],
    clusters: &[(&str, &std::collections::BTreeMap<String, String>)],
) -> std::collections::BTreeMap<String, Lists> {
    let latest = |meta: &kube::api::ObjectMeta| {
        meta.labels.as_ref().and_then(|l| l.get(apis::labels::IS_LATEST_SNAPSHOT)).is_some_and(|v| v == "true")
    };
    let cros: Vec<Snapshot<_>> = (cros.iter().filter(|s| latest(&s.metadata)))
        .map(|s| Snapshot {
            name: s.metadata.name.as_deref().unwrap_or_default(),
            namespace: None,
            spec: &s.spec.override_spec,
        })
        .collect();
    let ros: Vec<Snapshot<_>> = (ros.iter().filter(|s| latest(&s.metadata)))
        .map(|s| Snapshot {
            name: s.metadata.name.as_deref().unwrap_or_default(),
            namespace: s.metadata.namespace.as_deref(),
            spec: &s.spec.override_spec,
        })
        .collect();
    clusters
        .iter()
        .map(|(name, labels)| {
            let cluster = Cluster { name, labels };
            let lists = Lists {
                cluster: cluster_overrides(&cros, placement, selected, &cluster),
                namespaced: resource_overrides(&ros, placement, selected, &cluster),
            };
            (name.to_string(), lists)
        })
        .collect()
}

/// A latest override snapshot: its name and its override's spec.
pub struct Snapshot<'a, S> {
    pub name: &'a str,
    /// A ResourceOverride's namespace.
    pub namespace: Option<&'a str>,
    pub spec: &'a S,
}

/// The ClusterResourceOverride snapshots a binding to `cluster` carries, sorted.
pub fn cluster_overrides(
    snapshots: &[Snapshot<ClusterResourceOverrideSpec>],
    placement: &Placement,
    selected: &[ResourceIdentifier],
    cluster: &Cluster,
) -> Vec<String> {
    let mut out: Vec<String> = snapshots
        .iter()
        .filter(|s| names_placement(s.spec.placement.as_ref(), placement, None))
        .filter(|s| selected.iter().any(|r| cro_selects(s.spec, r)))
        .filter(|s| on_cluster(&s.spec.policy, cluster))
        .map(|s| s.name.to_string())
        .collect();
    out.sort();
    out
}

/// The ResourceOverride snapshots a binding to `cluster` carries, sorted by
/// namespace and name.
pub fn resource_overrides(
    snapshots: &[Snapshot<ResourceOverrideSpec>],
    placement: &Placement,
    selected: &[ResourceIdentifier],
    cluster: &Cluster,
) -> Vec<NamespacedName> {
    let mut out: Vec<NamespacedName> = snapshots
        .iter()
        .filter(|s| names_placement(s.spec.placement.as_ref(), placement, s.namespace))
        .filter(|s| selected.iter().any(|r| ro_selects(s.namespace.unwrap_or_default(), s.spec, r)))
        .filter(|s| on_cluster(&s.spec.policy, cluster))
        .map(|s| NamespacedName { namespace: s.namespace.unwrap_or_default().to_string(), name: s.name.to_string() })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use apis::placement::{ClusterSelector, ClusterSelectorTerm, OverrideRule, OverrideType, ResourceSelectorTerm};
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

    use super::*;

    fn id(kind: &str, namespace: &str, name: &str) -> ResourceIdentifier {
        ResourceIdentifier {
            version: "v1".into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn policy(cluster_name: Option<&str>) -> OverridePolicy {
        let selector = match cluster_name {
            None => ClusterSelector { cluster_selector_terms: vec![] },
            Some(c) => ClusterSelector {
                cluster_selector_terms: vec![ClusterSelectorTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some([("cluster-name".to_string(), c.to_string())].into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
            },
        };
        OverridePolicy {
            override_rules: vec![OverrideRule {
                cluster_selector: Some(selector),
                override_type: OverrideType::Delete,
                json_patch_overrides: vec![],
            }],
        }
    }

    fn cro(kind: &str, name: &str, placement: Option<&str>, cluster: Option<&str>) -> ClusterResourceOverrideSpec {
        ClusterResourceOverrideSpec {
            placement: placement.map(|p| PlacementRef { name: p.into(), scope: ResourceScope::Cluster }),
            cluster_resource_selectors: vec![ResourceSelectorTerm {
                group: String::new(),
                version: "v1".into(),
                kind: kind.into(),
                name: name.into(),
                label_selector: None,
                selection_scope: Default::default(),
            }],
            policy: policy(cluster),
        }
    }

    fn ro(name: &str, cluster: Option<&str>) -> ResourceOverrideSpec {
        crate::overrides::fixtures::service_override(name, policy(cluster))
    }

    fn member(name: &str) -> BTreeMap<String, String> {
        [("cluster-name".to_string(), name.to_string())].into()
    }

    #[test]
    fn a_cluster_override_of_a_namespace_covers_what_is_in_it() {
        let spec = cro("Namespace", "test-app", None, None);
        assert!(cro_selects(&spec, &id("Namespace", "", "test-app")));
        assert!(cro_selects(&spec, &id("Service", "test-app", "nginx")));
        assert!(!cro_selects(&spec, &id("Service", "other", "nginx")));
        assert!(!cro_selects(&cro("ClusterRole", "reader", None, None), &id("Role", "test-app", "reader")));
    }

    #[test]
    fn a_resource_override_selects_by_kind_and_name_in_its_namespace() {
        let spec = ro("nginx-service", None);
        assert!(ro_selects("test-app", &spec, &id("Service", "test-app", "nginx-service")));
        assert!(!ro_selects("test-app", &spec, &id("Service", "other", "nginx-service")));
        assert!(!ro_selects("test-app", &spec, &id("ConfigMap", "test-app", "nginx-service")));
    }

    #[test]
    fn bindings_carry_the_overrides_for_their_placement_resources_and_cluster() {
        let selected = [id("Namespace", "", "test-app"), id("Service", "test-app", "nginx-service")];
        let (a, b, c, d) = (
            cro("Namespace", "test-app", None, None),
            cro("Namespace", "test-app", Some("other-crp"), None),
            cro("Namespace", "elsewhere", None, None),
            cro("Namespace", "test-app", None, Some("member-2")),
        );
        let snaps = [
            Snapshot { name: "d-0", namespace: None, spec: &d },
            Snapshot { name: "a-1", namespace: None, spec: &a },
            Snapshot { name: "b-0", namespace: None, spec: &b },
            Snapshot { name: "c-0", namespace: None, spec: &c },
        ];
        let p = Placement { name: "crp", namespace: None };
        let l1 = member("member-1");
        let on_1 = cluster_overrides(&snaps, &p, &selected, &Cluster { name: "member-1", labels: &l1 });
        assert_eq!(on_1, ["a-1"], "not another placement's, not another namespace's, not another cluster's");
        let l2 = member("member-2");
        let on_2 = cluster_overrides(&snaps, &p, &selected, &Cluster { name: "member-2", labels: &l2 });
        assert_eq!(on_2, ["a-1", "d-0"], "sorted");

        let (r1, r2) = (ro("nginx-service", Some("member-2")), ro("other", None));
        let ro_snaps = [
            Snapshot { name: "ro-nginx-service-0", namespace: Some("test-app"), spec: &r1 },
            Snapshot { name: "ro-other-0", namespace: Some("test-app"), spec: &r2 },
        ];
        assert!(resource_overrides(&ro_snaps, &p, &selected, &Cluster { name: "member-1", labels: &l1 }).is_empty());
        assert_eq!(
            resource_overrides(&ro_snaps, &p, &selected, &Cluster { name: "member-2", labels: &l2 }),
            [NamespacedName { namespace: "test-app".into(), name: "ro-nginx-service-0".into() }]
        );
    }
}
