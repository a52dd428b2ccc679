//! The rolling update in a pass: which bindings move to the latest resource
//! snapshot now (the pure `rollout::strategy::pass`), carried out, and each
//! binding's RolloutStarted condition.

use std::{collections::BTreeMap, time::Duration};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{BindingState, PlacementType, ResourceBindingSpec, ResourceIdentifier, RolloutStrategyType},
};
use kube::{Resource, ResourceExt, runtime::reflector::ObjectRef};
use serde_json::json;

use super::{
    pass::{Error, Pass},
    scheduling::{self, Scheduled},
    snapshots::Group,
    write::{delete_binding, patch_bindings},
};
use crate::{
    overrides::applicable::{self, Lists, Placement},
    placement::{
        family::{Family, WithSpec, WithStatus},
        rollout::{readiness::View, strategy},
    },
    resources,
};

/// Whether a binding carries exactly `lists` (none when unknown).
fn carries(spec: &ResourceBindingSpec, lists: Option<&Lists>) -> bool {
    let empty = Lists::default();
    let lists = lists.unwrap_or(&empty);
    spec.cluster_resource_override_snapshots == lists.cluster && spec.resource_override_snapshots == lists.namespaced
}

const STARTED: &str = "Detected the new changes on the resources and started the rollout process";
const BLOCKED: &str = "The resources cannot be updated to the latest because of the rollout strategy";

/// The override snapshots each cluster's binding should carry: the latest
/// snapshots of the overrides that concern the group's resources there.
fn override_lists<F: Family>(pass: &Pass<'_, F>, group: &Group, clusters: &[String]) -> BTreeMap<String, Lists> {
    let selected: Vec<ResourceIdentifier> =
        group.snapshots.iter().flat_map(|(_, r)| r).map(|m| resources::identifier(&m.0)).collect();
    let placement = Placement { name: &pass.name, namespace: pass.namespace.as_deref() };
    let members: Vec<_> = clusters.iter().map(|c| (c, pass.ctx.clusters.get(&ObjectRef::new(c)))).collect();
    let no_labels = BTreeMap::new();
    let with_labels: Vec<(&str, &BTreeMap<String, String>)> = members
        .iter()
        .map(|(name, mc)| (name.as_str(), mc.as_ref().and_then(|m| m.metadata.labels.as_ref()).unwrap_or(&no_labels)))
        .collect();
    applicable::lists_for(
        &pass.ctx.overrides.cluster.state(),
        &pass.ctx.overrides.namespaced.state(),
        &placement,
        &selected,
        &with_labels,
    )
}

/// What the rollout decided, for the Works and the bindings' status.
#[derive(Default)]
pub struct Rolled {
    /// Each binding's RolloutStarted condition, by binding name.
    pub conditions: BTreeMap<String, Condition>,
}

pub async fn roll<F: Family>(
    pass: &mut Pass<'_, F>,
    group: &Group,
    policy: &F::PolicySnapshot,
    scheduled: &Scheduled,
) -> Result<Rolled, Error> {
    let spec = pass.spec();
    let new = scheduled.create.clone();
    let clusters: Vec<String> = pass
        .bindings
        .iter()
        .map(|b| b.spec().target_cluster.clone())
        .chain(new.iter().map(|d| d.cluster_name.clone()))
        .collect();
    let overrides = override_lists(pass, group, &clusters);
    if spec.strategy.type_ == RolloutStrategyType::External {
        // An external controller (a staged update run) binds them, to the
        // version it rolls (a rollback's older one too): a bound binding has
        // started.
        let unbound: Vec<_> = new.into_iter().map(|d| (d, None)).collect();
        scheduling::create(pass, &scheduled.policy_snapshot, &overrides, &unbound).await?;
        let mut rolled = Rolled::default();
        for b in pass.bindings.iter().filter(|b| b.meta().deletion_timestamp.is_none()) {
            let (state, generation) = (b.spec().state, b.meta().generation);
            let c = match state {
                BindingState::Bound => {
                    conditions::new(p::ROLLOUT_STARTED, Status::True, p::REASON_ROLLOUT_STARTED, STARTED, generation)
                }
                BindingState::Unscheduled => continue,
                _ => conditions::new(
                    p::ROLLOUT_STARTED,
                    Status::False,
                    p::REASON_ROLLOUT_NOT_STARTED_YET,
                    BLOCKED,
                    generation,
                ),
            };
            rolled.conditions.insert(b.name_any(), c);
        }
        return Ok(rolled);
    }
    // A new apply strategy reaches every binding at once: it changes how, not what.
    let apply = spec.strategy.apply_strategy.clone();
    let outdated: Vec<String> = pass
        .bindings
        .iter()
        .filter(|b| b.meta().deletion_timestamp.is_none() && b.spec().apply_strategy != apply)
        .map(|b| b.name_any())
        .collect();
    let patches = outdated.into_iter().map(|n| (n, json!({"spec": {"applyStrategy": apply}}))).collect();
    patch_bindings(pass, patches, "updating a binding's apply strategy").await?;

    let config = spec.strategy.rolling_update.clone().unwrap_or_default();
    let period = Duration::from_secs(config.unavailable_period_seconds.max(0) as u64);
    let mut wait: Option<Duration> = None;
    let mut views: Vec<strategy::Binding> = pass
        .bindings
        .iter()
        .map(|b| {
            let conds = b.status().map(|s| s.conditions.as_slice()).unwrap_or_default();
            let view = View { conditions: conds, generation: b.meta().generation.unwrap_or(0) };
            let ready = match view.ready(pass.now, period) {
                Ok(()) => true,
                Err(w) => {
                    if let Some(w) = w {
                        wait = Some(wait.map_or(w, |x| x.min(w)));
                    }
                    false
                }
            };
            strategy::Binding {
                name: b.name_any(),
                state: b.spec().state,
                deleting: b.meta().deletion_timestamp.is_some(),
                ready,
                failed: view.failed(),
                diff_reported: view.diff_reported(),
                up_to_date: b.spec().state == BindingState::Bound
                    && b.spec().resource_snapshot_name == group.master
                    && carries(b.spec(), overrides.get(&b.spec().target_cluster)),
            }
        })
        .collect();
    // Bindings about to be created count as Scheduled, under their name prefix.
    for d in &new {
        views.push(strategy::Binding {
            name: scheduling::name_prefix(&pass.name, &d.cluster_name),
            state: BindingState::Scheduled,
            deleting: false,
            ready: false,
            failed: false,
            diff_reported: false,
            up_to_date: false,
        });
    }
    views.sort_by(|a, b| a.name.cmp(&b.name));
    // N as the placement says now: scaling updates the snapshot's annotation, not its spec.
    let n = policy.annotations().get(labels::NUMBER_OF_CLUSTERS).and_then(|n| n.parse::<usize>().ok());
    let policy = policy.spec().policy.as_ref();
    let target = match policy.map(|p| p.placement_type).unwrap_or(PlacementType::PickAll) {
        PlacementType::PickAll => views.iter().filter(|b| b.state != BindingState::Unscheduled).count(),
        PlacementType::PickFixed => policy.map(|p| p.cluster_names.len()).unwrap_or(0),
        PlacementType::PickN => n.unwrap_or(0),
    };
    let max_unavailable = strategy::scaled(&config.max_unavailable, target).unwrap_or(0);
    let max_surge = strategy::scaled(&config.max_surge, target).unwrap_or(0);
    let decided = strategy::pass(&views, target, max_unavailable, max_surge);

    let stale_new: std::collections::BTreeSet<String> = new
        .iter()
        .filter(|d| decided.stale.contains(&scheduling::name_prefix(&pass.name, &d.cluster_name)))
        .map(|d| d.cluster_name.clone())
        .collect();
    let creates: Vec<_> = new
        .into_iter()
        .map(|d| {
            let bound = decided.bind.contains(&scheduling::name_prefix(&pass.name, &d.cluster_name));
            (d, bound.then(|| group.master.clone()))
        })
        .collect();
    scheduling::create(pass, &scheduled.policy_snapshot, &overrides, &creates).await?;
    // Stand-in names end with '-'; real ones never do.
    let existing = |n: &&String| !n.ends_with('-');
    // What a binding moves to: the latest resources, with its cluster's overrides.
    let target = |name: &str, bind: bool| {
        let cluster = pass.bindings.iter().find(|b| b.name_any() == name).map(|b| b.spec().target_cluster.clone());
        let lists = cluster.and_then(|c| overrides.get(&c).cloned()).unwrap_or_default();
        let mut spec = json!({"resourceSnapshotName": group.master,
            "clusterResourceOverrideSnapshots": lists.cluster, "resourceOverrideSnapshots": lists.namespaced});
        if bind {
            spec["state"] = json!("Bound");
        }
        json!({"spec": spec})
    };
    let patches = (decided.bind.iter().filter(existing).map(|n| (n.clone(), target(n, true))))
        .chain(decided.update.iter().map(|n| (n.clone(), target(n, false))))
        .collect();
    patch_bindings(pass, patches, "rolling out a binding").await?;
    let works = if decided.delete.is_empty() { Default::default() } else { pass.works_by_binding() };
    for name in &decided.delete {
        delete_binding(pass, name, works.get(name).map(Vec::as_slice).unwrap_or_default()).await?;
    }
    let (bound, stale): (Vec<_>, Vec<_>) = pass
        .bindings
        .iter()
        .filter(|b| b.meta().deletion_timestamp.is_none() && b.spec().state != BindingState::Unscheduled)
        .map(|b| (b.name_any(), b.meta().generation, b.spec().state, b.spec().target_cluster.clone()))
        .partition(|(name, _, state, cluster)| {
            let waiting_new = *state == BindingState::Scheduled && stale_new.contains(cluster);
            !decided.stale.contains(name) && !waiting_new
        });
    let mut rolled = Rolled::default();
    for (name, generation, state, _) in bound {
        if state == BindingState::Bound {
            let c = conditions::new(p::ROLLOUT_STARTED, Status::True, p::REASON_ROLLOUT_STARTED, STARTED, generation);
            rolled.conditions.insert(name, c);
        }
    }
    for (name, generation, ..) in stale {
        let c =
            conditions::new(p::ROLLOUT_STARTED, Status::False, p::REASON_ROLLOUT_NOT_STARTED_YET, BLOCKED, generation);
        rolled.conditions.insert(name, c);
    }
    // Blocked bindings move when others become ready (a status change
    // triggers a pass); an untrackable resource becomes ready by the clock.
    if let Some(wait) = wait {
        pass.requeue_after(wait);
    }
    Ok(rolled)
}
