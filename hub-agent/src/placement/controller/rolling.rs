//! The rolling update in a pass: which bindings move to the latest resource
//! snapshot now (the pure `rollout::strategy::pass`), carried out, and each
//! binding's RolloutStarted condition.

use std::time::Duration;

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{BindingState, PlacementType, RolloutStrategyType},
};
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::{
    reconcile::{Error, Pass, patch_bindings, works_by_binding},
    scheduling,
    snapshots::Group,
    sync,
};
use crate::placement::{
    family::{Family, WithSpec, WithStatus},
    rollout::{readiness::View, strategy},
};

const STARTED: &str = "Detected the new changes on the resources and started the rollout process";
const BLOCKED: &str = "The resources cannot be updated to the latest because of the rollout strategy";

pub async fn roll<F: Family>(pass: &mut Pass<'_, F>, group: &Group, policy: &F::PolicySnapshot) -> Result<(), Error> {
    let spec = pass.spec();
    let new = std::mem::take(&mut pass.to_create);
    if spec.strategy.type_ == RolloutStrategyType::External {
        // An external controller binds them.
        let scheduled: Vec<_> = new.into_iter().map(|d| (d, None)).collect();
        return scheduling::create(pass, &scheduled).await;
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
                up_to_date: b.spec().state == BindingState::Bound && b.spec().resource_snapshot_name == group.master,
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

    let bind = json!({"spec": {"state": "Bound", "resourceSnapshotName": group.master}});
    let update = json!({"spec": {"resourceSnapshotName": group.master}});
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
    scheduling::create(pass, &creates).await?;
    // Stand-in names end with '-'; real ones never do.
    let existing = |n: &&String| !n.ends_with('-');
    let patches = (decided.bind.iter().filter(existing).map(|n| (n.clone(), bind.clone())))
        .chain(decided.update.iter().map(|n| (n.clone(), update.clone())))
        .collect();
    patch_bindings(pass, patches, "rolling out a binding").await?;
    let works = if decided.delete.is_empty() { Default::default() } else { works_by_binding(pass) };
    for name in &decided.delete {
        sync::delete_binding(pass, name, works.get(name).map(Vec::as_slice).unwrap_or_default()).await?;
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
    for (name, generation, state, _) in bound {
        if state == BindingState::Bound {
            let c = conditions::new(p::ROLLOUT_STARTED, Status::True, p::REASON_ROLLOUT_STARTED, STARTED, generation);
            pass.binding_conditions.entry(name).or_default().push(c);
        }
    }
    for (name, generation, ..) in stale {
        let c =
            conditions::new(p::ROLLOUT_STARTED, Status::False, p::REASON_ROLLOUT_NOT_STARTED_YET, BLOCKED, generation);
        pass.binding_conditions.entry(name).or_default().push(c);
    }
    if !decided.stale.is_empty() || wait.is_some() {
        // Blocked bindings move when others become ready (a status change
        // triggers a pass); an untrackable resource becomes ready by the clock.
        pass.requeue = [pass.requeue, wait].into_iter().flatten().min();
    }
    Ok(())
}
