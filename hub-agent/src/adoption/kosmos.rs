//! Kosmos's PromotePolicy honoured as a ClusterResourceAdoption: its spec
//! translated, the adoption's progress told back in Kosmos's phases. Pure.
//!
//! Where Kosmos and Flotilla differ: an empty `includedNamespaces` (Kosmos:
//! every namespace) is refused, as is `includedNamespaceScopedResources`
//! other than `*` (use an adoption's resourceSelectors); the resources
//! excluded always include Flotilla's defaults besides those listed.

use apis::{
    conditions::{self, placement as p},
    kosmos::{self, PromotePolicy, PromotePolicyProgress, PromotePolicySpec, PromotePolicyStatus},
    placement::{
        AdoptedNamespaces, AdoptionMode, AdoptionPhase, AdoptionResult, AdoptionSpec, AdoptionStatus,
        DEFAULT_EXCLUDED_RESOURCES,
    },
};
/// The longest name a placement may have (it is carried in labels).
const MAX_PLACEMENT_NAME: usize = 63;

/// The adoption made for policy `namespace/name` (also its placement's name, so it fits one).
pub fn adoption_name(namespace: &str, name: &str) -> String {
    super::names::fit(&format!("promotepolicy-{namespace}-{name}"), MAX_PLACEMENT_NAME)
}

/// The adoption's spec, or why the policy cannot be honoured (Kosmos's precheck errors).
pub fn spec(policy: &PromotePolicySpec) -> Result<AdoptionSpec, Vec<String>> {
    let mut errors = Vec::new();
    if policy.cluster_name.is_empty() {
        errors.push("spec.clusterName is required".to_string());
    }
    let excluded_ns = policy.excluded_namespaces.clone().unwrap_or_default();
    let names: Vec<String> =
        (policy.included_namespaces.iter().flatten()).filter(|n| !excluded_ns.contains(n)).cloned().collect();
    if names.is_empty() {
        errors.push(
            "spec.includedNamespaces must name at least one namespace not excluded: Flotilla does not promote every namespace of a cluster".into(),
        );
    }
    let included = policy.included_namespace_scoped_resources.clone().unwrap_or_default();
    if included.iter().any(|r| r != "*") {
        errors.push(
            "spec.includedNamespaceScopedResources other than \"*\" is not supported: use a ClusterResourceAdoption's resourceSelectors".into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut excluded: Vec<String> = DEFAULT_EXCLUDED_RESOURCES.iter().map(|s| s.to_string()).collect();
    for r in policy.excluded_namespace_scoped_resources.iter().flatten() {
        if !excluded.contains(r) {
            excluded.push(r.clone());
        }
    }
    Ok(AdoptionSpec {
        cluster_name: policy.cluster_name.clone(),
        namespaces: AdoptedNamespaces { names: Some(names), selector: None },
        excluded_resources: Some(excluded),
        mode: AdoptionMode::Adopt,
        release: policy.rollback == "true",
        ..Default::default()
    })
}

/// The policy's status for the adoption's.
pub fn status(policy: &PromotePolicy, adoption: Option<&AdoptionStatus>) -> PromotePolicyStatus {
    let mut out = PromotePolicyStatus {
        // Kept from before: the first time a promotion started.
        start_timestamp: policy.status.as_ref().and_then(|s| s.start_timestamp.clone()),
        ..Default::default()
    };
    let Some(a) = adoption else {
        out.phase = kosmos::PHASE_PRECHECKING.into();
        return out;
    };
    let failed = |t: &str| conditions::find(&a.conditions, t).filter(|c| c.status == "False");
    out.phase = match a.phase {
        None | Some(AdoptionPhase::Pending | AdoptionPhase::Discovering) => kosmos::PHASE_PRECHECKING,
        Some(AdoptionPhase::Diffing) => kosmos::PHASE_BACKUPING,
        Some(AdoptionPhase::Adopting | AdoptionPhase::Verifying | AdoptionPhase::Releasing) => kosmos::PHASE_RESTORING,
        Some(AdoptionPhase::Adopted) => kosmos::PHASE_COMPLETED,
        Some(AdoptionPhase::Released) => kosmos::PHASE_ROLLED_BACK,
        Some(AdoptionPhase::Failed) if failed(p::ADOPTION_RELEASED).is_some() => kosmos::PHASE_FAILED_ROLLBACK,
        Some(AdoptionPhase::Failed) if conditions::find(&a.conditions, p::ADOPTION_ADOPTED).is_none() => {
            kosmos::PHASE_FAILED_PRECHECK
        }
        Some(AdoptionPhase::Failed) => kosmos::PHASE_FAILED_RESTORE,
    }
    .to_string();
    let why: Vec<String> = a.conditions.iter().filter(|c| c.status == "False").map(|c| c.message.clone()).collect();
    if out.phase == kosmos::PHASE_FAILED_PRECHECK {
        out.precheck_errors = Some(why.clone());
    }
    if out.phase.starts_with("Failed") {
        out.failure_reason = why.join("; ");
    }
    if a.start_time.is_some() {
        out.start_timestamp = out.start_timestamp.or(a.start_time.clone());
    }
    out.completion_timestamp = a.completion_time.clone();
    let total = a.resources.iter().filter(|r| r.result != AdoptionResult::Excluded).count() as i64;
    out.progress = Some(PromotePolicyProgress { total_items: total, items_backed_up: a.adopted_count as i64 });
    if !a.placement_name.is_empty() {
        out.backedup_file = format!("clusterresourceplacement/{}", a.placement_name);
    }
    out
}

#[cfg(test)]
mod tests {
    use apis::placement::AdoptedResource;

    use super::*;

    fn seed() -> PromotePolicySpec {
        serde_json::from_value(serde_json::json!({
            "includedNamespaces": ["nginx-test"],
            "excludedNamespaceScopedResources": ["events", "events.events.k8s.io", "endpoints", "endpointslices.discovery.k8s.io"],
            "clusterName": "cluster-36-28"
        }))
        .unwrap()
    }

    #[test]
    fn the_seed_policy_becomes_an_adoption_and_rollback_a_release() {
        let s = spec(&seed()).unwrap();
        assert_eq!(s.cluster_name, "cluster-36-28");
        assert_eq!(s.namespaces.names.as_deref(), Some(&["nginx-test".to_string()][..]));
        assert_eq!(s.mode, AdoptionMode::Adopt);
        assert!(!s.release);
        let excluded = s.excluded_resources.unwrap();
        assert!(excluded.contains(&"leases.coordination.k8s.io".to_string()), "Flotilla's defaults too");
        assert_eq!(excluded.iter().filter(|r| *r == "events").count(), 1, "no duplicates");
        let mut rollback = seed();
        rollback.rollback = "true".into();
        assert!(spec(&rollback).unwrap().release);
    }

    #[test]
    fn no_namespace_no_cluster_or_a_resource_list_are_precheck_errors() {
        let errors = spec(&PromotePolicySpec::default()).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("clusterName") && errors[1].contains("includedNamespaces"));
        let mut all_excluded = seed();
        all_excluded.excluded_namespaces = Some(vec!["nginx-test".into()]);
        assert!(spec(&all_excluded).is_err());
        let mut some = seed();
        some.included_namespace_scoped_resources = Some(vec!["deployments.apps".into()]);
        assert!(spec(&some).unwrap_err()[0].contains("includedNamespaceScopedResources"));
        some.included_namespace_scoped_resources = Some(vec!["*".into()]);
        assert!(spec(&some).is_ok(), "* is every resource");
    }

    #[test]
    fn names_fit_a_placement() {
        assert_eq!(adoption_name("default", "promote-policy-example"), "promotepolicy-default-promote-policy-example");
        let long = adoption_name("a-very-long-namespace-name-indeed", "and-an-even-longer-policy-name-too");
        assert!(long.len() <= 63, "{long}");
        assert_ne!(long, adoption_name("a-very-long-namespace-name-indeed", "and-an-even-longer-policy-name-tooo"));
    }

    #[test]
    fn phases_are_kosmoss() {
        let policy = PromotePolicy::new("p", seed());
        let with = |phase, conds: Vec<(&str, bool)>| AdoptionStatus {
            phase: Some(phase),
            conditions: conds
                .into_iter()
                .map(|(t, ok)| conditions::new(t, ok, "R", format!("{t} said so"), None))
                .collect(),
            adopted_count: 2,
            placement_name: "promotepolicy-default-p".into(),
            resources: vec![
                AdoptedResource { result: AdoptionResult::Adopted, ..Default::default() },
                AdoptedResource { result: AdoptionResult::Adopted, ..Default::default() },
                AdoptedResource { result: AdoptionResult::Excluded, ..Default::default() },
            ],
            ..Default::default()
        };
        assert_eq!(status(&policy, None).phase, "Prechecking");
        let done = status(&policy, Some(&with(AdoptionPhase::Adopted, vec![(p::ADOPTION_ADOPTED, true)])));
        assert_eq!(done.phase, "Completed");
        assert_eq!(done.progress, Some(PromotePolicyProgress { total_items: 2, items_backed_up: 2 }));
        assert_eq!(done.backedup_file, "clusterresourceplacement/promotepolicy-default-p");
        assert_eq!(status(&policy, Some(&with(AdoptionPhase::Released, vec![]))).phase, "RolledBack");
        let precheck = status(&policy, Some(&with(AdoptionPhase::Failed, vec![(p::ADOPTION_DISCOVERED, false)])));
        assert_eq!(precheck.phase, "FailedPrecheck");
        assert_eq!(precheck.precheck_errors, Some(vec!["Discovered said so".to_string()]));
        let restore = status(&policy, Some(&with(AdoptionPhase::Failed, vec![(p::ADOPTION_ADOPTED, false)])));
        assert_eq!((restore.phase.as_str(), restore.failure_reason.as_str()), ("FailedRestore", "Adopted said so"));
        let rollback = status(&policy, Some(&with(AdoptionPhase::Failed, vec![(p::ADOPTION_RELEASED, false)])));
        assert_eq!(rollback.phase, "FailedRollback");
    }
}
