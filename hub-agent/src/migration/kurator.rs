//! Kurator's Migrate honoured by the fleet: its clusters resolved to
//! members, its Velero filter translated into ClusterResourceAdoptions (a
//! dry run that finds the namespaces holding selected objects when the
//! filter names none, then the adoption itself), and the progress told back
//! in Kurator's phases and per-cluster status. Pure.
//!
//! Where Flotilla differs from Kurator: nothing is copied through object
//! storage; the source's objects are adopted in place (no restart) and the
//! adoption's placement adds the targets, so the source keeps running them
//! and the fleet manages every copy. `namespaceMapping`, `migrateStatus`,
//! cluster-scoped resources and `includedResources` other than `*` are
//! refused, naming the field.

use apis::{
    kurator::{BackupDetails, MigrateSpec, OperationStatus, Progress, RestoreDetails},
    labels,
    placement::{
        AdoptedNamespaces, AdoptionMode, AdoptionResourceSelector, AdoptionResult, AdoptionSpec, AdoptionStatus,
        DEFAULT_EXCLUDED_RESOURCES,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, Time};

use crate::adoption::{exclude::ANY_KIND, names};

/// Namespaces never looked in when the filter names none: the system's, and
/// `default`, which the hub has too (adopting it would place the hub's own
/// objects); name a namespace in `includedNamespaces` to migrate from it.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease", "fleet-system", "default"];

/// A member as the Migrate sees it.
pub struct Member<'a> {
    pub name: &'a str,
    pub kurator_name: Option<&'a str>,
    pub joined: bool,
}

/// The adoption (and placement) made for Migrate `namespace/name`; the scan adds `-scan`.
pub fn adoption_name(namespace: &str, name: &str) -> String {
    names::fit(&format!("kurator-{namespace}-{name}"), 58)
}

pub fn scan_name(namespace: &str, name: &str) -> String {
    format!("{}-scan", adoption_name(namespace, name))
}

/// The value of the `flotilla.dev/kurator-migrate` label on what a Migrate makes.
pub fn label_value(namespace: &str, name: &str) -> String {
    names::fit(&format!("{namespace}.{name}"), 63)
}

/// The member Kurator's `name` means: the member of that name, else the one labelled with it.
fn member<'a>(name: &str, members: &'a [Member]) -> Option<&'a Member<'a>> {
    members.iter().find(|m| m.name == name).or_else(|| members.iter().find(|m| m.kurator_name == Some(name)))
}

/// The source and targets (member names), or why not, naming the field.
pub fn clusters(spec: &MigrateSpec, members: &[Member]) -> Result<(String, Vec<String>), Vec<String>> {
    let mut errors = Vec::new();
    let source = match spec.source_cluster.clusters.as_slice() {
        [one] => match member(&one.name, members) {
            Some(m) if m.joined => Some(m.name.to_string()),
            Some(_) => {
                errors.push(format!("spec.sourceCluster.clusters[0]: cluster {} has not joined the fleet", one.name));
                None
            }
            None => {
                errors.push(format!("spec.sourceCluster.clusters[0]: no member cluster {}", one.name));
                None
            }
        },
        _ => {
            errors.push("spec.sourceCluster.clusters must name exactly one cluster".into());
            None
        }
    };
    let mut targets = Vec::new();
    if spec.target_cluster.clusters.is_empty() {
        if spec.target_cluster.fleet.is_empty() {
            errors.push("spec.targetCluster: name clusters or a fleet".into());
        }
        // The fleet: every joined member but the source.
        targets = members
            .iter()
            .filter(|m| m.joined && Some(m.name) != source.as_deref())
            .map(|m| m.name.to_string())
            .collect();
    }
    for (i, c) in spec.target_cluster.clusters.iter().enumerate() {
        match member(&c.name, members) {
            Some(m) if !m.joined => {
                errors.push(format!("spec.targetCluster.clusters[{i}]: cluster {} has not joined the fleet", c.name))
            }
            Some(m) if Some(m.name) == source.as_deref() => {
                errors.push(format!("spec.targetCluster.clusters[{i}]: cluster {} is the source", c.name))
            }
            Some(m) => targets.push(m.name.to_string()),
            None => errors.push(format!("spec.targetCluster.clusters[{i}]: no member cluster {}", c.name)),
        }
    }
    if errors.is_empty() && targets.is_empty() {
        errors.push("spec.targetCluster: no target cluster".into());
    }
    targets.sort();
    targets.dedup();
    match (source, errors.is_empty()) {
        (Some(s), true) => Ok((s, targets)),
        _ => Err(errors),
    }
}

/// What the filter asks that Flotilla cannot do, naming the fields.
pub fn unsupported(spec: &MigrateSpec) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(policy) = &spec.policy else { return errors };
    if policy.namespace_mapping.as_ref().is_some_and(|m| !m.is_empty()) {
        errors.push("spec.policy.namespaceMapping is not supported: objects keep their namespaces".into());
    }
    if policy.migrate_status.is_some() {
        errors.push("spec.policy.migrateStatus is not supported: each cluster's controllers write status".into());
    }
    let Some(f) = &policy.resource_filter else { return errors };
    if f.label_selector.is_some() && f.or_label_selectors.as_ref().is_some_and(|o| !o.is_empty()) {
        errors.push("spec.policy.resourceFilter: labelSelector and orLabelSelectors cannot both be set".into());
    }
    if f.include_cluster_resources == Some(true)
        || f.included_cluster_scoped_resources.as_ref().is_some_and(|r| !r.is_empty())
    {
        errors.push("spec.policy.resourceFilter: cluster-scoped resources are not migrated".into());
    }
    let only_all = |r: &Option<Vec<String>>| r.iter().flatten().all(|x| x == "*");
    if !only_all(&f.included_resources) || !only_all(&f.included_namespace_scoped_resources) {
        errors.push(
            "spec.policy.resourceFilter.includedResources other than \"*\" is not supported: use labelSelector or excludedResources".into(),
        );
    }
    errors
}

/// The namespaces the filter names, if it names any (else a scan finds them).
pub fn named_namespaces(spec: &MigrateSpec) -> Option<Vec<String>> {
    let f = spec.policy.as_ref()?.resource_filter.as_ref()?;
    let included: Vec<&String> = f.included_namespaces.iter().flatten().filter(|n| *n != "*").collect();
    if included.is_empty() {
        return None;
    }
    let excluded = f.excluded_namespaces.clone().unwrap_or_default();
    Some(included.into_iter().filter(|n| !excluded.contains(n)).cloned().collect())
}

fn selectors(spec: &MigrateSpec) -> Vec<AdoptionResourceSelector> {
    let f = spec.policy.as_ref().and_then(|p| p.resource_filter.as_ref());
    let any = |s: &LabelSelector| AdoptionResourceSelector {
        group: String::new(),
        kind: ANY_KIND.into(),
        label_selector: Some(s.clone()),
    };
    match f {
        Some(f) if f.label_selector.is_some() => f.label_selector.iter().map(any).collect(),
        Some(f) => f.or_label_selectors.iter().flatten().map(any).collect(),
        None => Vec::new(),
    }
}

fn excluded(spec: &MigrateSpec) -> Vec<String> {
    let mut out: Vec<String> = DEFAULT_EXCLUDED_RESOURCES.iter().map(|s| s.to_string()).collect();
    let f = spec.policy.as_ref().and_then(|p| p.resource_filter.as_ref());
    for r in
        f.into_iter().flat_map(|f| f.excluded_resources.iter().chain(&f.excluded_namespace_scoped_resources)).flatten()
    {
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    out
}

/// The dry run that finds which of the source's namespaces hold selected objects.
pub fn scan_spec(spec: &MigrateSpec, source: &str, placement: &str) -> AdoptionSpec {
    let f = spec.policy.as_ref().and_then(|p| p.resource_filter.as_ref());
    let mut skip: Vec<String> = SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    skip.extend(f.into_iter().flat_map(|f| f.excluded_namespaces.iter().flatten()).cloned());
    let selector = LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "kubernetes.io/metadata.name".into(),
            operator: "NotIn".into(),
            values: Some(skip),
        }]),
        ..Default::default()
    };
    AdoptionSpec {
        namespaces: AdoptedNamespaces { names: None, selector: Some(selector) },
        mode: AdoptionMode::DryRun,
        ..adoption_spec(spec, source, vec![], placement)
    }
}

/// The namespaces in which a dry run planned an object other than the namespace itself.
pub fn found_namespaces(scan: &AdoptionStatus) -> Vec<String> {
    let mut out: Vec<String> = scan
        .resources
        .iter()
        .filter(|r| r.result == AdoptionResult::Planned && r.reference.kind != "Namespace")
        .map(|r| r.reference.namespace.clone())
        .filter(|n| !n.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The adoption of the source's selected objects in `namespaces`.
pub fn adoption_spec(spec: &MigrateSpec, source: &str, namespaces: Vec<String>, placement: &str) -> AdoptionSpec {
    AdoptionSpec {
        cluster_name: source.to_string(),
        namespaces: AdoptedNamespaces { names: Some(namespaces), selector: None },
        resource_selectors: selectors(spec),
        excluded_resources: Some(excluded(spec)),
        mode: AdoptionMode::Adopt,
        placement_name: Some(placement.to_string()),
        ..Default::default()
    }
}

/// What an adoption's failed conditions say.
pub fn failures(a: &AdoptionStatus) -> String {
    a.conditions.iter().filter(|c| c.status == "False").map(|c| c.message.clone()).collect::<Vec<_>>().join("; ")
}

/// The source's side as Kurator shows it, from the adoption.
pub fn source_status(source: &str, kind: &str, adoption: &str, a: Option<&AdoptionStatus>) -> BackupDetails {
    use apis::placement::AdoptionPhase as A;
    let status = a.map(|a| {
        let phase = match a.phase {
            Some(A::Adopted) => "Completed",
            Some(A::Failed | A::Released) => "Failed",
            _ => "InProgress",
        };
        let total = a.resources.iter().filter(|r| r.result != AdoptionResult::Excluded).count() as i32;
        OperationStatus {
            phase: phase.into(),
            start_timestamp: a.start_time.clone(),
            completion_timestamp: if phase == "Completed" { a.completion_time.clone() } else { None },
            progress: Some(Progress { total_items: total, items_backed_up: a.adopted_count }),
            validation_errors: vec![],
            failure_reason: if phase == "Failed" {
                a.conditions
                    .iter()
                    .filter(|c| c.status == "False")
                    .map(|c| c.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                String::new()
            },
        }
    });
    BackupDetails {
        cluster_name: source.into(),
        cluster_kind: kind.into(),
        backup_name_in_cluster: adoption.into(),
        backup_status_in_cluster: status,
    }
}

/// A target's side as Kurator shows it: its placement started, and Available or not.
pub fn target_status(
    target: &str,
    kind: &str,
    restore: &str,
    started: Option<Time>,
    available: Option<Time>,
) -> RestoreDetails {
    let status = started.map(|start| OperationStatus {
        phase: if available.is_some() { "Completed" } else { "InProgress" }.into(),
        start_timestamp: Some(start),
        completion_timestamp: available,
        ..Default::default()
    });
    RestoreDetails {
        cluster_name: target.into(),
        cluster_kind: kind.into(),
        restore_name_in_cluster: restore.into(),
        restore_status_in_cluster: status,
    }
}

/// Kurator's name of the restore on `cluster` (`<cluster>-migrate-<namespace>-<name>`).
pub fn restore_name(cluster: &str, namespace: &str, name: &str) -> String {
    format!("{cluster}-migrate-{namespace}-{name}")
}

/// The kind Kurator's manifest gives `member` (AttachedCluster by default).
pub fn kind_of(spec: &MigrateSpec, member: &str, kurator_name: Option<&str>) -> String {
    spec.source_cluster
        .clusters
        .iter()
        .chain(&spec.target_cluster.clusters)
        .find(|c| c.name == member || Some(c.name.as_str()) == kurator_name)
        .map(|c| c.kind.clone())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "AttachedCluster".into())
}

/// The label key a member carries for its Kurator name.
pub const KURATOR_NAME_LABEL: &str = labels::KURATOR_CLUSTER_NAME;

#[cfg(test)]
mod tests {
    use apis::kurator::{ClusterReference, Destination, MigratePolicy, ResourceFilter};

    use super::*;

    fn seed() -> MigrateSpec {
        let c = |n: &str| ClusterReference { kind: "AttachedCluster".into(), name: n.into(), ..Default::default() };
        MigrateSpec {
            source_cluster: Destination { fleet: "quickstart".into(), clusters: vec![c("kurator-member1")] },
            target_cluster: Destination {
                fleet: "quickstart".into(),
                clusters: vec![c("kurator-member2"), c("member-3")],
            },
            policy: Some(MigratePolicy {
                resource_filter: Some(ResourceFilter {
                    label_selector: Some(LabelSelector {
                        match_labels: Some([("app".to_string(), "busybox".to_string())].into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn seed_003_resolves_by_kurator_names_and_adopts_by_label() {
        let members = [
            Member { name: "member-1", kurator_name: Some("kurator-member1"), joined: true },
            Member { name: "member-2", kurator_name: Some("kurator-member2"), joined: true },
            Member { name: "member-3", kurator_name: None, joined: true },
        ];
        let spec = seed();
        assert_eq!(clusters(&spec, &members), Ok(("member-1".into(), vec!["member-2".into(), "member-3".into()])));
        assert!(unsupported(&spec).is_empty());
        assert_eq!(named_namespaces(&spec), None, "no namespaces named: a scan finds them");
        let scan = scan_spec(&spec, "member-1", "p");
        assert_eq!(scan.mode, AdoptionMode::DryRun);
        let skip = scan.namespaces.selector.unwrap().match_expressions.unwrap()[0].values.clone().unwrap();
        assert!(skip.contains(&"kube-system".to_string()));
        let a = adoption_spec(&spec, "member-1", vec!["apps".into()], "p");
        assert_eq!(a.resource_selectors[0].kind, "*");
        assert_eq!(a.namespaces.names, Some(vec!["apps".to_string()]));
        assert_eq!(kind_of(&spec, "member-2", Some("kurator-member2")), "AttachedCluster");
    }

    #[test]
    fn bad_input_names_the_field() {
        let members = [Member { name: "member-1", kurator_name: None, joined: true }];
        let mut spec = seed();
        let errors = clusters(&spec, &members).unwrap_err();
        assert!(errors.iter().any(|e| e.starts_with("spec.sourceCluster.clusters[0]")), "{errors:?}");
        spec.source_cluster.clusters.clear();
        assert!(clusters(&spec, &members).unwrap_err()[0].contains("exactly one"));
        let mut spec = seed();
        let policy = spec.policy.as_mut().unwrap();
        policy.namespace_mapping = Some([("a".to_string(), "b".to_string())].into());
        policy.resource_filter.as_mut().unwrap().included_resources = Some(vec!["deployments".into()]);
        let errors = unsupported(&spec);
        assert!(errors[0].starts_with("spec.policy.namespaceMapping"));
        assert!(errors[1].contains("includedResources"));
    }

    #[test]
    fn a_scan_finds_the_namespaces_holding_selected_objects() {
        use apis::placement::{AdoptedResource, ObjectReference};
        let r = |kind: &str, ns: &str, result: AdoptionResult| AdoptedResource {
            reference: ObjectReference {
                kind: kind.into(),
                namespace: ns.into(),
                name: "x".into(),
                ..Default::default()
            },
            result,
            ..Default::default()
        };
        let st = AdoptionStatus {
            resources: vec![
                r("Namespace", "", AdoptionResult::Planned),
                r("Deployment", "apps", AdoptionResult::Planned),
                r("ConfigMap", "other", AdoptionResult::Excluded),
            ],
            ..Default::default()
        };
        assert_eq!(found_namespaces(&st), ["apps"]);
    }
}
