//! The ClusterStagedUpdateRun controller: initializes a run once (`plan`),
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
        ClusterApprovalRequest, ClusterResourceBinding, ClusterResourceOverrideSnapshot, ClusterResourcePlacement,
        ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot, ClusterStagedUpdateRun, ClusterStagedUpdateStrategy,
        ResourceOverrideSnapshot, RolloutStrategyType, UpdateRunState, UpdateRunStatus,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing},
    finalizer::{add_patch, remove_patch},
};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::{
    plan::{self, Initial},
    progress::{self, ClusterFact},
};
use crate::{
    overrides::applicable::{self, Placement},
    placement::{removal::remove_binding, snapshot::resources::master_name},
    resources::lookup::identifier,
};

/// The controller's name in metrics.
const CONTROLLER: &str = "clusterstagedupdaterun";
/// A run waiting on something no watch reports (a policy snapshot being scheduled).
const RETRY: Duration = Duration::from_secs(2);

struct Context {
    client: Client,
    reconciles: Reconciles,
}

fn tracked(placement: &str) -> ListParams {
    ListParams::default().labels(&format!("{}={placement}", labels::PLACEMENT_TRACKING))
}

/// Writes the run's status at the version it was read at, so a pass that
/// read the run before its own last write cannot take the run back a step.
async fn write_status(client: &Client, run: &ClusterStagedUpdateRun, status: &UpdateRunStatus) -> Result<(), Error> {
    let patch = json!({"metadata": {"resourceVersion": run.resource_version()}, "status": status});
    match Api::<ClusterStagedUpdateRun>::all(client.clone())
        .patch_status(&run.name_any(), &PatchParams::default(), &Patch::Merge(patch))
        .await
    {
        // A newer run is on its way: its event brings the next pass.
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        r => r.map(|_| ()).map_err(doing("writing the run's status")),
    }
}

/// Initialization failed for good: `Initialized=False` with why.
async fn fail(client: &Client, run: &ClusterStagedUpdateRun, message: String) -> Result<Action, Error> {
    info!(run = %run.name_any(), %message, "update run not initialized");
    let mut status = run.status.clone().unwrap_or_default();
    let c =
        conditions::new(p::RUN_INITIALIZED, false, p::REASON_RUN_INITIALIZE_FAILED, message, run.metadata.generation);
    conditions::set(&mut status.conditions, c);
    write_status(client, run, &status).await?;
    Ok(Action::await_change())
}

/// Plans the run; `None` to try again shortly.
async fn initialize(client: &Client, run: &ClusterStagedUpdateRun) -> Result<Action, Error> {
    let spec = &run.spec;
    let Some(crp) = Api::<ClusterResourcePlacement>::all(client.clone())
        .get_opt(&spec.placement_name)
        .await
        .map_err(doing("reading the placement"))?
    else {
        return fail(client, run, "parent placement not found".into()).await;
    };
    if crp.spec.strategy.type_ != RolloutStrategyType::External {
        let m = format!(
            "parent placement does not have an external rollout strategy, current strategy: {:?}",
            crp.spec.strategy.type_
        );
        return fail(client, run, m).await;
    }
    let Some(strategy) = Api::<ClusterStagedUpdateStrategy>::all(client.clone())
        .get_opt(&spec.staged_rollout_strategy_name)
        .await
        .map_err(doing("reading the strategy"))?
    else {
        let m = format!("referenced updateStrategy not found: `{}`", spec.staged_rollout_strategy_name);
        return fail(client, run, m).await;
    };
    let policies = Api::<ClusterSchedulingPolicySnapshot>::all(client.clone())
        .list(&tracked(&spec.placement_name))
        .await
        .map_err(doing("listing the policy snapshots"))?;
    let latest =
        policies.items.into_iter().find(|s| s.labels().get(labels::IS_LATEST_SNAPSHOT).is_some_and(|v| v == "true"));
    let Some(policy) =
        latest.filter(|s| s.status.as_ref().is_some_and(|st| conditions::is_true(&st.conditions, p::SCHEDULED)))
    else {
        // KubeFleet: "policy snapshot not fully scheduled yet"; the scheduler is a moment away.
        return Ok(Action::requeue(RETRY));
    };
    let bindings = Api::<ClusterResourceBinding>::all(client.clone())
        .list(&tracked(&spec.placement_name))
        .await
        .map_err(doing("listing the bindings"))?
        .items;
    let views: Vec<plan::Binding> = bindings
        .iter()
        .filter(|b| b.metadata.deletion_timestamp.is_none())
        .map(|b| plan::Binding {
            cluster: &b.spec.target_cluster,
            state: b.spec.state,
            current: b.spec.scheduling_policy_snapshot_name == policy.name_any(),
        })
        .collect();
    let members = Api::<MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing member clusters"))?;
    let no_labels = BTreeMap::new();
    let clusters: Vec<plan::Cluster> = members
        .items
        .iter()
        .map(|m| plan::Cluster {
            name: m.metadata.name.as_deref().unwrap_or_default(),
            labels: m.metadata.labels.as_ref().unwrap_or(&no_labels),
        })
        .collect();
    let planned = match plan::plan(&strategy.spec, &views, &clusters) {
        Ok(p) => p,
        Err(m) if m.contains("need retry") => return Ok(Action::requeue(RETRY)),
        Err(m) => return fail(client, run, m).await,
    };

    // The resources: the index asked for, or the latest.
    let snapshots = Api::<ClusterResourceSnapshot>::all(client.clone())
        .list(&tracked(&spec.placement_name))
        .await
        .map_err(doing("listing the resource snapshots"))?
        .items;
    let index = if spec.resource_snapshot_index.is_empty() {
        let latest = snapshots.iter().find(|s| {
            s.labels().get(labels::IS_LATEST_SNAPSHOT).is_some_and(|v| v == "true")
                && s.annotations().contains_key(labels::RESOURCE_GROUP_HASH)
        });
        match latest.and_then(|s| s.labels().get(labels::RESOURCE_INDEX).cloned()) {
            Some(i) => i,
            None => return Ok(Action::requeue(RETRY)),
        }
    } else {
        match spec.resource_snapshot_index.parse::<u32>() {
            Ok(i) => i.to_string(),
            Err(_) => {
                let m = format!(
                    "invalid resource snapshot index `{}` provided, expected an integer >= 0",
                    spec.resource_snapshot_index
                );
                return fail(client, run, m).await;
            }
        }
    };
    let group: Vec<&ClusterResourceSnapshot> =
        snapshots.iter().filter(|s| s.labels().get(labels::RESOURCE_INDEX) == Some(&index)).collect();
    if group.is_empty() {
        let m = format!("no resourceSnapshots with index `{index}` found for placement `{}`", spec.placement_name);
        return fail(client, run, m).await;
    }
    let named: Vec<(&str, &BTreeMap<String, String>)> = clusters.iter().map(|c| (c.name, c.labels)).collect();
    let overrides = override_lists(client, &spec.placement_name, &group, &named).await?;
    let number = policy.annotations().get(labels::NUMBER_OF_CLUSTERS).and_then(|n| n.parse().ok());
    let observed = number.unwrap_or(planned.stages.iter().map(|(_, cs)| cs.len() as i64).sum());
    let status = plan::initial_status(Initial {
        generation: run.metadata.generation,
        plan: planned,
        strategy: &strategy.spec,
        apply_strategy: crp.spec.strategy.apply_strategy.clone(),
        policy_snapshot_index: policy.labels().get(labels::POLICY_INDEX).cloned().unwrap_or_default(),
        observed_cluster_count: observed,
        resource_snapshot_index: index,
        overrides: &overrides,
    });
    write_status(client, run, &status).await?;
    info!(run = %run.name_any(), placement = %spec.placement_name, "update run initialized");
    // The write's watch event brings the first step.
    Ok(Action::await_change())
}

/// The override snapshots each of `clusters` carries for the resources of `group` (one snapshot index).
async fn override_lists(
    client: &Client,
    placement: &str,
    group: &[&ClusterResourceSnapshot],
    clusters: &[(&str, &BTreeMap<String, String>)],
) -> Result<BTreeMap<String, crate::overrides::applicable::Lists>, Error> {
    let selected: Vec<_> = group.iter().flat_map(|s| &s.spec.selected_resources).map(|m| identifier(&m.0)).collect();
    let cros = Api::<ClusterResourceOverrideSnapshot>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing override snapshots"))?;
    let ros = Api::<ResourceOverrideSnapshot>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing override snapshots"))?;
    Ok(applicable::lists_for(
        &cros.items.iter().collect::<Vec<_>>(),
        &ros.items.iter().collect::<Vec<_>>(),
        &Placement { name: placement, namespace: None },
        &selected,
        clusters,
    ))
}

/// Whether `b` carries what the run wants for its cluster and is Available (or DiffReported) at its generation.
fn succeeded(b: &ClusterResourceBinding, master: &str, status: &UpdateRunStatus) -> bool {
    let want = status.stages_status.iter().flat_map(|s| &s.clusters).find(|c| c.cluster_name == b.spec.target_cluster);
    let carried = want.is_some_and(|c| {
        c.cluster_resource_override_snapshots == b.spec.cluster_resource_override_snapshots
            && c.resource_override_snapshots == b.spec.resource_override_snapshots
    });
    let g = b.metadata.generation;
    let conds = b.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    let at_generation =
        |t: &str| conditions::find(conds, t).is_some_and(|c| c.status == "True" && c.observed_generation == g);
    b.spec.state == apis::placement::BindingState::Bound
        && b.spec.resource_snapshot_name == master
        && carried
        && (at_generation(p::AVAILABLE) || at_generation(p::DIFF_REPORTED))
}

async fn step(client: &Client, run: &ClusterStagedUpdateRun) -> Result<Action, Error> {
    let name = run.name_any();
    let status = run.status.clone().unwrap_or_default();
    let placement = &run.spec.placement_name;
    let bindings = Api::<ClusterResourceBinding>::all(client.clone())
        .list(&tracked(placement))
        .await
        .map_err(doing("listing the bindings"))?
        .items;
    let master = master_name(placement, status.resource_snapshot_index_used.parse().unwrap_or(0));
    let requests: Api<ClusterApprovalRequest> = Api::all(client.clone());
    let mine = ListParams::default().labels(&format!("{}={name}", labels::TARGET_UPDATE_RUN));
    let approvals: BTreeMap<String, bool> = requests
        .list(&mine)
        .await
        .map_err(doing("listing approval requests"))?
        .items
        .iter()
        .map(|r| {
            let approved = r.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, p::APPROVAL_APPROVED));
            (r.name_any(), approved)
        })
        .collect();
    let running =
        run.spec.state == UpdateRunState::Run && conditions::find(&status.conditions, p::RUN_SUCCEEDED).is_none();
    let mut planned_status = status.clone();
    if running {
        replan(client, &name, placement, &bindings, &mut planned_status).await?;
    }
    let facts: BTreeMap<String, ClusterFact> = bindings
        .iter()
        .filter(|b| b.metadata.deletion_timestamp.is_none())
        .map(|b| (b.spec.target_cluster.clone(), ClusterFact { succeeded: succeeded(b, &master, &planned_status) }))
        .collect();
    let Some(next) = progress::step(&progress::Input {
        run: &name,
        generation: run.metadata.generation,
        now: Timestamp::now(),
        state: run.spec.state,
        status: &planned_status,
        clusters: &facts,
        approvals: &approvals,
    }) else {
        return Ok(Action::await_change());
    };

    for action in &next.actions {
        match action {
            progress::Action::Bind(cluster) => {
                let Some(b) = bindings.iter().find(|b| b.spec.target_cluster == *cluster) else { continue };
                let want =
                    next.status.stages_status.iter().flat_map(|s| &s.clusters).find(|c| c.cluster_name == *cluster);
                let patch = json!({"spec": {
                    "state": "Bound",
                    "resourceSnapshotName": master,
                    "clusterResourceOverrideSnapshots": want.map(|c| c.cluster_resource_override_snapshots.clone()).unwrap_or_default(),
                    "resourceOverrideSnapshots": want.map(|c| c.resource_override_snapshots.clone()).unwrap_or_default(),
                    "applyStrategy": next.status.applied_strategy,
                }});
                Api::<ClusterResourceBinding>::all(client.clone())
                    .patch(&b.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(doing(format!("binding cluster {cluster}")))?;
                info!(run = %name, %cluster, snapshot = %master, "cluster updating");
            }
            progress::Action::RequestApproval { name: request, stage, task_type } => {
                let mut r = ClusterApprovalRequest::new(
                    request,
                    apis::placement::ClusterApprovalRequestSpec {
                        request: apis::placement::ApprovalRequestSpec {
                            parent_stage_rollout: name.clone(),
                            target_stage: stage.clone(),
                        },
                    },
                );
                r.metadata.labels = Some(BTreeMap::from([
                    (labels::TARGET_UPDATE_RUN.to_string(), name.clone()),
                    (labels::TARGET_UPDATING_STAGE.to_string(), stage.clone()),
                    (labels::TASK_TYPE.to_string(), task_type.to_string()),
                    (labels::IS_LATEST_UPDATE_RUN_APPROVAL.to_string(), "true".to_string()),
                ]));
                r.metadata.owner_references = run.controller_owner_ref(&()).map(|o| vec![o]);
                match requests.create(&PostParams::default(), &r).await {
                    Ok(_) => info!(run = %name, %stage, request = %request, "waiting for approval"),
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(doing("creating an approval request")(e)),
                }
            }
            progress::Action::AcceptApproval(request) => {
                let Some(r) = requests.get_opt(request).await.map_err(doing("reading an approval request"))? else {
                    continue;
                };
                let mut conds = r.status.map(|s| s.conditions).unwrap_or_default();
                let c = conditions::new(
                    p::APPROVAL_ACCEPTED,
                    true,
                    p::REASON_APPROVAL_ACCEPTED,
                    "The approval request has been approved and cannot be reverted",
                    r.metadata.generation,
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
                if let Some(b) = bindings.iter().find(|b| b.spec.target_cluster == *cluster) {
                    remove_binding(client, b).await.map_err(doing(format!("removing cluster {cluster}")))?;
                }
            }
        }
    }
    if next.status != status {
        write_status(client, run, &next.status).await?;
    }
    Ok(next.requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Fits a running run to the clusters the placement selects now (see
/// `replan`), and says what changed in its Initialized condition.
async fn replan(
    client: &Client,
    name: &str,
    placement: &str,
    bindings: &[ClusterResourceBinding],
    status: &mut UpdateRunStatus,
) -> Result<(), Error> {
    let live: Vec<&ClusterResourceBinding> =
        bindings.iter().filter(|b| b.metadata.deletion_timestamp.is_none()).collect();
    let (selected, deletion): (Vec<&ClusterResourceBinding>, Vec<&ClusterResourceBinding>) =
        live.into_iter().partition(|b| b.spec.state != apis::placement::BindingState::Unscheduled);
    let selected: Vec<String> = selected.iter().map(|b| b.spec.target_cluster.clone()).collect();
    let deletion: Vec<String> = deletion.iter().map(|b| b.spec.target_cluster.clone()).collect();
    let members = Api::<MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing member clusters"))?;
    let no_labels = BTreeMap::new();
    let clusters: Vec<plan::Cluster> = (members.items.iter())
        .map(|m| plan::Cluster {
            name: m.metadata.name.as_deref().unwrap_or_default(),
            labels: m.metadata.labels.as_ref().unwrap_or(&no_labels),
        })
        .collect();
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
        let snapshots = Api::<ClusterResourceSnapshot>::all(client.clone())
            .list(&tracked(placement))
            .await
            .map_err(doing("listing the resource snapshots"))?
            .items;
        let group: Vec<&ClusterResourceSnapshot> = (snapshots.iter())
            .filter(|s| s.labels().get(labels::RESOURCE_INDEX) == Some(&status.resource_snapshot_index_used))
            .collect();
        let lists = override_lists(client, placement, &group, &joined).await?;
        for u in status.stages_status.iter_mut().flat_map(|s| s.clusters.iter_mut()) {
            if let Some(l) = lists.get(&u.cluster_name) {
                u.cluster_resource_override_snapshots = l.cluster.clone();
                u.resource_override_snapshots = l.namespaced.clone();
            }
        }
    }
    info!(run = %name, changes = ?notes, "update run re-planned");
    if let Some(c) = status.conditions.iter_mut().find(|c| c.type_ == p::RUN_INITIALIZED) {
        let base = c.message.split("; re-planned:").next().unwrap_or_default().to_string();
        c.message = format!("{base}; re-planned: {}", notes.join("; "));
    }
    Ok(())
}

async fn reconcile(run: Arc<ClusterStagedUpdateRun>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let client = &ctx.client;
    let name = run.name_any();
    let runs: Api<ClusterStagedUpdateRun> = Api::all(client.clone());
    if run.metadata.deletion_timestamp.is_some() {
        // Every cluster stays on the version it reached; only the run's own objects go.
        let mine = ListParams::default().labels(&format!("{}={name}", labels::TARGET_UPDATE_RUN));
        Api::<ClusterApprovalRequest>::all(client.clone())
            .delete_collection(&DeleteParams::background(), &mine)
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
    let status = run.status.clone().unwrap_or_default();
    match conditions::find(&status.conditions, p::RUN_INITIALIZED) {
        None => initialize(client, &run).await,
        // A finished run, or one only planned, has nothing to read: every
        // binding change of its placement wakes it, so return before listing.
        Some(_) if conditions::find(&status.conditions, p::RUN_SUCCEEDED).is_some() => Ok(Action::await_change()),
        Some(_) if run.spec.state == UpdateRunState::Initialize => Ok(Action::await_change()),
        Some(c) if c.status == "True" => step(client, &run).await,
        Some(_) => Ok(Action::await_change()),
    }
}

fn error_policy(run: Arc<ClusterStagedUpdateRun>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(run = %run.name_any(), error = %e, "update run failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller = Controller::new(Api::<ClusterStagedUpdateRun>::all(client.clone()), watcher::Config::default());
    let store = controller.store();
    controller
        .watches(
            Api::<ClusterResourceBinding>::all(client.clone()),
            watcher::Config::default().labels(labels::PLACEMENT_TRACKING),
            move |b| {
                let placement = b.labels().get(labels::PLACEMENT_TRACKING).cloned().unwrap_or_default();
                store
                    .state()
                    .into_iter()
                    .filter(|r| r.spec.placement_name == placement)
                    .map(|r| ObjectRef::from_obj(&*r))
                    .collect::<Vec<_>>()
            },
        )
        .watches(
            Api::<ClusterApprovalRequest>::all(client.clone()),
            watcher::Config::default().labels(labels::TARGET_UPDATE_RUN),
            |r| r.labels().get(labels::TARGET_UPDATE_RUN).map(|run| ObjectRef::new(run)),
        )
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
