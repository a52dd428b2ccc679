//! Scheduling in a pass: read the clusters and bindings, call the pure
//! scheduler, and carry out its plan (create, patch and unschedule bindings,
//! record the decisions in the policy snapshot's status).

use std::{collections::BTreeMap, time::Duration};

use apis::{
    cluster::MemberCluster,
    conditions::{self, placement as p},
    labels,
    placement::{BindingState, ClusterDecision, ResourceBindingSpec, SchedulingPolicySnapshotStatus},
};
use kube::{
    Resource, ResourceExt,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;
use tracing::info;

use super::{
    expectations::Child,
    pass::{Error, Pass},
    write::{all, patch_bindings, status_patch},
};
use crate::{
    overrides::applicable::Lists,
    placement::family::{Family, Object, WithSpec, WithStatus},
    scheduler::{self, Binding},
};

/// What scheduling left for the rollout.
pub struct Scheduled {
    /// The latest policy snapshot's name, for new bindings.
    pub policy_snapshot: String,
    /// Bindings the scheduler wants, created by the rollout: as Bound when it
    /// binds them at once (one write instead of two), else as Scheduled.
    pub create: Vec<ClusterDecision>,
    /// The policy snapshot's status as it now stands.
    pub status: Option<SchedulingPolicySnapshotStatus>,
}

fn state_name(s: BindingState) -> &'static str {
    match s {
        BindingState::Scheduled => "Scheduled",
        BindingState::Bound => "Bound",
        BindingState::Unscheduled => "Unscheduled",
    }
}

fn parse_state(s: &str) -> Option<BindingState> {
    match s {
        "Scheduled" => Some(BindingState::Scheduled),
        "Bound" => Some(BindingState::Bound),
        _ => None,
    }
}

/// Schedules: patches and unschedules bindings, records the decisions.
pub async fn schedule<F: Family>(pass: &mut Pass<'_, F>, snapshot: &F::PolicySnapshot) -> Result<Scheduled, Error> {
    let latest = snapshot.name_any();
    let clusters: Vec<MemberCluster> = pass.ctx.clusters.state().iter().map(|c| (**c).clone()).collect();
    let views: Vec<Binding> = pass
        .bindings
        .iter()
        .map(|b| Binding {
            name: b.name_any(),
            cluster: b.spec().target_cluster.clone(),
            state: b.spec().state,
            current: b.spec().scheduling_policy_snapshot_name == latest,
            deleting: b.meta().deletion_timestamp.is_some(),
            decision: b.spec().cluster_decision.clone(),
            previous_state: b.annotations().get(labels::PREVIOUS_BINDING_STATE).and_then(|s| parse_state(s)),
        })
        .collect();
    let n = snapshot.annotations().get(labels::NUMBER_OF_CLUSTERS).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    let policy = snapshot.spec().policy.as_ref();
    let taint = crate::migration::taint::value(pass.namespace.as_deref(), &pass.name);
    let plan = scheduler::schedule(&scheduler::Input {
        policy,
        number_of_clusters: n,
        clusters: &clusters,
        bindings: &views,
        now: pass.now,
        eligibility: pass.ctx.config.eligibility,
        placement: &taint,
    })
    .map_err(|message| Error::Other { placement: pass.key.clone(), message })?;

    let mut patches = Vec::new();
    for name in &plan.unschedule {
        let Some(b) = pass.bindings.iter().find(|b| b.name_any() == *name) else { continue };
        info!(placement = %pass.key, binding = %name, "unscheduling");
        patches.push((
            name.clone(),
            json!({
                "metadata": {"annotations": {labels::PREVIOUS_BINDING_STATE: state_name(b.spec().state)}},
                "spec": {"state": "Unscheduled"},
            }),
        ));
    }
    for (name, state, decision) in &plan.patch {
        patches.push((
            name.clone(),
            json!({
                "metadata": {"annotations": {labels::PREVIOUS_BINDING_STATE: null}},
                "spec": {"state": state_name(*state), "schedulingPolicySnapshotName": latest, "clusterDecision": decision},
            }),
        ));
    }
    patch_bindings(pass, patches, "scheduling a binding").await?;
    if plan.requeue {
        pass.requeue_after(Duration::from_millis(10));
    }
    // The rollout creates the new bindings: it knows whether they start Bound.
    let mut scheduled = Scheduled { policy_snapshot: latest.clone(), create: plan.create, status: None };

    let Some(status) = plan.status else {
        scheduled.status = snapshot.status().cloned();
        return Ok(scheduled);
    };
    let generation =
        snapshot.annotations().get(labels::CRP_GENERATION).and_then(|g| g.parse().ok()).unwrap_or(pass.generation);
    let (reason, message) = if status.fulfilled {
        (p::REASON_SCHEDULING_POLICY_FULFILLED, status.message())
    } else {
        (p::REASON_SCHEDULING_POLICY_UNFULFILLED, status.message())
    };
    let old = snapshot.status().cloned().unwrap_or_default();
    let mut want = SchedulingPolicySnapshotStatus {
        observed_crp_generation: generation,
        conditions: vec![conditions::new(p::SCHEDULED, status.fulfilled, reason, message, snapshot.meta().generation)],
        cluster_decisions: status.decisions,
    };
    crate::placement::status::keep_transition_times(&old.conditions, &mut want.conditions);
    if want != old {
        let written = F::PolicySnapshot::api(pass.ctx.client.clone(), pass.ns())
            .patch_status(&latest, &PatchParams::default(), &Patch::Merge(&status_patch(&want, &["targetClusters"])))
            .await
            .map_err(pass.kube("writing the scheduling decisions"))?;
        pass.wrote(Child::of::<F::PolicySnapshot>(), &written);
    }
    scheduled.status = Some(want);
    Ok(scheduled)
}

/// The name a new binding's name starts with; its stand-in name until created.
pub fn name_prefix(placement: &str, cluster: &str) -> String {
    format!("{placement}-{cluster}-")
}

/// Creates a binding per decision under `policy_snapshot`, concurrently:
/// Bound to `bound` (the latest resource snapshot, with its cluster's
/// `overrides`) when given, else Scheduled.
pub async fn create<F: Family>(
    pass: &mut Pass<'_, F>,
    policy_snapshot: &str,
    overrides: &BTreeMap<String, Lists>,
    decisions: &[(ClusterDecision, Option<String>)],
) -> Result<(), Error> {
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    let objects: Vec<F::Binding> = decisions
        .iter()
        .map(|(decision, bound)| {
            let cluster = &decision.cluster_name;
            let mut meta = pass.child_meta(String::new(), BTreeMap::new());
            meta.name = None;
            meta.generate_name = Some(name_prefix(&pass.name, cluster));
            // Bound at once: with its cluster's overrides.
            let lists = bound.as_ref().and_then(|_| overrides.get(cluster).cloned()).unwrap_or_default();
            let spec = ResourceBindingSpec {
                state: if bound.is_some() { BindingState::Bound } else { BindingState::Scheduled },
                resource_snapshot_name: bound.clone().unwrap_or_default(),
                resource_override_snapshots: lists.namespaced,
                cluster_resource_override_snapshots: lists.cluster,
                scheduling_policy_snapshot_name: policy_snapshot.to_string(),
                target_cluster: cluster.clone(),
                cluster_decision: decision.clone(),
                apply_strategy: pass.spec().strategy.apply_strategy.clone(),
            };
            F::Binding::build(meta, spec)
        })
        .collect();
    let results = all(objects.into_iter().map(|o| {
        let api = api.clone();
        async move { api.create(&PostParams::default(), &o).await }
    }))
    .await;
    let mut failed = None;
    for r in results {
        match r {
            Ok(created) => {
                pass.wrote(Child::of::<F::Binding>(), &created);
                info!(placement = %pass.key, binding = %created.name_any(), cluster = %created.spec().target_cluster, "scheduled");
                pass.bindings.push(created);
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    pass.bindings.sort_by_key(|b| b.name_any());
    failed.map_or(Ok(()), |e| Err(pass.kube("creating a binding")(e)))
}
