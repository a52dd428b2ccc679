//! The work applier: a controller over this member's Works in the hub's
//! `fleet-member-<name>` namespace. A Work is looked at when its spec changes
//! (not when its status does, which the applier writes itself), when one of
//! its placed objects or its AppliedWork changes on the member, on retry
//! after a failure, and every few minutes. Each pass: the finalizer, the
//! AppliedWork, the manifests (see `pass`), then the AppliedWork's inventory
//! and the Work's status, each written only if it changed. Deleting the Work
//! deletes the AppliedWork, and with it (by garbage collection) what only it
//! owns; with `deleteStrategy: Abandon` the objects are let go first.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{Arc, Mutex},
};

use apis::{
    cluster::member_namespace,
    finalizers::WORK_CLEANUP,
    labels::DELETE_PROPAGATION_POLICY,
    placement::{AppliedWork, AppliedWorkSpec, ApplyStrategyType, DeletePropagationPolicy, Work},
};
use flotilla_runtime::{
    api::ok_if_gone,
    finalizer::{add_patch, remove_patch},
};
use futures::{StreamExt, future::ready};
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams},
    runtime::{
        Controller, WatchStreamExt,
        controller::Action,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use serde_json::json;
use tracing::{debug, info, warn};

use super::{
    backoff,
    kinds::{Kinds, ResolveError},
    ownership,
    pass::{self, Pass},
    status,
};
use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Resolve(#[from] ResolveError),
}

/// What the applier needs.
pub struct Applier {
    pub hub: Client,
    pub member: Client,
    pub member_name: String,
    pub metrics: Metrics,
}

struct Ctx {
    hub: Client,
    member: Client,
    namespace: String,
    kinds: Kinds,
    applied_works: Store<AppliedWork>,
    /// Consecutive failed passes per Work, for the retry backoff.
    failures: Mutex<HashMap<String, u32>>,
    metrics: Metrics,
}

/// The controller's name in metrics.
const CONTROLLER: &str = "work";

/// Runs until the returned future is dropped.
pub async fn run(a: Applier) -> anyhow::Result<()> {
    let namespace = member_namespace(&a.member_name);
    let (kinds, mut placed) = Kinds::new(a.member.clone(), &namespace);
    let (applied_works, writer) = reflector::store::<AppliedWork>();
    let ns = namespace.clone();
    let applied_changes = watcher(Api::<AppliedWork>::all(a.member.clone()), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .filter_map(move |ev| {
            let r = match ev {
                Ok(watcher::Event::Apply(aw) | watcher::Event::Delete(aw)) => {
                    Some(ObjectRef::new(&aw.name_any()).within(&ns))
                }
                _ => None,
            };
            ready(r)
        });
    let placed_changes = futures::stream::poll_fn(move |cx| placed.poll_recv(cx));

    let (works, writer) = reflector::store::<Work>();
    // Only what the applier must act on: a new spec, or deletion.
    let spec_changes = |w: &Work| {
        Some(RandomState::new().hash_one((
            w.metadata.generation,
            w.metadata.deletion_timestamp.is_some(),
            w.finalizers().len(),
        )))
    };
    let work_stream =
        watcher(Api::<Work>::namespaced(a.hub.clone(), &namespace), watcher::Config::default().any_semantic())
            .default_backoff()
            .modify(|w: &mut Work| w.managed_fields_mut().clear())
            .reflect(writer)
            .applied_objects()
            .predicate_filter(spec_changes, Default::default());

    let ctx = Arc::new(Ctx {
        hub: a.hub,
        member: a.member,
        namespace: namespace.clone(),
        kinds,
        applied_works,
        failures: Mutex::default(),
        metrics: a.metrics,
    });
    info!(%namespace, "applying this member's Works");
    Controller::for_stream(work_stream, works)
        .reconcile_on(futures::stream::select(placed_changes, applied_changes))
        .run(reconcile, error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                debug!(error = %e, "work applier");
            }
        })
        .await;
    anyhow::bail!("the Work watches ended")
}

fn error_policy(work: Arc<Work>, error: &Error, ctx: Arc<Ctx>) -> Action {
    let n = ctx.failure(&work.name_any());
    warn!(work = %work.name_any(), %error, retry_in = ?backoff::retry_after(n), "applying the Work failed");
    ctx.metrics.work_pass("error");
    ctx.metrics.reconciles.failed(CONTROLLER);
    Action::requeue(backoff::retry_after(n))
}

impl Ctx {
    fn failure(&self, name: &str) -> u32 {
        let mut f = self.failures.lock().expect("failures lock");
        let n = f.entry(name.to_string()).or_default();
        *n += 1;
        *n
    }

    fn success(&self, name: &str) {
        self.failures.lock().expect("failures lock").remove(name);
    }

    fn works(&self) -> Api<Work> {
        Api::namespaced(self.hub.clone(), &self.namespace)
    }
}

/// Status times have second precision on the server; so do ours, so a status
/// read back equals the one written.
fn now() -> Time {
    Time(Timestamp::from_second(Timestamp::now().as_second()).expect("now is a valid time"))
}

async fn reconcile(work: Arc<Work>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.metrics.reconciles.start(CONTROLLER);
    let name = work.name_any();
    if work.metadata.deletion_timestamp.is_some() {
        if work.finalizers().iter().any(|f| f == WORK_CLEANUP) {
            cleanup(&work, &ctx).await?;
            if let Some(patch) = remove_patch(work.finalizers(), WORK_CLEANUP) {
                ok_if_gone(ctx.works().patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch)).await)?;
            }
            info!(work = %name, "the Work was deleted; its objects were removed or let go");
        }
        ctx.success(&name);
        return Ok(Action::await_change());
    }
    if let Some(patch) = add_patch(work.finalizers(), WORK_CLEANUP, work.resource_version()) {
        ctx.works().patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    }
    let _ = ctx.applied_works.wait_until_ready().await;
    let applied = applied_work(&work, &ctx).await?;
    let uid = applied.uid().unwrap_or_default();
    let strategy = work.spec.apply_strategy.clone().unwrap_or_default();
    let report_diff = strategy.type_ == ApplyStrategyType::ReportDiff;
    let store = ctx.applied_works.clone();
    let alive = move |uid: &str| store.state().iter().any(|a| a.metadata.uid.as_deref() == Some(uid));
    let pass = Pass {
        member: &ctx.member,
        kinds: &ctx.kinds,
        metrics: &ctx.metrics,
        strategy,
        owner: ownership::owner_reference(&name, &uid),
        alive: &alive,
    };
    let previous = applied.status.as_ref().map(|s| s.applied_resources.clone()).unwrap_or_default();
    let done = pass.run(&work.spec.workload.manifests, &previous).await;

    if done.inventory != previous {
        let api: Api<AppliedWork> = Api::all(ctx.member.clone());
        let patch = json!({"status": {"appliedResources": done.inventory}});
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }
    let before = work.status.clone().unwrap_or_default();
    let generation = work.metadata.generation.unwrap_or(0);
    let after = status::work_status(&before, &done.outcomes, report_diff, generation, &now());
    if after != before {
        let patch =
            json!({"status": {"conditions": after.conditions, "manifestConditions": after.manifest_conditions}});
        ctx.works().patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }

    let failed = done.outcomes.iter().filter(|o| o.done.is_err()).count();
    if failed > 0 {
        let n = ctx.failure(&name);
        ctx.metrics.work_pass("failed");
        debug!(work = %name, failed, retry_in = ?backoff::retry_after(n), "some manifests are not applied");
        return Ok(Action::requeue(backoff::retry_after(n)));
    }
    ctx.success(&name);
    ctx.metrics.work_pass(if status::settled(&after, generation) { "settled" } else { "pending" });
    // Availability changes arrive by watch; this is only a safety net.
    Ok(Action::requeue(backoff::RESYNC))
}

/// The Work's AppliedWork, created if missing.
async fn applied_work(work: &Work, ctx: &Ctx) -> Result<AppliedWork, Error> {
    let name = work.name_any();
    if let Some(aw) = ctx.applied_works.get(&ObjectRef::new(&name)) {
        return Ok((*aw).clone());
    }
    let api: Api<AppliedWork> = Api::all(ctx.member.clone());
    if let Some(aw) = api.get_opt(&name).await? {
        return Ok(aw);
    }
    let aw =
        AppliedWork::new(&name, AppliedWorkSpec { work_name: name.clone(), work_namespace: ctx.namespace.clone() });
    Ok(api.create(&PostParams::default(), &aw).await?)
}

/// The Work is being deleted: delete its AppliedWork (garbage collection
/// then removes what only it owns), after letting go of every object if the
/// placement's deleteStrategy is Abandon.
async fn cleanup(work: &Work, ctx: &Ctx) -> Result<(), Error> {
    let name = work.name_any();
    let api: Api<AppliedWork> = Api::all(ctx.member.clone());
    let Some(aw) = api.get_opt(&name).await? else { return Ok(()) };
    let policy = work.annotations().get(DELETE_PROPAGATION_POLICY).cloned().map(serde_json::Value::String);
    let abandon = policy.and_then(|p| serde_json::from_value(p).ok()) == Some(DeletePropagationPolicy::Abandon);
    if abandon {
        let uid = aw.uid().unwrap_or_default();
        for r in aw.status.iter().flat_map(|s| &s.applied_resources) {
            let id = &r.identifier;
            let kind = match ctx.kinds.resolve(&GroupVersionKind::gvk(&id.group, &id.version, &id.kind)).await {
                Ok(kind) => kind,
                Err(ResolveError::NotServed { .. }) => continue, // gone with its kind
                // Unknown: letting the AppliedWork go now would leave our owner
                // reference, and the garbage collector would delete the object.
                Err(e) => return Err(e.into()),
            };
            let objects: Api<DynamicObject> = if kind.namespaced {
                Api::namespaced_with(ctx.member.clone(), &id.namespace, &kind.resource)
            } else {
                Api::all_with(ctx.member.clone(), &kind.resource)
            };
            if let Some(live) = objects.get_opt(&id.name).await? {
                let live = serde_json::to_value(live).expect("objects serialize");
                pass::release(&objects, &id.name, &live, &uid, &ctx.metrics).await?;
            }
        }
    }
    ok_if_gone(api.delete(&name, &DeleteParams::background()).await)?;
    Ok(())
}
