//! One pass over one placement: select → resource snapshot → policy snapshot
//! → schedule → roll out → Works → binding and placement status. Each stage
//! returns what the next needs (`Group`, the policy snapshot, `Scheduled`,
//! `Rolled`, `Synced`), so a new placement reaches its Works in a single
//! pass; stages write only what differs.

use std::{sync::Arc, time::Duration};

use apis::{conditions::placement as p, labels};
use flotilla_runtime::finalizer::{add_patch, remove_patch};
use kube::{
    Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams},
    runtime::{controller::Action, reflector::ObjectRef},
};
use tracing::{debug, info, warn};

use super::{
    Context,
    expectations::{Child, Observed, Pending, version},
    pass::{self, Error, Pass},
    report, rolling, scheduling, snapshots, sync,
    write::delete_binding,
};
use crate::placement::{
    family::{Family, Object},
    selection::resolve::{self, Error as SelectionError},
};

pub const CONTROLLER: &str = "placement";

fn observed<K: Object>(store: &kube::runtime::reflector::Store<K>, p: &Pending) -> Observed {
    let mut r = ObjectRef::<K>::new(&p.name);
    if let Some(ns) = &p.namespace {
        r = r.within(ns);
    }
    store.get(&r).map(|o| (version(o.meta().resource_version.as_deref()), o.meta().deletion_timestamp.is_some()))
}

fn caught_up<F: Family>(ctx: &Context<F>, key: &str) -> bool {
    ctx.expectations.satisfied(key, |p| match p.kind {
        Child::ResourceSnapshot => observed(&ctx.resource_snapshots, p),
        Child::PolicySnapshot => observed(&ctx.policy_snapshots, p),
        Child::Binding => observed(&ctx.bindings, p),
        Child::Work => observed(&ctx.works, p),
    })
}

pub async fn reconcile<F: Family>(placement: Arc<F::Placement>, ctx: Arc<Context<F>>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconciles.start(CONTROLLER);
    let key = pass::key(&*placement);
    if !caught_up(&ctx, &key) {
        // The watch events of the last pass's writes will trigger the next one.
        return Ok(Action::requeue(Duration::from_millis(200)));
    }
    let mut pass = Pass::new(&ctx, &placement);
    let result =
        if placement.meta().deletion_timestamp.is_some() { delete(&mut pass).await } else { place(&mut pass).await };
    let writes = std::mem::take(&mut pass.writes);
    ctx.expectations.expect(&key, writes);
    result
}

pub fn error_policy<F: Family>(placement: Arc<F::Placement>, error: &Error, ctx: Arc<Context<F>>) -> Action {
    warn!(placement = %placement.name_any(), %error, "reconcile failed");
    ctx.metrics.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

async fn place<F: Family>(pass: &mut Pass<'_, F>) -> Result<Action, Error> {
    if let Some(why) = apis::labels::value_error(&pass.name) {
        // Its children would carry the name in a label: none can exist, and
        // no retry helps. Say so; hold no finalizer, so deletion completes.
        let why = format!("The placement cannot be scheduled: its name {why}");
        report::not_scheduled(pass, p::REASON_INVALID_PLACEMENT_NAME, why).await?;
        release_finalizer(pass).await?;
        return Ok(Action::await_change());
    }
    ensure_finalizer(pass).await?;
    let selected = match resolve::resolve(pass.spec(), pass.namespace.as_deref(), &*pass.ctx.cache) {
        Ok(s) => s,
        Err(SelectionError::NotReady(m)) => {
            debug!(placement = %pass.key, "{m}");
            return Ok(Action::requeue(Duration::from_secs(1)));
        }
        Err(SelectionError::Invalid(m)) => {
            // Nothing already placed changes: the last good snapshot stays bound.
            let why = format!("The resource selectors are invalid: {m}");
            report::not_scheduled(pass, p::REASON_INVALID_RESOURCE_SELECTORS, why).await?;
            return Ok(Action::await_change());
        }
    };

    let group = snapshots::resources(pass, &selected).await?;
    let policy = snapshots::policy(pass).await?;
    let scheduled = scheduling::schedule(pass, &policy).await?;
    let rolled = rolling::roll(pass, &group, &policy, &scheduled).await?;
    let synced = sync::works(pass, &group, rolled).await?;
    report::bindings(pass, synced).await?;
    report::placement(pass, &selected, &group, &scheduled).await?;

    // Eligibility that changes with the clock wakes placements through the
    // member cluster triggers (`eligibility_clock`), not a requeue per placement.
    Ok(match pass.requeue {
        Some(d) => Action::requeue(d),
        None => Action::await_change(),
    })
}

async fn ensure_finalizer<F: Family>(pass: &mut Pass<'_, F>) -> Result<(), Error> {
    let placement = pass.placement;
    let Some(patch) = add_patch(placement.finalizers(), F::FINALIZER, placement.resource_version()) else {
        return Ok(());
    };
    F::Placement::api(pass.ctx.client.clone(), pass.ns())
        .patch(&pass.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(pass.kube("adding the finalizer"))?;
    Ok(())
}

/// Deleting: remove every binding (and with it, its Works; each Work's
/// delete-propagation annotation tells the member what to do with the
/// objects) and the snapshots, then release the finalizer. Nothing here waits
/// on a member, so a placement never hangs on an unreachable cluster.
async fn delete<F: Family>(pass: &mut Pass<'_, F>) -> Result<Action, Error> {
    if !pass.placement.finalizers().iter().any(|f| f == F::FINALIZER) {
        return Ok(Action::await_change());
    }
    if apis::labels::value_error(&pass.name).is_some() {
        // Nothing can carry its name in a label: nothing to clean up.
        release_finalizer(pass).await?;
        return Ok(Action::await_change());
    }
    let live: Vec<String> =
        pass.bindings.iter().filter(|b| b.meta().deletion_timestamp.is_none()).map(|b| b.name_any()).collect();
    let works = pass.works_by_binding();
    for b in &live {
        delete_binding(pass, b, works.get(b).map(Vec::as_slice).unwrap_or_default()).await?;
    }
    if !pass.bindings.is_empty() {
        info!(placement = %pass.key, bindings = pass.bindings.len(), "deleting: waiting for bindings to go");
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let owned = ListParams::default().labels(&format!("{}={}", labels::PLACEMENT_TRACKING, pass.name));
    let client = pass.ctx.client.clone();
    F::ResourceSnapshot::api(client.clone(), pass.ns())
        .delete_collection(&DeleteParams::background(), &owned)
        .await
        .map_err(pass.kube("deleting the resource snapshots"))?;
    F::PolicySnapshot::api(client, pass.ns())
        .delete_collection(&DeleteParams::background(), &owned)
        .await
        .map_err(pass.kube("deleting the policy snapshots"))?;
    release_finalizer(pass).await?;
    pass.ctx.expectations.forget(&pass.key);
    pass.ctx.status_written.lock().expect("lock").remove(&pass.key);
    info!(placement = %pass.key, "deleted");
    Ok(Action::await_change())
}

async fn release_finalizer<F: Family>(pass: &mut Pass<'_, F>) -> Result<(), Error> {
    if let Some(patch) = remove_patch(pass.placement.finalizers(), F::FINALIZER) {
        F::Placement::api(pass.ctx.client.clone(), pass.ns())
            .patch(&pass.name, &PatchParams::default(), &Patch::Json::<()>(patch))
            .await
            .map_err(pass.kube("removing the finalizer"))?;
    }
    Ok(())
}
