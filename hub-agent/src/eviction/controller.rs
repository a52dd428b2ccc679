//! The eviction controller: for each ClusterResourcePlacementEviction not yet
//! final, reads its placement, the placement's bindings and its disruption
//! budget, asks `decide`, deletes the binding on the cluster (its Works
//! first) when the eviction executes, and writes the conditions that
//! changed. A blocked eviction is looked at again whenever one of the
//! placement's bindings, the placement or its budget changes.

use std::{sync::Arc, time::Duration};

use apis::{
    labels,
    placement::{
        ClusterResourceBinding, ClusterResourcePlacement, ClusterResourcePlacementDisruptionBudget,
        ClusterResourcePlacementEviction, PlacementType,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing},
};
use futures::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, Patch, PatchParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::decide::{self, Binding, Decision, Placement};
use crate::placement::{family::Cluster, removal::remove_binding};

/// The controller's name in metrics.
const CONTROLLER: &str = "clusterresourceplacementeviction";

struct Context {
    client: Client,
    reconciles: Reconciles,
}

async fn reconcile(eviction: Arc<ClusterResourcePlacementEviction>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let status = eviction.status.clone().unwrap_or_default();
    let generation = eviction.metadata.generation;
    if decide::is_final(&status.conditions, generation) {
        return Ok(Action::await_change());
    }
    let name = eviction.name_any();
    let spec = &eviction.spec;
    let client = ctx.client.clone();
    let placement = Api::<ClusterResourcePlacement>::all(client.clone())
        .get_opt(&spec.placement_name)
        .await
        .map_err(doing(format!("reading placement {}", spec.placement_name)))?;
    let bindings = Api::<ClusterResourceBinding>::all(client.clone())
        .list(&ListParams::default().labels(&format!("{}={}", labels::PLACEMENT_TRACKING, spec.placement_name)))
        .await
        .map_err(doing("listing the placement's bindings"))?
        .items;
    let budget = Api::<ClusterResourcePlacementDisruptionBudget>::all(client.clone())
        .get_opt(&spec.placement_name)
        .await
        .map_err(doing("reading the disruption budget"))?;

    let views: Vec<Binding> = bindings
        .iter()
        .map(|b| Binding {
            name: b.metadata.name.as_deref().unwrap_or_default(),
            cluster: &b.spec.target_cluster,
            state: b.spec.state,
            was_bound: b.annotations().get(labels::PREVIOUS_BINDING_STATE).map(String::as_str) == Some("Bound"),
            deleting: b.metadata.deletion_timestamp.is_some(),
            conditions: b.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default(),
            generation: b.metadata.generation.unwrap_or(0),
        })
        .collect();
    let placement_view = placement.as_ref().map(|p| {
        let policy = p.spec.policy.as_ref();
        Placement {
            deleting: p.metadata.deletion_timestamp.is_some(),
            placement_type: policy.map(|p| p.placement_type).unwrap_or(PlacementType::PickAll),
            number_of_clusters: policy.and_then(|p| p.number_of_clusters).unwrap_or(0).max(0) as usize,
        }
    });
    let decision = decide::decide(&decide::Input {
        generation,
        conditions: &status.conditions,
        cluster: &spec.cluster_name,
        placement_name: &spec.placement_name,
        placement: placement_view,
        bindings: &views,
        budget: budget.as_ref().map(|b| &b.spec),
    });
    let Some(Decision { valid, executed, evict }) = decision else { return Ok(Action::await_change()) };

    if let Some(binding) = &evict {
        let b = bindings.iter().find(|b| b.name_any() == *binding).expect("decided on a listed binding");
        remove_binding::<Cluster>(&client, b).await.map_err(doing(format!("evicting binding {binding}")))?;
        info!(eviction = %name, placement = %spec.placement_name, cluster = %spec.cluster_name, %binding, "evicted");
    }
    let api = Api::<ClusterResourcePlacementEviction>::all(client);
    let (mut read, mut conditions) = (eviction.resource_version(), status.conditions.clone());
    loop {
        let mut changed = apis::conditions::set(&mut conditions, valid.clone());
        if let Some(e) = &executed {
            changed |= apis::conditions::set(&mut conditions, e.clone());
        }
        if !changed {
            break;
        }
        // At the version read: a pass that read the eviction before its own
        // last write (a binding's deletion wakes it at once) must not
        // overwrite what that write said; the write's own event brings a pass
        // that sees it.
        let patch = json!({"metadata": {"resourceVersion": read}, "status": {"conditions": conditions}});
        match api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await {
            Err(kube::Error::Api(s)) if s.code == 409 && evict.is_some() => {
                // The binding is gone: what this pass did must be recorded,
                // or the next pass would find no binding and call the
                // eviction invalid. Its spec is immutable, so the verdict
                // stands; write it over the eviction as it is now.
                let now = api.get(&name).await.map_err(doing("reading the eviction"))?;
                read = now.resource_version();
                conditions = now.status.map(|s| s.conditions).unwrap_or_default();
            }
            Err(kube::Error::Api(s)) if s.code == 409 => return Ok(Action::requeue(Duration::from_millis(200))),
            r => {
                r.map_err(doing("writing the eviction's status"))?;
                break;
            }
        }
    }
    Ok(Action::await_change())
}

fn error_policy(eviction: Arc<ClusterResourcePlacementEviction>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(eviction = %eviction.name_any(), error = %e, "eviction failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller =
        Controller::new(Api::<ClusterResourcePlacementEviction>::all(client.clone()), watcher::Config::default());
    // Everything an eviction reads wakes the evictions of that placement.
    let naming = |store: kube::runtime::reflector::Store<ClusterResourcePlacementEviction>| {
        move |placement: &str| {
            store
                .state()
                .into_iter()
                .filter(|e| e.spec.placement_name == placement)
                .map(|e| ObjectRef::from_obj(&*e))
                .collect::<Vec<_>>()
        }
    };
    let (by_binding, by_budget, by_placement) =
        (naming(controller.store()), naming(controller.store()), naming(controller.store()));
    controller
        .watches(
            Api::<ClusterResourceBinding>::all(client.clone()),
            watcher::Config::default().labels(labels::PLACEMENT_TRACKING),
            move |b| b.labels().get(labels::PLACEMENT_TRACKING).map(|p| by_binding(p)).unwrap_or_default(),
        )
        .watches(
            Api::<ClusterResourcePlacementDisruptionBudget>::all(client.clone()),
            watcher::Config::default(),
            move |b| by_budget(&b.name_any()),
        )
        .watches(Api::<ClusterResourcePlacement>::all(client.clone()), watcher::Config::default(), move |p| {
            by_placement(&p.name_any())
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
