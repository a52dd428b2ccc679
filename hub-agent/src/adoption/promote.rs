//! Kosmos's PromotePolicy, honoured: each policy gets the
//! ClusterResourceAdoption `kosmos::spec` translates it into (annotated with
//! the policy, deleted with it), `rollback: "true"` becomes `release`, and
//! the adoption's progress is written back in Kosmos's phases. A Kosmos
//! cluster name that is not a member's finds the member labelled with it.

use std::{sync::Arc, time::Duration};

use apis::{
    cluster::MemberCluster,
    finalizers,
    kosmos::{self, PromotePolicy, PromotePolicyStatus},
    labels,
    placement::ClusterResourceAdoption,
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing, ok_if_gone},
    finalizer::{add_patch, remove_patch},
};
use futures::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::kosmos as translate;

/// The controller's name in metrics.
const CONTROLLER: &str = "promotepolicy";

struct Context {
    client: Client,
    reconciles: Reconciles,
}

async fn write_status(client: &Client, policy: &PromotePolicy, status: PromotePolicyStatus) -> Result<(), Error> {
    if policy.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let ns = policy.namespace().unwrap_or_default();
    let mut value = serde_json::to_value(&status).expect("status serializes");
    if value.get("precheckErrors").is_none() {
        value["precheckErrors"] = serde_json::Value::Null;
    }
    Api::<PromotePolicy>::namespaced(client.clone(), &ns)
        .patch_status(&policy.name_any(), &PatchParams::default(), &Patch::Merge(json!({"status": value})))
        .await
        .map_err(doing("writing the policy's status"))?;
    Ok(())
}

async fn reconcile(policy: Arc<PromotePolicy>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let client = &ctx.client;
    let (ns, name) = (policy.namespace().unwrap_or_default(), policy.name_any());
    let policies: Api<PromotePolicy> = Api::namespaced(client.clone(), &ns);
    let adoptions: Api<ClusterResourceAdoption> = Api::all(client.clone());
    let adoption_name = translate::adoption_name(&ns, &name);
    if policy.metadata.deletion_timestamp.is_some() {
        ok_if_gone(adoptions.delete(&adoption_name, &DeleteParams::background()).await)
            .map_err(doing("deleting the policy's adoption"))?;
        if let Some(patch) = remove_patch(policy.finalizers(), finalizers::PROMOTE_POLICY_CLEANUP) {
            policies
                .patch(&name, &PatchParams::default(), &Patch::Json::<()>(patch))
                .await
                .map_err(doing("removing the finalizer"))?;
        }
        return Ok(Action::await_change());
    }
    let spec = match translate::spec(&policy.spec) {
        Ok(mut s) => match member_for(client, &s.cluster_name).await? {
            Some(member) => {
                s.cluster_name = member;
                s
            }
            None => {
                // Not yet: a member joining or labelled wakes the policy.
                let m = format!(
                    "cluster {} is not a member of the fleet, nor is a member labelled {}={}",
                    s.cluster_name,
                    labels::KOSMOS_CLUSTER_NAME,
                    s.cluster_name
                );
                let status = PromotePolicyStatus {
                    phase: kosmos::PHASE_PRECHECKING.into(),
                    precheck_errors: Some(vec![m]),
                    ..Default::default()
                };
                write_status(client, &policy, status).await?;
                return Ok(Action::await_change());
            }
        },
        Err(errors) => {
            info!(policy = %format!("{ns}/{name}"), ?errors, "precheck failed");
            let status = PromotePolicyStatus {
                phase: kosmos::PHASE_FAILED_PRECHECK.into(),
                failure_reason: errors.join("; "),
                precheck_errors: Some(errors),
                ..Default::default()
            };
            write_status(client, &policy, status).await?;
            return Ok(Action::await_change());
        }
    };
    if let Some(patch) = add_patch(policy.finalizers(), finalizers::PROMOTE_POLICY_CLEANUP, policy.resource_version()) {
        policies
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(doing("adding the finalizer"))?;
        return Ok(Action::await_change());
    }
    let adoption = match adoptions.get_opt(&adoption_name).await.map_err(doing("reading the policy's adoption"))? {
        Some(a) => {
            if a.spec.release != spec.release {
                let patch = json!({"spec": {"release": spec.release}});
                adoptions
                    .patch(&adoption_name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(doing("passing the rollback on"))?;
                info!(policy = %format!("{ns}/{name}"), adoption = %adoption_name, release = spec.release, "rollback passed on");
            }
            Some(a)
        }
        None => {
            let mut a = ClusterResourceAdoption::new(&adoption_name, spec);
            a.metadata.annotations = Some([(labels::PROMOTE_POLICY.to_string(), format!("{ns}/{name}"))].into());
            adoptions.create(&PostParams::default(), &a).await.map_err(doing("creating the policy's adoption"))?;
            info!(policy = %format!("{ns}/{name}"), adoption = %adoption_name, "adoption created");
            None
        }
    };
    let status = translate::status(&policy, adoption.as_ref().and_then(|a| a.status.as_ref()));
    write_status(client, &policy, status).await?;
    Ok(Action::await_change())
}

/// The member Kosmos calls `cluster`: the MemberCluster of that name, else
/// the one labelled with it (`flotilla.dev/kosmos-cluster-name`).
async fn member_for(client: &Client, cluster: &str) -> Result<Option<String>, Error> {
    let members: Api<MemberCluster> = Api::all(client.clone());
    if members.get_opt(cluster).await.map_err(doing("reading the member cluster"))?.is_some() {
        return Ok(Some(cluster.to_string()));
    }
    let lp = ListParams::default().labels(&format!("{}={cluster}", labels::KOSMOS_CLUSTER_NAME));
    let labelled = members.list(&lp).await.map_err(doing("listing member clusters"))?.items;
    Ok(match labelled.as_slice() {
        [one] => Some(one.name_any()),
        _ => None,
    })
}

fn error_policy(policy: Arc<PromotePolicy>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(policy = %policy.name_any(), error = %e, "promote policy failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller = Controller::new(Api::<PromotePolicy>::all(client.clone()), watcher::Config::default());
    let policies = controller.store();
    controller
        // A member joining or labelled may be the cluster a waiting policy names.
        .watches_stream(super::controller::member_changes(&client), move |_| {
            (policies.state().into_iter())
                .filter(|p| p.status.as_ref().is_none_or(|s| s.phase == kosmos::PHASE_PRECHECKING))
                .map(|p| ObjectRef::from_obj(&*p))
                .collect::<Vec<_>>()
        })
        .watches(Api::<ClusterResourceAdoption>::all(client.clone()), watcher::Config::default(), |a| {
            let (ns, name) = a.annotations().get(labels::PROMOTE_POLICY)?.split_once('/')?;
            Some(ObjectRef::new(name).within(ns))
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
