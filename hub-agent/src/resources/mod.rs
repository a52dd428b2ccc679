//! The hub's objects of every kind a placement may select, found through API
//! discovery (CRDs included) and kept current by one watch per kind. Every
//! change is reported, so placements react to edits within milliseconds
//! instead of re-listing. Kinds the fleet never places are not watched at
//! all. Discovery runs again whenever a CustomResourceDefinition changes.

pub mod lookup;
pub mod skip;
pub mod triggers;

pub use lookup::{Lookup, Served, identifier};

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DynamicObject},
    discovery::{Discovery, Scope, verbs},
    runtime::{
        WatchStreamExt,
        reflector::{self, Store},
        watcher,
    },
};
use serde_json::Value;
use tokio::{sync::mpsc, task::AbortHandle};
use tracing::{debug, info, warn};

/// A change to one object the hub serves, or `Rediscovered` after the set of
/// kinds changed (every placement should look again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Object { group: String, kind: String, namespace: Option<String>, name: String },
    Rediscovered,
}

type GroupKind = (String, String);

struct Watched {
    resource: ApiResource,
    namespaced: bool,
    store: Store<DynamicObject>,
    ready: Arc<AtomicBool>,
    task: AbortHandle,
}

/// How the hub serves one kind: all its versions, and whether it is placeable.
#[derive(Clone, Debug)]
struct Kind {
    versions: BTreeSet<String>,
    namespaced: bool,
}

pub struct ResourceCache {
    client: Client,
    served: RwLock<BTreeMap<GroupKind, Kind>>,
    watched: RwLock<BTreeMap<GroupKind, Watched>>,
    changes: mpsc::UnboundedSender<Change>,
}

impl Drop for ResourceCache {
    fn drop(&mut self) {
        for w in self.watched.read().expect("lock").values() {
            w.task.abort();
        }
    }
}

impl ResourceCache {
    /// Discovers the hub's kinds, starts their watches and waits until each has
    /// listed. Changes go to the returned receiver.
    pub async fn start(client: Client) -> anyhow::Result<(Arc<Self>, mpsc::UnboundedReceiver<Change>)> {
        let (changes, rx) = mpsc::unbounded_channel();
        let cache = Arc::new(Self {
            client,
            served: RwLock::new(BTreeMap::new()),
            watched: RwLock::new(BTreeMap::new()),
            changes,
        });
        cache.discover().await?;
        // Wait for the first listings, but not forever: a kind that cannot be
        // listed (a broken conversion webhook) only holds up the placements
        // that select from it, which retry until it lists.
        let waits: Vec<_> = cache.watched.read().expect("lock").values().map(|w| w.store.clone()).collect();
        let listed = futures::future::join_all(waits.iter().map(|s| s.wait_until_ready()));
        if tokio::time::timeout(Duration::from_secs(60), listed).await.is_err() {
            let slow: Vec<String> = cache
                .watched
                .read()
                .expect("lock")
                .iter()
                .filter(|(_, w)| !w.ready.load(Ordering::Acquire))
                .map(|((g, k), _)| format!("{g}/{k}"))
                .collect();
            warn!(kinds = ?slow, "some kinds have not listed after 60 s; placements selecting from them wait");
        }
        tokio::spawn(Self::follow_crds(Arc::downgrade(&cache)));
        Ok((cache, rx))
    }

    /// Runs discovery and reconciles the watches with it.
    async fn discover(&self) -> anyhow::Result<()> {
        // Aggregated discovery: two requests, and an unavailable aggregated API
        // (a metrics server that is down) does not hide every other group.
        let discovery = match Discovery::new(self.client.clone()).run_aggregated().await {
            Ok(d) => d,
            Err(e) => {
                debug!(error = %e, "aggregated discovery unavailable; discovering group by group");
                Discovery::new(self.client.clone()).run().await?
            }
        };
        let mut served = BTreeMap::new();
        let mut wanted = BTreeMap::new();
        for group in discovery.groups() {
            for version in group.versions() {
                for (ar, caps) in group.versioned_resources(version) {
                    if !ar.plural.contains('/') {
                        served
                            .entry((ar.group.clone(), ar.kind.clone()))
                            .or_insert_with(|| Kind {
                                versions: BTreeSet::new(),
                                namespaced: caps.scope == Scope::Namespaced,
                            })
                            .versions
                            .insert(ar.version.clone());
                    }
                }
            }
            // Each kind at its most stable version: a kind served only in a
            // version other than the group's preferred one (the envelopes,
            // v1beta1 only, next to v1 placements) is still watched.
            for (ar, caps) in group.resources_by_stability() {
                let watchable = caps.supports_operation(verbs::LIST) && caps.supports_operation(verbs::WATCH);
                if watchable && !ar.plural.contains('/') && !skip::skipped_kind(&ar.group, &ar.kind) {
                    wanted.insert((ar.group.clone(), ar.kind.clone()), (ar, caps.scope == Scope::Namespaced));
                }
            }
        }
        *self.served.write().expect("lock") = served;
        let mut watched = self.watched.write().expect("lock");
        watched.retain(|gk, w| {
            let keep = wanted.get(gk).is_some_and(|(ar, _)| ar.version == w.resource.version);
            if !keep {
                info!(group = %gk.0, kind = %gk.1, "no longer served; watch stopped");
                w.task.abort();
            }
            keep
        });
        for (gk, (ar, namespaced)) in wanted {
            if let std::collections::btree_map::Entry::Vacant(e) = watched.entry(gk) {
                debug!(group = %ar.group, version = %ar.version, kind = %ar.kind, "watching");
                e.insert(self.watch(ar, namespaced));
            }
        }
        Ok(())
    }

    fn watch(&self, resource: ApiResource, namespaced: bool) -> Watched {
        let writer = reflector::store::Writer::new(resource.clone());
        let store = writer.as_reader();
        let ready = Arc::new(AtomicBool::new(false));
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let (group, kind) = (resource.group.clone(), resource.kind.clone());
        let changes = self.changes.clone();
        let flag = ready.clone();
        let stream = watcher(api, watcher::Config::default()).default_backoff().reflect(writer);
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            // After the first listing, a re-list (a watch that expired) may carry
            // changes that were missed: report those objects too.
            let mut listed = false;
            while let Some(event) = stream.next().await {
                let objects = match event {
                    Ok(watcher::Event::Apply(o) | watcher::Event::Delete(o)) => vec![o],
                    Ok(watcher::Event::InitApply(o)) if listed => vec![o],
                    Ok(watcher::Event::InitDone) => {
                        listed = true;
                        flag.store(true, Ordering::Release);
                        vec![]
                    }
                    Ok(_) => vec![],
                    Err(e) => {
                        warn!(%group, %kind, error = %e, "watch failed; retrying");
                        vec![]
                    }
                };
                for o in objects {
                    let change = Change::Object {
                        group: group.clone(),
                        kind: kind.clone(),
                        namespace: o.namespace(),
                        name: o.name_any(),
                    };
                    if changes.send(change).is_err() {
                        return;
                    }
                }
            }
        });
        Watched { resource, namespaced, store, ready, task: task.abort_handle() }
    }

    /// Discovers again whenever a CRD changes (new kinds become selectable
    /// without a restart), then asks every placement to look again.
    async fn follow_crds(cache: std::sync::Weak<Self>) {
        let Some(client) = cache.upgrade().map(|c| c.client.clone()) else { return };
        let crds: Api<CustomResourceDefinition> = Api::all(client);
        let mut events = std::pin::pin!(watcher(crds, watcher::Config::default()).default_backoff().touched_objects());
        let mut listed = false;
        loop {
            // Bursts (a chart installing twenty CRDs) become one discovery.
            let first = events.try_next().await;
            if matches!(first, Ok(None)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            while let Some(Ok(Some(_))) = futures::FutureExt::now_or_never(events.try_next()) {}
            if !listed {
                // The initial listing: discovery already ran.
                listed = true;
                continue;
            }
            let Some(cache) = cache.upgrade() else { return };
            match cache.discover().await {
                Ok(()) => {
                    let _ = cache.changes.send(Change::Rediscovered);
                }
                Err(e) => warn!(error = %e, "discovery after a CRD change failed"),
            }
        }
    }

    fn to_value(resource: &ApiResource, o: &DynamicObject) -> Value {
        let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
        // Listed items carry no type; the snapshot needs it.
        v["apiVersion"] = resource.api_version.clone().into();
        v["kind"] = resource.kind.clone().into();
        v
    }

    /// The labels of namespace `name`, if the hub has it.
    pub fn namespace_labels(&self, name: &str) -> Option<BTreeMap<String, String>> {
        let watched = self.watched.read().expect("lock");
        let ns = watched.get(&(String::new(), "Namespace".to_string()))?;
        ns.store.get(&reflector::ObjectRef::new_with(name, ns.resource.clone())).map(|o| o.labels().clone())
    }

    /// How many kinds are watched (a metric and a log line).
    pub fn watched_kinds(&self) -> usize {
        self.watched.read().expect("lock").len()
    }
}

impl Lookup for ResourceCache {
    fn served(&self, group: &str, version: &str, kind: &str) -> Option<Served> {
        let served = self.served.read().expect("lock");
        let k = served.get(&(group.to_string(), kind.to_string())).filter(|k| k.versions.contains(version))?;
        Some(Served { namespaced: k.namespaced, skipped: skip::skipped_kind(group, kind) })
    }

    fn objects(&self, group: &str, kind: &str, namespace: Option<&str>) -> Result<Vec<Value>, String> {
        let watched = self.watched.read().expect("lock");
        let Some(w) = watched.get(&(group.to_string(), kind.to_string())) else {
            // Served but not watchable (no list/watch): nothing can be selected.
            return Ok(Vec::new());
        };
        if !w.ready.load(Ordering::Acquire) {
            return Err(format!("{}/{} not listed yet", w.resource.api_version, kind));
        }
        Ok(w.store
            .state()
            .iter()
            .filter(|o| namespace.is_none_or(|ns| o.metadata.namespace.as_deref() == Some(ns)))
            .map(|o| Self::to_value(&w.resource, o))
            .collect())
    }

    fn namespaced_kinds(&self) -> Vec<(String, String)> {
        self.watched.read().expect("lock").iter().filter(|(_, w)| w.namespaced).map(|(gk, _)| gk.clone()).collect()
    }
}
