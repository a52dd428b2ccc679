//! One pass over one placement: select → resource snapshot → policy snapshot
//! → schedule → roll out → Works → binding and placement status. Each stage
//! hands the objects it wrote to the next, so a new placement reaches its
//! Works in a single pass; stages write only what differs.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{ClusterDecision, PlacementReports, PlacementSpec, PlacementStatus, ResourceBindingStatus, Work},
};
use flotilla_runtime::finalizer::{add_patch, remove_patch};
use futures::StreamExt;
use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, OwnerReference},
    jiff::Timestamp,
};
use kube::{
    Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams},
    runtime::{controller::Action, reflector::ObjectRef},
};
use serde_json::json;
use tracing::{debug, info, warn};

use super::{
    Context,
    expectations::{Child, Expect, Observed, Pending, version},
    rolling, scheduling, snapshots, sync,
};
use crate::placement::{
    family::{Family, Object, WithSpec, WithStatus},
    selection::resolve::{self, Error as SelectionError},
    status::{self, BindingView},
};

pub const CONTROLLER: &str = "placement";

/// The shortest time between two status writes of one placement.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);

/// Writes of one kind in one pass go out this many at a time: a placement on
/// a hundred clusters is a hundred bindings and Works, and the API server
/// handles them in parallel.
const CONCURRENCY: usize = 16;

/// A merge patch setting `status`: the API types leave empty fields out, so
/// each of `fields` that is empty is sent as null, or it would never clear.
pub fn status_patch(status: &impl serde::Serialize, fields: &[&str]) -> serde_json::Value {
    let mut v = serde_json::to_value(status).expect("a status serializes");
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.entry(f.to_string()).or_insert(serde_json::Value::Null);
        }
    }
    json!({ "status": v })
}

/// Runs `futures` with bounded concurrency, results in completion order.
pub async fn all<T>(futures: impl IntoIterator<Item = impl std::future::Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{doing} for placement {placement}: {source}")]
    Kube {
        doing: String,
        placement: String,
        #[source]
        source: kube::Error,
    },
    #[error("placement {placement}: {message}")]
    Other { placement: String, message: String },
}

/// The state of one pass: the placement, and the children as this pass
/// has written them so far.
pub struct Pass<'a, F: Family> {
    pub ctx: &'a Context<F>,
    pub placement: &'a F::Placement,
    pub name: String,
    pub namespace: Option<String>,
    pub key: String,
    pub generation: i64,
    pub now: Timestamp,
    /// Writes to wait for before the next pass acts on the caches.
    pub writes: Vec<Pending>,
    /// The placement's bindings, updated as this pass changes them.
    pub bindings: Vec<F::Binding>,
    /// Conditions this pass sets on bindings, by binding name.
    pub binding_conditions: BTreeMap<String, Vec<Condition>>,
    /// Failed, drifted and diffed placements from the bindings' Works.
    pub binding_reports: BTreeMap<String, PlacementReports>,
    /// When to look again at the latest (a rollout waiting on a clock).
    pub requeue: Option<Duration>,
    /// Bindings the scheduler wants, created by the rollout: as Bound when it
    /// binds them at once (one write instead of two), else as Scheduled.
    pub to_create: Vec<ClusterDecision>,
    /// The latest policy snapshot's name, for new bindings.
    pub policy_snapshot: String,
    /// The override snapshots each cluster's binding should carry, by cluster.
    pub override_lists: BTreeMap<String, crate::overrides::applicable::Lists>,
}

impl<'a, F: Family> Pass<'a, F> {
    pub fn spec(&self) -> &'a PlacementSpec {
        self.placement.spec()
    }

    /// `ns` for a ResourcePlacement's children, "" for cluster-scoped ones.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }

    pub fn kube(&self, doing: &str) -> impl FnOnce(kube::Error) -> Error {
        let (doing, placement) = (doing.to_string(), self.key.clone());
        move |source| Error::Kube { doing, placement, source }
    }

    /// Metadata of a child: in the placement's namespace, labelled with it,
    /// and owned by it (so the garbage collector removes what a crash leaves).
    pub fn child_meta(&self, name: String, extra_labels: BTreeMap<String, String>) -> ObjectMeta {
        let mut l = BTreeMap::from([(labels::PLACEMENT_TRACKING.to_string(), self.name.clone())]);
        l.extend(extra_labels);
        ObjectMeta {
            name: Some(name),
            namespace: self.namespace.clone(),
            labels: Some(l),
            owner_references: self.placement.controller_owner_ref(&()).map(|o| vec![o]),
            ..Default::default()
        }
    }

    /// Remembers a write so the next pass waits until the cache shows it.
    pub fn wrote<K: Resource>(&mut self, kind: Child, obj: &K) {
        let m = obj.meta();
        self.writes.push(Pending {
            kind,
            namespace: m.namespace.clone(),
            name: m.name.clone().unwrap_or_default(),
            expect: Expect::Version(version(m.resource_version.as_deref())),
        });
    }

    pub fn deleted(&mut self, kind: Child, namespace: Option<String>, name: &str) {
        // An earlier write of it in this pass is moot: it must be gone now.
        self.writes.retain(|p| !(p.kind == kind && p.namespace == namespace && p.name == name));
        self.writes.push(Pending { kind, namespace, name: name.to_string(), expect: Expect::Gone });
    }

    /// The placement's children in `store`.
    pub fn children<K: Object>(&self, store: &kube::runtime::reflector::Store<K>) -> Vec<Arc<K>> {
        store
            .state()
            .into_iter()
            .filter(|o| {
                o.meta().namespace == self.namespace
                    && o.labels().get(labels::PLACEMENT_TRACKING).is_some_and(|n| *n == self.name)
            })
            .collect()
    }

    pub fn binding_owner(binding: &F::Binding) -> OwnerReference {
        let m = binding.meta();
        OwnerReference {
            api_version: F::Binding::api_version(&()).to_string(),
            kind: F::Binding::kind(&()).to_string(),
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            block_owner_deletion: Some(true),
            controller: None,
        }
    }
}

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
    let _timer = ctx.metrics.reconcile(CONTROLLER);
    let name = placement.name_any();
    let namespace = placement.meta().namespace.clone();
    let key = match &namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.clone(),
    };
    if !caught_up(&ctx, &key) {
        // The watch events of the last pass's writes will trigger the next one.
        return Ok(Action::requeue(Duration::from_millis(200)));
    }
    let mut pass = Pass {
        ctx: &ctx,
        placement: &placement,
        name,
        namespace,
        key: key.clone(),
        generation: placement.meta().generation.unwrap_or(0),
        now: Timestamp::now(),
        writes: Vec::new(),
        bindings: Vec::new(),
        binding_conditions: BTreeMap::new(),
        binding_reports: BTreeMap::new(),
        requeue: None,
        to_create: Vec::new(),
        policy_snapshot: String::new(),
        override_lists: BTreeMap::new(),
    };
    pass.bindings = pass.children(&ctx.bindings).into_iter().map(|b| (*b).clone()).collect();
    pass.bindings.sort_by_key(|b| b.name_any());
    let result =
        if placement.meta().deletion_timestamp.is_some() { delete(&mut pass).await } else { place(&mut pass).await };
    let writes = std::mem::take(&mut pass.writes);
    ctx.expectations.expect(&key, writes);
    result
}

pub fn error_policy<F: Family>(placement: Arc<F::Placement>, error: &Error, ctx: Arc<Context<F>>) -> Action {
    warn!(placement = %placement.name_any(), %error, "reconcile failed");
    ctx.metrics.reconcile_failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

async fn place<F: Family>(pass: &mut Pass<'_, F>) -> Result<Action, Error> {
    if let Some(why) = apis::labels::value_error(&pass.name) {
        // Its children would carry the name in a label: none can exist, and
        // no retry helps. Say so; hold no finalizer, so deletion completes.
        let why = format!("The placement cannot be scheduled: its name {why}");
        not_scheduled(pass, p::REASON_INVALID_PLACEMENT_NAME, why).await?;
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
            not_scheduled(pass, p::REASON_INVALID_RESOURCE_SELECTORS, why).await?;
            return Ok(Action::await_change());
        }
    };

    let group = snapshots::resources(pass, &selected).await?;
    let policy = snapshots::policy(pass).await?;
    let schedule = scheduling::schedule(pass, &policy).await?;
    rolling::roll(pass, &group, &policy).await?;
    sync::works(pass, &group).await?;
    write_binding_statuses(pass).await?;

    let latest_policy = policy.meta().name.clone().unwrap_or_default();
    let bindings: Vec<BindingView> = pass
        .bindings
        .iter()
        .filter(|b| b.meta().deletion_timestamp.is_none() && b.spec().scheduling_policy_snapshot_name == latest_policy)
        .map(|b| BindingView { spec: b.spec(), status: b.status(), generation: b.meta().generation.unwrap_or(0) })
        .collect();
    let st = status::status(&status::Input {
        types: F::CONDITIONS,
        diff_reported_type: F::DIFF_REPORTED,
        report_diff: pass
            .spec()
            .strategy
            .apply_strategy
            .as_ref()
            .is_some_and(|a| a.type_ == apis::placement::ApplyStrategyType::ReportDiff),
        generation: pass.generation,
        policy: pass.spec().policy.as_ref(),
        selected: selected.identifiers(),
        latest_snapshot: Some((group.master.as_str(), group.index.as_str())),
        schedule: schedule.as_ref(),
        bindings,
        previous: pass.placement.status(),
    });
    // A placement's status names every cluster (hundreds of KiB on a large
    // fleet) and changes with each member's report: write it at most once per
    // STATUS_INTERVAL, the first change at once and the last one always.
    let since = pass.ctx.status_written.lock().expect("lock").get(&pass.key).map(|t| t.elapsed());
    match since {
        Some(since) if since < STATUS_INTERVAL && pass.placement.status() != Some(&st) => {
            pass.requeue = [pass.requeue, Some(STATUS_INTERVAL - since)].into_iter().flatten().min();
        }
        _ => {
            if write_status(pass, st).await? {
                pass.ctx.status_written.lock().expect("lock").insert(pass.key.clone(), std::time::Instant::now());
            }
        }
    }

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
    let works = works_by_binding(pass);
    for b in &live {
        sync::delete_binding(pass, b, works.get(b).map(Vec::as_slice).unwrap_or_default()).await?;
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

/// The status of a placement that cannot be scheduled for `reason`: its
/// Scheduled condition False, and no later stage (none ran).
async fn not_scheduled<F: Family>(pass: &mut Pass<'_, F>, reason: &str, message: String) -> Result<(), Error> {
    let c = conditions::new(F::CONDITIONS[0], Status::False, reason, message, Some(pass.generation));
    let mut st = pass.placement.status().cloned().unwrap_or_default();
    conditions::set(&mut st.conditions, c);
    st.conditions.retain(|c| c.type_ == F::CONDITIONS[0]);
    write_status(pass, st).await?;
    Ok(())
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

/// Writes the placement's status if it differs; whether it wrote.
async fn write_status<F: Family>(pass: &Pass<'_, F>, status: PlacementStatus) -> Result<bool, Error> {
    if pass.placement.status() == Some(&status) {
        return Ok(false);
    }
    let patch =
        status_patch(&status, &["selectedResources", "observedResourceIndex", "placementStatuses", "conditions"]);
    F::Placement::api(pass.ctx.client.clone(), pass.ns())
        .patch_status(&pass.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(pass.kube("writing the status"))?;
    Ok(true)
}

/// Writes each binding's status where this pass changed it.
async fn write_binding_statuses<F: Family>(pass: &mut Pass<'_, F>) -> Result<(), Error> {
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    let updates = std::mem::take(&mut pass.binding_conditions);
    let mut patches = Vec::new();
    for (name, new) in updates {
        let Some(b) = pass.bindings.iter().find(|b| b.name_any() == name) else { continue };
        let old = b.status().cloned().unwrap_or_default();
        let reports = pass.binding_reports.remove(&name).unwrap_or_else(|| old.reports.clone());
        let mut want = ResourceBindingStatus { reports, conditions: new };
        status::keep_transition_times(&old.conditions, &mut want.conditions);
        if want != old {
            patches.push((name, status_patch(&want, &["failedPlacements", "driftedPlacements", "diffedPlacements"])));
        }
    }
    let results = all(patches.into_iter().map(|(name, patch)| {
        let api = api.clone();
        async move {
            let r = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await;
            (name, r)
        }
    }))
    .await;
    record(pass, results, "writing the status of binding")
}

/// Merge-patches bindings concurrently and keeps the written objects.
pub async fn patch_bindings<F: Family>(
    pass: &mut Pass<'_, F>,
    patches: Vec<(String, serde_json::Value)>,
    doing: &str,
) -> Result<(), Error> {
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    let results = all(patches.into_iter().map(|(name, body)| {
        let api = api.clone();
        async move {
            let r = api.patch(&name, &PatchParams::default(), &Patch::Merge(&body)).await;
            (name, r)
        }
    }))
    .await;
    record(pass, results, doing)
}

/// Keeps every binding written, successes first: a write that succeeded must
/// be expected by the next pass even when another in the batch failed.
fn record<F: Family>(
    pass: &mut Pass<'_, F>,
    results: Vec<(String, Result<F::Binding, kube::Error>)>,
    doing: &str,
) -> Result<(), Error> {
    let mut failed = None;
    for (name, r) in results {
        match r {
            Ok(written) => {
                pass.wrote(Child::of::<F::Binding>(), &written);
                if let Some(b) = pass.bindings.iter_mut().find(|b| b.name_any() == name) {
                    *b = written;
                }
            }
            Err(source) => {
                failed.get_or_insert(Error::Kube {
                    doing: format!("{doing} {name}"),
                    placement: pass.key.clone(),
                    source,
                });
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

pub async fn delete_object<K: Object>(api: &kube::Api<K>, name: &str) -> Result<(), kube::Error> {
    flotilla_runtime::api::ok_if_gone(api.delete(name, &DeleteParams::background()).await)
}

/// Works are grouped by binding once per pass.
pub fn works_by_binding<F: Family>(pass: &Pass<'_, F>) -> BTreeMap<String, Vec<Arc<Work>>> {
    let mut out: BTreeMap<String, Vec<Arc<Work>>> = BTreeMap::new();
    for w in pass.ctx.works.state() {
        let l = w.labels();
        let mine = l.get(labels::PLACEMENT_TRACKING) == Some(&pass.name)
            && l.get(labels::PARENT_NAMESPACE) == pass.namespace.as_ref();
        if mine && let Some(b) = l.get(labels::PARENT_BINDING) {
            out.entry(b.clone()).or_default().push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use apis::placement::PlacementStatus;

    use super::*;

    #[test]
    fn an_emptied_status_field_is_sent_as_null_so_the_merge_patch_clears_it() {
        let status = PlacementStatus { observed_resource_index: "3".into(), ..Default::default() };
        let patch = status_patch(&status, &["selectedResources", "observedResourceIndex", "placementStatuses"]);
        assert_eq!(patch["status"]["observedResourceIndex"], "3");
        assert!(patch["status"]["selectedResources"].is_null() && patch["status"].get("selectedResources").is_some());
        assert!(patch["status"].get("placementStatuses").is_some());
    }
}
