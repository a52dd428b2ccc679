//! One MemberCluster's reconciliation: join (create what the member needs,
//! mirror its status) or leave (tell the agent, wait for it or for the force
//! timeout, remove what the hub created, release the finalizer).

use std::{sync::Arc, time::Duration};

use apis::{
    cluster::{
        ClusterState, InternalMemberCluster, MemberCluster, member_namespace, member_role_binding_name,
        member_role_name,
    },
    conditions::{self, cluster as c},
    finalizers, labels,
    placement::Work,
};
use flotilla_runtime::{api::ok_if_gone, finalizer::remove_patch};
use k8s_openapi::{
    api::{
        core::v1::Namespace,
        rbac::v1::{Role, RoleBinding},
    },
    jiff::Timestamp,
};
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams},
    runtime::{controller::Action, reflector::ObjectRef},
};
use serde_json::json;
use tracing::{info, warn};

use super::{CONTROLLER, Context, FIELD_MANAGER, desired, eligibility, status};
use crate::metrics::{LeaveLabels, MemberLabels};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{action} for member cluster {member}: {source}")]
    Kube {
        action: &'static str,
        member: String,
        #[source]
        source: kube::Error,
    },
}

/// Attaches what was being done, and for which member, to an API error.
trait Doing<T> {
    fn doing(self, action: &'static str, member: &str) -> Result<T, Error>;
}

impl<T> Doing<T> for Result<T, kube::Error> {
    fn doing(self, action: &'static str, member: &str) -> Result<T, Error> {
        self.map_err(|source| Error::Kube { action, member: member.to_string(), source })
    }
}

/// Periodic look at every member, in case something changed that no watch reports.
const RESYNC: Duration = Duration::from_secs(300);
/// How often to look again while waiting for a namespace to go away.
const CLEANUP_POLL: Duration = Duration::from_secs(1);

pub async fn reconcile(mc: Arc<MemberCluster>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconciles.start(CONTROLLER);
    if mc.metadata.deletion_timestamp.is_some() { leave(&mc, &ctx).await } else { join(&mc, &ctx).await }
}

pub fn error_policy(mc: Arc<MemberCluster>, error: &Error, ctx: Arc<Context>) -> Action {
    warn!(member = %mc.name_any(), %error, "reconcile failed");
    ctx.metrics.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(5))
}

fn apply_params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

async fn join(mc: &MemberCluster, ctx: &Context) -> Result<Action, Error> {
    let name = mc.name_any();
    let mcs: Api<MemberCluster> = Api::all(ctx.client.clone());
    if !mc.finalizers().iter().any(|f| f == finalizers::MEMBER_CLUSTER) || !desired::has_member_name_label(mc) {
        let patch = json!({
            "apiVersion": MemberCluster::api_version(&()), "kind": MemberCluster::kind(&()),
            "metadata": { "name": name, "labels": { labels::MEMBER_NAME: name }, "finalizers": [finalizers::MEMBER_CLUSTER] }
        });
        mcs.patch_metadata(&name, &apply_params(), &Patch::Apply(patch))
            .await
            .doing("adding the finalizer and label", &name)?;
    }

    let ns_name = member_namespace(&name);
    let want_ns = desired::namespace(mc);
    if !desired::namespace_matches(ctx.namespaces.get(&ObjectRef::new(&ns_name)).as_deref(), &want_ns) {
        let api: Api<Namespace> = Api::all(ctx.client.clone());
        api.patch(&ns_name, &apply_params(), &Patch::Apply(&want_ns))
            .await
            .doing("applying the reserved namespace", &name)?;
        info!(member = %name, namespace = %ns_name, "reserved namespace applied");
    }
    let want_role = desired::role(mc);
    if !desired::role_matches(
        ctx.roles.get(&ObjectRef::new(&member_role_name(&name)).within(&ns_name)).as_deref(),
        &want_role,
    ) {
        let api: Api<Role> = Api::namespaced(ctx.client.clone(), &ns_name);
        api.patch(&member_role_name(&name), &apply_params(), &Patch::Apply(&want_role))
            .await
            .doing("applying the Role", &name)?;
    }
    let want_rb = desired::role_binding(mc);
    let have_rb = ctx.role_bindings.get(&ObjectRef::new(&member_role_binding_name(&name)).within(&ns_name));
    if !desired::role_binding_matches(have_rb.as_deref(), &want_rb) {
        let api: Api<RoleBinding> = Api::namespaced(ctx.client.clone(), &ns_name);
        api.patch(&member_role_binding_name(&name), &apply_params(), &Patch::Apply(&want_rb))
            .await
            .doing("applying the RoleBinding", &name)?;
    }
    let want_imc = desired::internal_member_cluster(mc, ClusterState::Join);
    let imc = ctx.imcs.get(&ObjectRef::new(&name).within(&ns_name));
    if !desired::imc_matches(imc.as_deref(), &want_imc) {
        let api: Api<InternalMemberCluster> = Api::namespaced(ctx.client.clone(), &ns_name);
        api.patch(&name, &apply_params(), &Patch::Apply(&want_imc))
            .await
            .doing("applying the InternalMemberCluster", &name)?;
        info!(member = %name, "InternalMemberCluster set to Join");
    }

    let was_joined = mc.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, c::JOINED));
    let status = status::member_cluster_status(mc, imc.as_deref(), true);
    if status::changed(mc, &status) {
        write_status(mc, &status, ctx).await?;
        if !was_joined && conditions::is_true(&status.conditions, c::JOINED) {
            ctx.metrics.joins.inc();
            info!(member = %name, "member cluster joined");
        }
    }
    Ok(observe_eligibility(mc, &status, ctx))
}

async fn write_status(
    mc: &MemberCluster,
    status: &apis::cluster::MemberClusterStatus,
    ctx: &Context,
) -> Result<(), Error> {
    let name = mc.name_any();
    let patch =
        json!({ "apiVersion": MemberCluster::api_version(&()), "kind": MemberCluster::kind(&()), "status": status });
    Api::<MemberCluster>::all(ctx.client.clone())
        .patch_status(&name, &apply_params(), &Patch::Apply(patch))
        .await
        .doing("writing the status", &name)?;
    Ok(())
}

/// Records heartbeat and eligibility, and asks to look again when eligibility
/// could change without a new report (a heartbeat going stale).
fn observe_eligibility(mc: &MemberCluster, status: &apis::cluster::MemberClusterStatus, ctx: &Context) -> Action {
    let name = mc.name_any();
    let mut seen = mc.clone();
    seen.status = Some(status.clone());
    let now = Timestamp::now();
    let policy = ctx.config.eligibility;
    let verdict = eligibility::check(&seen, now, policy);
    if let Some(hb) = status.agent_status.iter().find_map(|a| a.last_received_heartbeat.as_ref()) {
        ctx.metrics.heartbeats.record(&name, hb.0);
    }
    let gauge = ctx.metrics.eligible.get_or_create(&MemberLabels { member: name.clone() });
    let before = gauge.get();
    gauge.set(verdict.is_ok() as i64);
    if let Err(why) = &verdict
        && before != 0
    {
        info!(member = %name, reason = %why, "member cluster is not eligible for new placements");
    }
    Action::requeue(eligibility::next_change(&seen, now, policy).unwrap_or(RESYNC).min(RESYNC))
}

async fn leave(mc: &MemberCluster, ctx: &Context) -> Result<Action, Error> {
    let name = mc.name_any();
    if !mc.finalizers().iter().any(|f| f == finalizers::MEMBER_CLUSTER) {
        return Ok(Action::await_change());
    }
    ctx.metrics.eligible.get_or_create(&MemberLabels { member: name.clone() }).set(0);
    let ns_name = member_namespace(&name);
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    // Read, not the store: deletion events don't reach the store's subscribers.
    let Some(ns) = namespaces.get_opt(&ns_name).await.doing("reading the reserved namespace", &name)? else {
        return release(mc, ctx).await;
    };
    if ns.metadata.deletion_timestamp.is_some() {
        strip_work_finalizers(&name, ctx).await?;
        return Ok(Action::requeue(CLEANUP_POLL));
    }

    let imc = ctx.imcs.get(&ObjectRef::new(&name).within(&ns_name));
    let Some(imc) = imc else {
        return garbage_collect(mc, ctx, false).await;
    };
    let status = status::member_cluster_status(mc, Some(&imc), true);
    let left = status.conditions.iter().any(|cond| cond.type_ == c::JOINED && cond.status == "False");
    if left {
        return garbage_collect(mc, ctx, false).await;
    }
    let deleted_at = mc.metadata.deletion_timestamp.as_ref().map(|t| t.0).unwrap_or_else(Timestamp::now);
    let waited = Duration::try_from(Timestamp::now() - deleted_at).unwrap_or_default();
    if waited >= ctx.config.force_delete_wait {
        warn!(member = %name, waited = ?waited, "the member agent did not acknowledge leaving; cleaning up without it");
        return garbage_collect(mc, ctx, true).await;
    }
    if imc.spec.state != ClusterState::Leave {
        let api: Api<InternalMemberCluster> = Api::namespaced(ctx.client.clone(), &ns_name);
        let want = desired::internal_member_cluster(mc, ClusterState::Leave);
        api.patch(&name, &apply_params(), &Patch::Apply(&want))
            .await
            .doing("setting the InternalMemberCluster to Leave", &name)?;
        info!(member = %name, "InternalMemberCluster set to Leave");
    }
    if status::changed(mc, &status) {
        write_status(mc, &status, ctx).await?;
    }
    // The agent's acknowledgement arrives as an InternalMemberCluster event.
    Ok(Action::requeue(ctx.config.force_delete_wait.saturating_sub(waited) + Duration::from_millis(100)))
}

/// Removes what the hub created for the member: access first, then the namespace.
async fn garbage_collect(mc: &MemberCluster, ctx: &Context, forced: bool) -> Result<Action, Error> {
    let name = mc.name_any();
    let ns_name = member_namespace(&name);
    let dp = DeleteParams::default();
    let rbs: Api<RoleBinding> = Api::namespaced(ctx.client.clone(), &ns_name);
    ok_if_gone(rbs.delete(&member_role_binding_name(&name), &dp).await).doing("deleting the RoleBinding", &name)?;
    let roles: Api<Role> = Api::namespaced(ctx.client.clone(), &ns_name);
    ok_if_gone(roles.delete(&member_role_name(&name), &dp).await).doing("deleting the Role", &name)?;
    strip_work_finalizers(&name, ctx).await?;
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    ok_if_gone(namespaces.delete(&ns_name, &dp).await).doing("deleting the reserved namespace", &name)?;
    info!(member = %name, forced, "member cluster left; reserved namespace deleted");
    ctx.metrics.leaves.get_or_create(&LeaveLabels { forced: forced.to_string() }).inc();
    Ok(Action::requeue(CLEANUP_POLL))
}

/// A Work's finalizer belongs to the member agent; once it is gone (or has
/// left), nothing will remove it, and the namespace would never finish deleting.
async fn strip_work_finalizers(member: &str, ctx: &Context) -> Result<(), Error> {
    let works: Api<Work> = Api::namespaced(ctx.client.clone(), &member_namespace(member));
    let list = works.list_metadata(&ListParams::default()).await.doing("listing Works", member)?;
    for w in list.items {
        if let Some(patch) = remove_patch(w.finalizers(), finalizers::WORK_CLEANUP) {
            works
                .patch(&w.name_any(), &PatchParams::default(), &Patch::<()>::Json(patch))
                .await
                .doing("removing a Work finalizer", member)?;
        }
    }
    Ok(())
}

/// The namespace is gone: drop the finalizer so the MemberCluster can go.
async fn release(mc: &MemberCluster, ctx: &Context) -> Result<Action, Error> {
    let name = mc.name_any();
    if let Some(patch) = remove_patch(mc.finalizers(), finalizers::MEMBER_CLUSTER) {
        Api::<MemberCluster>::all(ctx.client.clone())
            .patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await
            .doing("removing the finalizer", &name)?;
    }
    ctx.metrics.forget(&name);
    info!(member = %name, "member cluster removed");
    Ok(Action::await_change())
}
