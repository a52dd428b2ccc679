//! The placement controller: one level-triggered pass per placement turns its
//! spec into snapshots, bindings and Works and writes its status (see
//! `reconcile`). One controller runs per family (ClusterResourcePlacement,
//! ResourcePlacement); both share the Work and MemberCluster watches and the
//! resource cache.
//!
//! Triggers: the placement itself; its snapshots, bindings and Works (by the
//! `parent-CRP` label); member clusters, when something the scheduler reads
//! changes; and any hub object its selectors may select.

mod expectations;
mod pass;
mod reconcile;
mod report;
mod rolling;
mod scheduling;
mod snapshots;
mod sync;
mod write;

use std::{
    collections::{HashMap, HashSet, hash_map::DefaultHasher},
    hash::{Hash, Hasher},
    sync::Arc,
    time::Duration,
};

use apis::{
    cluster::MemberCluster,
    labels,
    placement::{ClusterResourceOverrideSnapshot, ResourceOverrideSnapshot, Work},
};
use futures::{Stream, StreamExt, channel::mpsc};
use kube::{
    Api, Client, Resource, ResourceExt,
    runtime::{
        Controller, WatchStreamExt,
        controller::Config as ControllerConfig,
        events::{Recorder, Reporter},
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use tracing::{info, warn};

use self::expectations::Expectations;
use super::family::{Cluster, Family, Namespaced, Object, WithSpec};
use crate::{
    membership::eligibility,
    metrics::Metrics,
    resources::{
        Change, ResourceCache,
        triggers::{Changed, may_select},
    },
};

/// The field manager of everything the placement controller writes.
pub const FIELD_MANAGER: &str = flotilla_runtime::field_manager::HUB_PLACEMENT;

/// Triggers for the same placement closer together than this become one pass.
const DEBOUNCE: Duration = Duration::from_millis(30);
/// Binding and Work changes (status reports, mostly) reach a placement at
/// most this often: a hundred members reporting within a second become a few
/// passes and status writes, not a hundred.
const STATUS_BATCH: Duration = Duration::from_millis(200);
/// Placements reconciled at once, per family; each pass writes up to 16
/// objects at a time, so the API server sees at most 128 of our requests.
const CONCURRENT_PASSES: u16 = 8;

#[derive(Clone, Debug)]
pub struct Config {
    pub eligibility: eligibility::Policy,
}

pub struct Context<F: Family> {
    pub client: Client,
    pub config: Config,
    pub metrics: Metrics,
    pub cache: Arc<ResourceCache>,
    pub resource_snapshots: Store<F::ResourceSnapshot>,
    pub policy_snapshots: Store<F::PolicySnapshot>,
    pub bindings: Store<F::Binding>,
    pub works: Store<Work>,
    pub clusters: Store<MemberCluster>,
    /// Every override snapshot (the latest labelled so).
    pub overrides: Overrides,
    pub expectations: Expectations,
    /// When each placement's status was last written (see `STATUS_INTERVAL`).
    pub status_written: std::sync::Mutex<HashMap<String, std::time::Instant>>,
    /// Publishes the placements' events (`placement::events`).
    pub recorder: Recorder,
}

/// The reporting controller of placement events, KubeFleet's name.
const REPORTER: &str = "placement-controller";

/// The caches never need managedFields, which can outweigh the object.
fn drop_managed_fields<K: Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

/// Keeps `writer`'s store of the objects as `modify` trims them, and sends
/// `event(object)` for every object the watch touches, deletions included,
/// to each of `to`.
fn drive<K, T>(
    api: Api<K>,
    config: watcher::Config,
    writer: reflector::store::Writer<K>,
    modify: impl FnMut(&mut K) + Send + 'static,
    to: [mpsc::UnboundedSender<T>; 2],
    event: impl Fn(&K) -> T + Send + 'static,
) -> impl Stream<Item = ()> + Send
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    T: Clone + Send + 'static,
{
    let what = K::kind(&()).to_string();
    watcher(api, config).default_backoff().modify(modify).reflect(writer).map(move |ev| forward(ev, &to, &what, &event))
}

/// `event(object)` for every object a watch touches, deletions included, to each of `to`.
fn forward<K, T: Clone>(
    ev: Result<watcher::Event<K>, watcher::Error>,
    to: &[mpsc::UnboundedSender<T>],
    what: &str,
    event: impl Fn(&K) -> T,
) {
    match ev {
        Ok(watcher::Event::Apply(o) | watcher::Event::Delete(o) | watcher::Event::InitApply(o)) => {
            let e = event(&o);
            for tx in to {
                let _ = tx.unbounded_send(e.clone());
            }
        }
        Ok(_) => {}
        Err(e) => warn!(error = %e, "{what} watch failed; retrying"),
    }
}

/// Runs both placement controllers until shutdown.
pub async fn run(client: Client, config: Config, metrics: Metrics, ready: impl FnOnce() + Send) -> anyhow::Result<()> {
    let (cache, mut changes) = ResourceCache::start(client.clone()).await?;
    info!(kinds = cache.watched_kinds(), "watching the hub's placeable kinds");

    let works_cfg = watcher::Config::default().labels(labels::PLACEMENT_TRACKING).any_semantic();
    // One watch each for Works and member clusters, feeding both families.
    let (works, works_writer) = reflector::store();
    let (work_tx_c, work_rx_c) = mpsc::unbounded();
    let (work_tx_n, work_rx_n) = mpsc::unbounded();
    let (clusters, clusters_writer) = reflector::store();
    let (cluster_tx_c, cluster_rx_c) = mpsc::unbounded();
    let (cluster_tx_n, cluster_rx_n) = mpsc::unbounded();
    // Every override snapshot (bindings name older ones while a rollout is
    // under way). Overrides change rarely and may concern any placement: a
    // change, a deletion included, makes every placement look again.
    let override_cfg = watcher::Config::default().labels(labels::OVERRIDE_TRACKING).any_semantic();
    let (cro_snapshots, cro_writer) = reflector::store();
    let (ro_snapshots, ro_writer) = reflector::store();
    let (override_tx_c, override_rx_c) = mpsc::unbounded::<()>();
    let (override_tx_n, override_rx_n) = mpsc::unbounded::<()>();
    let override_to = [override_tx_c, override_tx_n];
    let drivers = futures::stream::select_all([
        drive(
            Api::<Work>::all(client.clone()),
            works_cfg,
            works_writer,
            crate::placement::works::desired::strip,
            [work_tx_c, work_tx_n],
            Work::clone,
        )
        .boxed(),
        drive(
            Api::<MemberCluster>::all(client.clone()),
            watcher::Config::default().any_semantic(),
            clusters_writer,
            drop_managed_fields,
            [cluster_tx_c, cluster_tx_n],
            |mc| mc.clone(),
        )
        .boxed(),
        drive(
            Api::<ClusterResourceOverrideSnapshot>::all(client.clone()),
            override_cfg.clone(),
            cro_writer,
            drop_managed_fields,
            override_to.clone(),
            |_| (),
        )
        .boxed(),
        drive(
            Api::<ResourceOverrideSnapshot>::all(client.clone()),
            override_cfg,
            ro_writer,
            drop_managed_fields,
            override_to,
            |_| (),
        )
        .boxed(),
    ])
    .for_each(|_| async {});
    let drivers = tokio::spawn(drivers);
    let _ = futures::join!(
        works.wait_until_ready(),
        clusters.wait_until_ready(),
        cro_snapshots.wait_until_ready(),
        ro_snapshots.wait_until_ready()
    );
    let overrides = Overrides { cluster: cro_snapshots, namespaced: ro_snapshots };

    let (tx_c, rx_c) = mpsc::unbounded();
    let (tx_n, rx_n) = mpsc::unbounded();
    let common = Common { client, config, metrics, cache: cache.clone(), works, clusters, overrides };
    let (cluster_family, crp_store) = family::<Cluster>(&common, work_rx_c, cluster_rx_c, override_rx_c, rx_c).await;
    let (namespaced_family, rp_store) =
        family::<Namespaced>(&common, work_rx_n, cluster_rx_n, override_rx_n, rx_n).await;
    info!("placement controllers started");
    ready();

    // Hub object changes → the placements that may select them.
    let dispatch = async move {
        while let Some(change) = changes.recv().await {
            dispatch::<Cluster>(&change, &crp_store, &cache, &tx_c);
            dispatch::<Namespaced>(&change, &rp_store, &cache, &tx_n);
        }
    };
    tokio::select! {
        _ = cluster_family => {}
        _ = namespaced_family => {}
        _ = dispatch => {}
    }
    drivers.abort();
    Ok(())
}

fn dispatch<F: Family>(
    change: &Change,
    placements: &Store<F::Placement>,
    cache: &ResourceCache,
    tx: &mpsc::UnboundedSender<ObjectRef<F::Placement>>,
) {
    for p in placements.state() {
        let wanted = match change {
            Change::Rediscovered => true,
            Change::Object { group, kind, namespace, name } => {
                let changed = Changed { group, kind, namespace: namespace.as_deref(), name };
                may_select(p.spec(), p.meta().namespace.as_deref(), &changed, |ns| cache.namespace_labels(ns))
            }
        };
        if wanted {
            let _ = tx.unbounded_send(ObjectRef::from_obj(&*p));
        }
    }
}

struct Common {
    client: Client,
    config: Config,
    metrics: Metrics,
    cache: Arc<ResourceCache>,
    works: Store<Work>,
    clusters: Store<MemberCluster>,
    overrides: Overrides,
}

/// The snapshots of every ClusterResourceOverride and ResourceOverride.
#[derive(Clone)]
pub struct Overrides {
    pub cluster: Store<ClusterResourceOverrideSnapshot>,
    pub namespaced: Store<ResourceOverrideSnapshot>,
}

/// The placement a child belongs to, from its `parent-CRP` label (and, for a
/// ResourcePlacement's children, their namespace).
fn parent<F: Family, K: Resource>(child: &K) -> Option<ObjectRef<F::Placement>> {
    let name = child.meta().labels.as_ref()?.get(labels::PLACEMENT_TRACKING)?;
    let r = ObjectRef::new(name);
    if F::NAMESPACED { Some(r.within(child.meta().namespace.as_deref()?)) } else { Some(r) }
}

/// The placement a Work belongs to: a ResourcePlacement's Works carry its namespace in a label.
fn work_parent<F: Family>(w: &Work) -> Option<ObjectRef<F::Placement>> {
    let l = w.metadata.labels.as_ref()?;
    let r = ObjectRef::new(l.get(labels::PLACEMENT_TRACKING)?);
    match (F::NAMESPACED, l.get(labels::PARENT_NAMESPACE)) {
        (true, Some(ns)) => Some(r.within(ns)),
        (false, None) => Some(r),
        _ => None,
    }
}

/// What the scheduler reads of a member cluster, hashed: its labels, taints,
/// conditions, property values and eligibility now, but not observation
/// times, so heartbeats that change nothing else do not wake every placement.
fn scheduling_fingerprint(mc: &MemberCluster, policy: eligibility::Policy) -> u64 {
    let mut h = DefaultHasher::new();
    mc.labels().hash(&mut h);
    mc.metadata.deletion_timestamp.is_some().hash(&mut h);
    serde_json::to_string(&mc.spec.taints).unwrap_or_default().hash(&mut h);
    eligibility::check(mc, k8s_openapi::jiff::Timestamp::now(), policy).is_ok().hash(&mut h);
    if let Some(s) = &mc.status {
        for c in &s.conditions {
            (&c.type_, &c.status).hash(&mut h);
        }
        for (name, p) in &s.properties {
            (name, &p.value).hash(&mut h);
        }
        let u = &s.resource_usage;
        for q in [&u.capacity, &u.allocatable, &u.available] {
            for (name, v) in q {
                (name, &v.0).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// Member cluster changes, and every member cluster again whenever the
/// clock alone may change one's eligibility (a heartbeat growing stale, an
/// unhealthy spell passing its limit). One timer serves every placement:
/// a placement never wakes by itself to look, and the fingerprint filter
/// downstream passes on only what changed.
fn eligibility_clock(
    clusters: Store<MemberCluster>,
    policy: eligibility::Policy,
    mut events: mpsc::UnboundedReceiver<MemberCluster>,
) -> impl Stream<Item = MemberCluster> + Send {
    let (tx, rx) = mpsc::unbounded();
    tokio::spawn(async move {
        loop {
            let now = k8s_openapi::jiff::Timestamp::now();
            let due = clusters.state().iter().filter_map(|mc| eligibility::next_change(mc, now, policy)).min();
            let timer = async {
                match due {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let changed: Vec<MemberCluster> = tokio::select! {
                ev = events.next() => match ev {
                    Some(mc) => vec![mc],
                    None => return,
                },
                _ = timer => clusters.state().iter().map(|mc| (**mc).clone()).collect(),
            };
            for mc in changed {
                if tx.unbounded_send(mc).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Passes each placement on at most once per [`STATUS_BATCH`].
fn batched<K>(input: impl Stream<Item = ObjectRef<K>> + Send + 'static) -> impl Stream<Item = ObjectRef<K>> + Send
where
    K: Resource<DynamicType = ()> + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::unbounded();
    tokio::spawn(async move {
        let mut input = std::pin::pin!(input);
        let mut pending: HashSet<ObjectRef<K>> = HashSet::new();
        let mut tick = tokio::time::interval(STATUS_BATCH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                next = input.next() => match next {
                    Some(r) => { pending.insert(r); }
                    None => return,
                },
                _ = tick.tick() => {
                    for r in pending.drain() {
                        if tx.unbounded_send(r).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
    rx
}

/// A placement's children of kind `K`: their cache, every touched child
/// (deletions included), and the watch to drive.
#[allow(clippy::type_complexity)]
fn owned_watch<K: Object>(
    client: &Client,
) -> (Store<K>, mpsc::UnboundedReceiver<K>, impl Stream<Item = ()> + Send + use<K>) {
    let (store, writer) = reflector::store();
    let (tx, rx) = mpsc::unbounded();
    let cfg = watcher::Config::default().labels(labels::PLACEMENT_TRACKING).any_semantic();
    let what = K::kind(&()).to_string();
    let driver = watcher(Api::<K>::all(client.clone()), cfg)
        .default_backoff()
        .modify(drop_managed_fields)
        .reflect(writer)
        .map(move |ev| forward(ev, std::slice::from_ref(&tx), &what, K::clone));
    (store, rx, driver)
}

async fn family<F: Family>(
    common: &Common,
    work_events: mpsc::UnboundedReceiver<Work>,
    cluster_events: mpsc::UnboundedReceiver<MemberCluster>,
    override_events: mpsc::UnboundedReceiver<()>,
    object_triggers: mpsc::UnboundedReceiver<ObjectRef<F::Placement>>,
) -> (impl std::future::Future<Output = ()> + Send, Store<F::Placement>) {
    let client = common.client.clone();
    let (resource_snapshots, rs_events, rs_driver) = owned_watch::<F::ResourceSnapshot>(&client);
    let (policy_snapshots, ps_events, ps_driver) = owned_watch::<F::PolicySnapshot>(&client);
    let (bindings, b_events, b_driver) = owned_watch::<F::Binding>(&client);
    let drivers = tokio::spawn(
        futures::stream::select_all([rs_driver.boxed(), ps_driver.boxed(), b_driver.boxed()]).for_each(|_| async {}),
    );
    let _ = futures::join!(
        resource_snapshots.wait_until_ready(),
        policy_snapshots.wait_until_ready(),
        bindings.wait_until_ready()
    );

    let ctx = Arc::new(Context::<F> {
        client: client.clone(),
        config: common.config.clone(),
        metrics: common.metrics.clone(),
        cache: common.cache.clone(),
        resource_snapshots,
        policy_snapshots,
        bindings,
        works: common.works.clone(),
        clusters: common.clusters.clone(),
        overrides: common.overrides.clone(),
        expectations: Expectations::default(),
        status_written: Default::default(),
        recorder: Recorder::new(client.clone(), Reporter { controller: REPORTER.into(), instance: None }),
    });

    let mut fingerprints: HashMap<String, u64> = HashMap::new();
    let policy = common.config.eligibility;
    let cluster_changes = eligibility_clock(common.clusters.clone(), policy, cluster_events).filter_map(move |mc| {
        let fp = scheduling_fingerprint(&mc, policy);
        let changed = fingerprints.insert(mc.name_any(), fp) != Some(fp);
        futures::future::ready(changed.then_some(()))
    });

    let (store, writer) = reflector::store();
    let placements = watcher(F::Placement::api(client, ""), watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(drop_managed_fields)
        .reflect(writer)
        .applied_objects();
    let controller = Controller::for_stream(placements, store.clone())
        .with_config(ControllerConfig::default().debounce(DEBOUNCE).concurrency(CONCURRENT_PASSES));
    let run = controller
        .reconcile_on(rs_events.filter_map(|o| futures::future::ready(parent::<F, _>(&o))))
        .reconcile_on(ps_events.filter_map(|o| futures::future::ready(parent::<F, _>(&o))))
        .reconcile_on(batched(b_events.filter_map(|b| futures::future::ready(parent::<F, _>(&b)))))
        .reconcile_on(batched(work_events.filter_map(|w| futures::future::ready(work_parent::<F>(&w)))))
        .reconcile_all_on(cluster_changes)
        .reconcile_all_on(override_events)
        .reconcile_on(object_triggers)
        .shutdown_on_signal()
        .run(reconcile::reconcile::<F>, reconcile::error_policy::<F>, ctx)
        .for_each(|_| async {});
    let run = async move {
        run.await;
        drivers.abort();
    };
    (run, store)
}
