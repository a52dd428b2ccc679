//! The staged update run controller (ClusterStagedUpdateRun and
//! StagedUpdateRun, one generic over [`RunFamily`]): initializes a run once (`plan`),
//! then moves it a step per pass (`progress`) and carries the step out:
//! binds clusters' bindings to the run's resource snapshot, creates approval
//! requests and accepts approved ones, deletes the bindings of clusters the
//! placement dropped. Bindings and approval requests wake their runs.
//! Deleting a run removes its approval requests and leaves every cluster on
//! the version it reached.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use apis::{
    cluster::MemberCluster,
    conditions::{self, placement as p},
    finalizers, labels,
    placement::{
        ApprovalRequestSpec, ApprovalRequestStatus, BindingState, ClusterResourceOverrideSnapshot, PlacementSpec,
        ResourceBindingSpec, ResourceBindingStatus, ResourceOverrideSnapshot, ResourceSnapshotSpec,
        RolloutStrategyType, SchedulingPolicySnapshotStatus, UpdateRunSpec, UpdateRunState, UpdateRunStatus,
        UpdateStrategySpec,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing},
    finalizer::{add_patch, remove_patch},
};
use futures::StreamExt;
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::ObjectMeta, jiff::Timestamp};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::{
        Controller,
        controller::Action,
        reflector::{ObjectRef, Store},
        watcher,
    },
};
use serde_json::json;
use tracing::{info, warn};

use super::{
    family::RunFamily,
    plan::{self, Initial},
    progress::{self, ClusterFact},
};
use crate::{
    overrides::applicable::{self, Placement},
    placement::{
        family::{Object, WithSpec, WithStatus},
        removal::remove_binding,
        snapshot::resources::master_name,
    },
    resources::lookup::identifier,
};
/// A run waiting on something no watch reports (a policy snapshot being scheduled).
const RETRY: Duration = Duration::from_secs(2);

struct Context {
    client: Client,
    reconciles: Reconciles,
}

/// Where a run lives and what it names: its namespace ("" for a cluster run) and placement.
struct Scope<'a> {
    client: &'a Client,
    namespace: String,
    placement: &'a str,
}

impl Scope<'_> {
    fn api<K: Object>(&self) -> Api<K> {
        K::api(self.client.clone(), &self.namespace)
    }

    /// The placement's children of kind `K` (snapshots, bindings).
    async fn tracked<K: Object>(&self, what: &str) -> Result<Vec<K>, Error> {
        let lp = ListParams::default().labels(&format!("{}={}", labels::PLACEMENT_TRACKING, self.placement));
        Ok(self.api::<K>().list(&lp).await.map_err(doing(format!("listing the {what}")))?.items)
    }

    fn overrides_for(&self) -> Placement<'_> {
        Placement { name: self.placement, namespace: (!self.namespace.is_empty()).then_some(self.namespace.as_str()) }
    }
}

fn scope<'a, F: RunFamily>(client: &'a Client, run: &'a F::Run) -> Scope<'a> {
    Scope {
        client,
        namespace: run.namespace().unwrap_or_default(),
        placement: &WithSpec::<UpdateRunSpec>::spec(run).placement_name,
    }
}

fn run_status<F: RunFamily>(run: &F::Run) -> UpdateRunStatus {
    WithStatus::<UpdateRunStatus>::status(run).cloned().unwrap_or_default()
}

fn binding_spec<F: RunFamily>(b: &F::Binding) -> &ResourceBindingSpec {
    WithSpec::<ResourceBindingSpec>::spec(b)
}

/// Writes the run's status at the version it was read at, so a pass that
/// read the run before its own last write cannot take the run back a step.
async fn write_status<F: RunFamily>(s: &Scope<'_>, run: &F::Run, status: &UpdateRunStatus) -> Result<(), Error> {
    let patch = json!({"metadata": {"resourceVersion": run.resource_version()}, "status": status});
    match s.api::<F::Run>().patch_status(&run.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await {
        // A newer run is on its way: its event brings the next pass.
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        r => r.map(|_| ()).map_err(doing("writing the run's status")),
    }
}

/// Initialization failed for good: `Initialized=False` with why.
async fn fail<F: RunFamily>(s: &Scope<'_>, run: &F::Run, message: String) -> Result<Action, Error> {
    info!(run = %run.name_any(), namespace = %s.namespace, %message, "update run not initialized");
    let mut status = run_status::<F>(run);
    let c = conditions::new(p::RUN_INITIALIZED, false, p::REASON_RUN_INITIALIZE_FAILED, message, run.meta().generation);
    conditions::set(&mut status.conditions, c);
    write_status::<F>(s, run, &status).await?;
    Ok(Action::await_change())
}

/// The member clusters, by name and labels.
async fn members(client: &Client) -> Result<Vec<MemberCluster>, Error> {
    Ok(Api::<MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing member clusters"))?
        .items)
}

fn clusters_of(members: &[MemberCluster]) -> Vec<plan::Cluster<'_>> {
    static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
    members
        .iter()
        .map(|m| plan::Cluster {
            name: m.metadata.name.as_deref().unwrap_or_default(),
            labels: m.metadata.labels.as_ref().unwrap_or(&NO_LABELS),
        })
        .collect()
}

/// Plans the run, or says why it cannot be; requeues while the scheduler or
/// the snapshot it needs is a moment away.
async fn initialize<F: RunFamily>(s: &Scope<'_>, run: &F::Run) -> Result<Action, Error> {
    let spec: &UpdateRunSpec = run.spec();
    let Some(placement) = s.api::<F::Placement>().get_opt(s.placement).await.map_err(doing("reading the placement"))?
    else {
        return fail::<F>(s, run, "parent placement not found".into()).await;
    };
    let placement_spec: &PlacementSpec = placement.spec();
    if placement_spec.strategy.type_ != RolloutStrategyType::External {
        let m = format!(
            "parent placement does not have an external rollout strategy, current strategy: {:?}",
            placement_spec.strategy.type_
        );
        return fail::<F>(s, run, m).await;
    }
    let Some(strategy) = s
        .api::<F::Strategy>()
        .get_opt(&spec.staged_rollout_strategy_name)
        .await
        .map_err(doing("reading the strategy"))?
    else {
        let m = format!("referenced updateStrategy not found: `{}`", spec.staged_rollout_strategy_name);
        return fail::<F>(s, run, m).await;
    };
    let strategy: &UpdateStrategySpec = strategy.spec();
    let policies: Vec<F::PolicySnapshot> = s.tracked("policy snapshots").await?;
    let latest = policies.into_iter().find(|s| s.labels().get(labels::IS_LATEST_SNAPSHOT).is_some_and(|v| v == "true"));
    let Some(policy) = latest.filter(|s| {
        WithStatus::<SchedulingPolicySnapshotStatus>::status(s)
            .is_some_and(|st| conditions::is_true(&st.conditions, p::SCHEDULED))
    }) else {
        // KubeFleet: "policy snapshot not fully scheduled yet"; the scheduler is a moment away.
        return Ok(Action::requeue(RETRY));
    };
    let bindings: Vec<F::Binding> = s.tracked("bindings").await?;
    let views: Vec<plan::Binding> = bindings
        .iter()
        .filter(|b| b.meta().deletion_timestamp.is_none())
        .map(|b| {
            let spec = binding_spec::<F>(b);
            plan::Binding {
                cluster: &spec.target_cluster,
                state: spec.state,
                current: spec.scheduling_policy_snapshot_name == policy.name_any(),
            }
        })
        .collect();
    let members = members(s.client).await?;
    let clusters = clusters_of(&members);
    let planned = match plan::plan(strategy, &views, &clusters) {
        Ok(p) => p,
        Err(m) if m.contains("need retry") => return Ok(Action::requeue(RETRY)),
        Err(m) => return fail::<F>(s, run, m).await,
    };

    // The resources: the index asked for, or a snapshot of what the
    // placement selects now, which the placement controller takes when the
    // run asks (it holds the resource cache) and marks as answering it.
    let snapshots: Vec<F::ResourceSnapshot> = s.tracked("resource snapshots").await?;
    let index = if spec.resource_snapshot_index.is_empty() {
        let uid = run.uid().unwrap_or_default();
        let answer = snapshots.iter().find(|s| {
            s.annotations().contains_key(labels::RESOURCE_GROUP_HASH)
                && s.annotations().get(labels::RESOURCE_SNAPSHOT_ANSWERS) == Some(&uid)
        });
        match answer.and_then(|s| s.labels().get(labels::RESOURCE_INDEX).cloned()) {
            Some(i) => i,
            None => {
                if placement.annotations().get(labels::RESOURCE_SNAPSHOT_REQUEST) != Some(&uid) {
                    let patch = json!({"metadata": {"annotations": {labels::RESOURCE_SNAPSHOT_REQUEST: uid}}});
                    s.api::<F::Placement>()
                        .patch(s.placement, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .map_err(doing("asking the placement for a resource snapshot"))?;
                    info!(run = %run.name_any(), namespace = %s.namespace, placement = %s.placement, "resource snapshot requested");
                }
                // The snapshot's event brings the next pass.
                return Ok(Action::await_change());
            }
        }
    } else {
        match spec.resource_snapshot_index.parse::<u32>() {
            Ok(i) => i.to_string(),
            Err(_) => {
                let m = format!(
                    "invalid resource snapshot index `{}` provided, expected an integer >= 0",
                    spec.resource_snapshot_index
                );
                return fail::<F>(s, run, m).await;
            }
        }
    };
    let group: Vec<&F::ResourceSnapshot> =
        snapshots.iter().filter(|s| s.labels().get(labels::RESOURCE_INDEX) == Some(&index)).collect();
    if group.is_empty() {
        let m = format!("no resourceSnapshots with index `{index}` found for placement `{}`", s.placement);
        return fail::<F>(s, run, m).await;
    }
    let named: Vec<(&str, &BTreeMap<String, String>)> = clusters.iter().map(|c| (c.name, c.labels)).collect();
    let overrides = override_lists::<F>(s, &group, &named).await?;
    let number = policy.annotations().get(labels::NUMBER_OF_CLUSTERS).and_then(|n| n.parse().ok());
    let observed = number.unwrap_or(planned.stages.iter().map(|(_, cs)| cs.len() as i64).sum());
    let status = plan::initial_status(Initial {
        generation: run.meta().generation,
        plan: planned,
        strategy,
        apply_strategy: placement_spec.strategy.apply_strategy.clone(),
        policy_snapshot_index: policy.labels().get(labels::POLICY_INDEX).cloned().unwrap_or_default(),
        observed_cluster_count: observed,
        resource_snapshot_index: index,
        overrides: &overrides,
    });
    write_status::<F>(s, run, &status).await?;
    info!(run = %run.name_any(), namespace = %s.namespace, placement = %s.placement, "update run initialized");
    // The write's watch event brings the first step.
    Ok(Action::await_change())
}

/// The override snapshots each of `clusters` carries for the resources of `group` (one snapshot index).
async fn override_lists<F: RunFamily>(
    s: &Scope<'_>,
    group: &[&F::ResourceSnapshot],
    clusters: &[(&str, &BTreeMap<String, String>)],
) -> Result<BTreeMap<String, applicable::Lists>, Error> {
    let selected: Vec<_> = group
        .iter()
        .flat_map(|s| &WithSpec::<ResourceSnapshotSpec>::spec(*s).selected_resources)
        .map(|m| identifier(&m.0))
        .collect();
    // ClusterResourceOverrides apply to ClusterResourcePlacements only.
    let cros = if F::NAMESPACED {
        Vec::new()
    } else {
        Api::<ClusterResourceOverrideSnapshot>::all(s.client.clone())
            .list(&ListParams::default())
            .await
            .map_err(doing("listing override snapshots"))?
            .items
    };
    let ros = Api::<ResourceOverrideSnapshot>::all(s.client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing override snapshots"))?
        .items;
    Ok(applicable::lists_for(
        &cros.iter().collect::<Vec<_>>(),
        &ros.iter().collect::<Vec<_>>(),
        &s.overrides_for(),
        &selected,
        clusters,
    ))
}

/// Whether `b` carries what the run wants for its cluster and is Available (or DiffReported) at its generation.
fn succeeded<F: RunFamily>(b: &F::Binding, master: &str, status: &UpdateRunStatus) -> bool {
    let spec = binding_spec::<F>(b);
    let want = status.stages_status.iter().flat_map(|s| &s.clusters).find(|c| c.cluster_name == spec.target_cluster);
    let carried = want.is_some_and(|c| {
        c.cluster_resource_override_snapshots == spec.cluster_resource_override_snapshots
            && c.resource_override_snapshots == spec.resource_override_snapshots
    });
    let g = b.meta().generation;
    let conds = WithStatus::<ResourceBindingStatus>::status(b).map(|s| s.conditions.as_slice()).unwrap_or_default();
    let at_generation =
        |t: &str| conditions::find(conds, t).is_some_and(|c| c.status == "True" && c.observed_generation == g);
    spec.state == BindingState::Bound
        && spec.resource_snapshot_name == master
        && carried
        && (at_generation(p::AVAILABLE) || at_generation(p::DIFF_REPORTED))
}

fn approved(status: Option<&ApprovalRequestStatus>) -> bool {
    status.is_some_and(|s| conditions::is_true(&s.conditions, p::APPROVAL_APPROVED))
}

fn of_run(run: &str) -> ListParams {
    ListParams::default().labels(&format!("{}={run}", labels::TARGET_UPDATE_RUN))
}

async fn step<F: RunFamily>(s: &Scope<'_>, run: &F::Run) -> Result<Action, Error> {
    let name = run.name_any();
    let spec: &UpdateRunSpec = run.spec();
    let status = run_status::<F>(run);
    let bindings: Vec<F::Binding> = s.tracked("bindings").await?;
    let master = master_name(s.placement, status.resource_snapshot_index_used.parse().unwrap_or(0));
    let requests: Api<F::Approval> = s.api();
    let approvals: BTreeMap<String, bool> = requests
        .list(&of_run(&name))
        .await
        .map_err(doing("listing approval requests"))?
        .items
        .iter()
        .map(|r| (r.name_any(), approved(r.status())))
        .collect();
    let running = spec.state == UpdateRunState::Run && conditions::find(&status.conditions, p::RUN_SUCCEEDED).is_none();
    let mut planned_status = status.clone();
    if running {
        replan::<F>(s, &name, &bindings, &mut planned_status).await?;
    }
    let facts: BTreeMap<String, ClusterFact> = bindings
        .iter()
        .filter(|b| b.meta().deletion_timestamp.is_none())
        .map(|b| {
            let fact = ClusterFact { succeeded: succeeded::<F>(b, &master, &planned_status) };
            (binding_spec::<F>(b).target_cluster.clone(), fact)
        })
        .collect();
    let Some(next) = progress::step(&progress::Input {
        run: &name,
        generation: run.meta().generation,
        now: Timestamp::now(),
        state: spec.state,
        status: &planned_status,
        clusters: &facts,
        approvals: &approvals,
    }) else {
        return Ok(Action::await_change());
    };

    let on = |cluster: &str| bindings.iter().find(|b| binding_spec::<F>(b).target_cluster == cluster);
    for action in &next.actions {
        match action {
            progress::Action::Bind(cluster) => {
                let Some(b) = on(cluster) else { continue };
                let want =
                    next.status.stages_status.iter().flat_map(|s| &s.clusters).find(|c| c.cluster_name == *cluster);
                let patch = json!({"spec": {
                    "state": "Bound",
                    "resourceSnapshotName": master,
                    "clusterResourceOverrideSnapshots": want.map(|c| c.cluster_resource_override_snapshots.clone()).unwrap_or_default(),
                    "resourceOverrideSnapshots": want.map(|c| c.resource_override_snapshots.clone()).unwrap_or_default(),
                    "applyStrategy": next.status.applied_strategy,
                }});
                s.api::<F::Binding>()
                    .patch(&b.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(doing(format!("binding cluster {cluster}")))?;
                info!(run = %name, namespace = %s.namespace, %cluster, snapshot = %master, "cluster updating");
            }
            progress::Action::RequestApproval { name: request, stage, task_type } => {
                let meta = ObjectMeta {
                    name: Some(request.clone()),
                    namespace: run.namespace(),
                    labels: Some(BTreeMap::from([
                        (labels::TARGET_UPDATE_RUN.to_string(), name.clone()),
                        (labels::TARGET_UPDATING_STAGE.to_string(), stage.clone()),
                        (labels::TASK_TYPE.to_string(), task_type.to_string()),
                        (labels::IS_LATEST_UPDATE_RUN_APPROVAL.to_string(), "true".to_string()),
                    ])),
                    owner_references: run.controller_owner_ref(&()).map(|o| vec![o]),
                    ..Default::default()
                };
                let spec = ApprovalRequestSpec { parent_stage_rollout: name.clone(), target_stage: stage.clone() };
                match requests.create(&PostParams::default(), &F::Approval::build(meta, spec)).await {
                    Ok(_) => {
                        info!(run = %name, namespace = %s.namespace, %stage, request = %request, "waiting for approval")
                    }
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(doing("creating an approval request")(e)),
                }
            }
            progress::Action::AcceptApproval(request) => {
                let Some(r) = requests.get_opt(request).await.map_err(doing("reading an approval request"))? else {
                    continue;
                };
                let mut conds = r.status().map(|s| s.conditions.clone()).unwrap_or_default();
                let c = conditions::new(
                    p::APPROVAL_ACCEPTED,
                    true,
                    p::REASON_APPROVAL_ACCEPTED,
                    "The approval request has been approved and cannot be reverted",
                    r.meta().generation,
                );
                if conditions::set(&mut conds, c) {
                    requests
                        .patch_status(
                            request,
                            &PatchParams::default(),
                            &Patch::Merge(json!({"status": {"conditions": conds}})),
                        )
                        .await
                        .map_err(doing("accepting an approval"))?;
                }
            }
            progress::Action::Unbind(cluster) => {
                if let Some(b) = on(cluster) {
                    remove_binding::<F>(s.client, b).await.map_err(doing(format!("removing cluster {cluster}")))?;
                }
            }
        }
    }
    if next.status != status {
        write_status::<F>(s, run, &next.status).await?;
    }
    Ok(next.requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Fits a running run to the clusters the placement selects now (see
/// `replan`), and says what changed in its Initialized condition.
async fn replan<F: RunFamily>(
    s: &Scope<'_>,
    name: &str,
    bindings: &[F::Binding],
    status: &mut UpdateRunStatus,
) -> Result<(), Error> {
    let live = bindings.iter().filter(|b| b.meta().deletion_timestamp.is_none()).map(binding_spec::<F>);
    let (selected, deletion): (Vec<&ResourceBindingSpec>, Vec<&ResourceBindingSpec>) =
        live.partition(|b| b.state != BindingState::Unscheduled);
    let selected: Vec<String> = selected.iter().map(|b| b.target_cluster.clone()).collect();
    let deletion: Vec<String> = deletion.iter().map(|b| b.target_cluster.clone()).collect();
    let members = members(s.client).await?;
    let clusters = clusters_of(&members);
    let strategy = status.staged_update_strategy_snapshot.clone().unwrap_or_default();
    let before: Vec<String> =
        status.stages_status.iter().flat_map(|s| &s.clusters).map(|c| c.cluster_name.clone()).collect();
    let notes = match plan::stages(&strategy, &selected, &clusters) {
        Ok(planned) => super::replan::replan(status, &planned, &deletion),
        Err(why) => vec![format!("the clusters joined cannot be placed: {why}")],
    };
    if notes.is_empty() {
        return Ok(());
    }
    // Joined clusters carry their overrides like the others: computed for
    // the run's snapshot, as at initialization.
    let joined: Vec<(&str, &BTreeMap<String, String>)> = clusters
        .iter()
        .filter(|c| {
            status
                .stages_status
                .iter()
                .flat_map(|s| &s.clusters)
                .any(|u| u.cluster_name == c.name && u.conditions.is_empty() && !before.contains(&u.cluster_name))
        })
        .map(|c| (c.name, c.labels))
        .collect();
    if !joined.is_empty() {
        let snapshots: Vec<F::ResourceSnapshot> = s.tracked("resource snapshots").await?;
        let group: Vec<&F::ResourceSnapshot> = (snapshots.iter())
            .filter(|s| s.labels().get(labels::RESOURCE_INDEX) == Some(&status.resource_snapshot_index_used))
            .collect();
        let lists = override_lists::<F>(s, &group, &joined).await?;
        for u in status.stages_status.iter_mut().flat_map(|s| s.clusters.iter_mut()) {
            if let Some(l) = lists.get(&u.cluster_name) {
                u.cluster_resource_override_snapshots = l.cluster.clone();
                u.resource_override_snapshots = l.namespaced.clone();
            }
        }
    }
    info!(run = %name, namespace = %s.namespace, changes = ?notes, "update run re-planned");
    if let Some(c) = status.conditions.iter_mut().find(|c| c.type_ == p::RUN_INITIALIZED) {
        let base = c.message.split("; re-planned:").next().unwrap_or_default().to_string();
        c.message = format!("{base}; re-planned: {}", notes.join("; "));
    }
    Ok(())
}

async fn reconcile<F: RunFamily>(run: Arc<F::Run>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(F::CONTROLLER);
    let s = scope::<F>(&ctx.client, &run);
    let name = run.name_any();
    let runs: Api<F::Run> = s.api();
    if run.meta().deletion_timestamp.is_some() {
        // Every cluster stays on the version it reached; only the run's own objects go.
        s.api::<F::Approval>()
            .delete_collection(&DeleteParams::background(), &of_run(&name))
            .await
            .map_err(doing("deleting the run's approval requests"))?;
        if let Some(patch) = remove_patch(run.finalizers(), finalizers::STAGED_UPDATE_RUN) {
            runs.patch(&name, &PatchParams::default(), &Patch::Json::<()>(patch))
                .await
                .map_err(doing("removing the finalizer"))?;
        }
        return Ok(Action::await_change());
    }
    if let Some(patch) = add_patch(run.finalizers(), finalizers::STAGED_UPDATE_RUN, run.resource_version()) {
        runs.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(doing("adding the finalizer"))?;
        return Ok(Action::await_change());
    }
    let status = run_status::<F>(&run);
    let state = WithSpec::<UpdateRunSpec>::spec(&*run).state;
    match conditions::find(&status.conditions, p::RUN_INITIALIZED) {
        None => initialize::<F>(&s, &run).await,
        // A finished run, or one only planned, has nothing to read: every
        // binding change of its placement wakes it, so return before listing.
        Some(_) if conditions::find(&status.conditions, p::RUN_SUCCEEDED).is_some() => Ok(Action::await_change()),
        Some(_) if state == UpdateRunState::Initialize => Ok(Action::await_change()),
        Some(c) if c.status == "True" => step::<F>(&s, &run).await,
        Some(_) => Ok(Action::await_change()),
    }
}

fn error_policy<F: RunFamily>(run: Arc<F::Run>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(run = %run.name_any(), namespace = ?run.namespace(), error = %e, "update run failed; retrying");
    ctx.reconciles.failed(F::CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// The runs of the placement a child (binding, snapshot) belongs to.
fn runs_of<F: RunFamily>(runs: &Store<F::Run>, child: &impl Resource) -> Vec<ObjectRef<F::Run>> {
    let meta = child.meta();
    let placement = meta.labels.as_ref().and_then(|l| l.get(labels::PLACEMENT_TRACKING));
    runs.state()
        .into_iter()
        .filter(|r| Some(&r.spec().placement_name) == placement && r.namespace() == meta.namespace)
        .map(|r| ObjectRef::from_obj(&*r))
        .collect()
}

/// Runs the runs of family `F` until shutdown.
pub async fn run<F: RunFamily>(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller = Controller::new(Api::<F::Run>::all(client.clone()), watcher::Config::default());
    let (bindings, snapshots) = (controller.store(), controller.store());
    controller
        .watches(
            Api::<F::Binding>::all(client.clone()),
            watcher::Config::default().labels(labels::PLACEMENT_TRACKING),
            move |binding| runs_of::<F>(&bindings, &binding),
        )
        .watches(
            Api::<F::ResourceSnapshot>::all(client.clone()),
            watcher::Config::default().labels(labels::PLACEMENT_TRACKING),
            move |snapshot| runs_of::<F>(&snapshots, &snapshot),
        )
        .watches(
            Api::<F::Approval>::all(client.clone()),
            watcher::Config::default().labels(labels::TARGET_UPDATE_RUN),
            |r| {
                let run = ObjectRef::new(r.labels().get(labels::TARGET_UPDATE_RUN)?);
                Some(match r.namespace() {
                    Some(ns) => run.within(&ns),
                    None => run,
                })
            },
        )
        .shutdown_on_signal()
        .run(reconcile::<F>, error_policy::<F>, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
