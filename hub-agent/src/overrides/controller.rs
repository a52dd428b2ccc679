//! Keeps each override's snapshots (see `snapshots`) and, through the
//! finalizer `kubernetes-fleet.io/override-cleanup`, deletes them with it.
//! One controller per kind: ClusterResourceOverride (cluster-scoped
//! snapshots) and ResourceOverride (snapshots in its namespace).

use std::{fmt::Debug, sync::Arc, time::Duration};

use apis::{
    finalizers::OVERRIDE_CLEANUP,
    labels,
    placement::{
        ClusterResourceOverride, ClusterResourceOverrideSnapshot, ClusterResourceOverrideSnapshotSpec,
        ResourceOverride, ResourceOverrideSnapshot, ResourceOverrideSnapshotSpec,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::ok_if_gone,
    finalizer::{add_patch, remove_patch},
};
use futures::StreamExt;
use k8s_openapi::ByteString;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::json;
use tracing::{info, warn};

use super::snapshots::{self, Existing};

/// An override kind and its snapshot kind.
pub trait OverrideKind:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Serialize + Debug + Send + Sync + 'static
{
    type Snapshot: Resource<DynamicType = ()> + Clone + DeserializeOwned + Serialize + Debug + Send + Sync + 'static;
    fn spec_json(&self) -> serde_json::Value;
    fn snapshot(&self, meta: ObjectMeta, hash: String) -> Self::Snapshot;
    fn snapshot_hash(s: &Self::Snapshot) -> String;
    /// The API of this kind, and of its snapshots, where `self` lives.
    fn api(&self, client: Client) -> Api<Self>;
    fn snapshots(&self, client: Client) -> Api<Self::Snapshot>;
}

impl OverrideKind for ClusterResourceOverride {
    type Snapshot = ClusterResourceOverrideSnapshot;
    fn spec_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).expect("specs serialize")
    }
    fn snapshot(&self, meta: ObjectMeta, hash: String) -> Self::Snapshot {
        let spec = ClusterResourceOverrideSnapshotSpec {
            override_spec: self.spec.clone(),
            override_hash: ByteString(hash.into_bytes()),
        };
        ClusterResourceOverrideSnapshot { metadata: meta, spec }
    }
    fn snapshot_hash(s: &Self::Snapshot) -> String {
        String::from_utf8_lossy(&s.spec.override_hash.0).into_owned()
    }
    fn api(&self, client: Client) -> Api<Self> {
        Api::all(client)
    }
    fn snapshots(&self, client: Client) -> Api<Self::Snapshot> {
        Api::all(client)
    }
}

impl OverrideKind for ResourceOverride {
    type Snapshot = ResourceOverrideSnapshot;
    fn spec_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.spec).expect("specs serialize")
    }
    fn snapshot(&self, meta: ObjectMeta, hash: String) -> Self::Snapshot {
        let spec = ResourceOverrideSnapshotSpec {
            override_spec: self.spec.clone(),
            override_hash: ByteString(hash.into_bytes()),
        };
        ResourceOverrideSnapshot { metadata: meta, spec }
    }
    fn snapshot_hash(s: &Self::Snapshot) -> String {
        String::from_utf8_lossy(&s.spec.override_hash.0).into_owned()
    }
    fn api(&self, client: Client) -> Api<Self> {
        Api::namespaced(client, &self.namespace().unwrap_or_default())
    }
    fn snapshots(&self, client: Client) -> Api<Self::Snapshot> {
        Api::namespaced(client, &self.namespace().unwrap_or_default())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Kube(#[from] kube::Error),
}

/// The field manager of what this controller writes.
const FIELD_MANAGER: &str = flotilla_runtime::field_manager::HUB_OVERRIDES;

struct Context {
    client: Client,
    reconciles: Reconciles,
}

/// The controller's name in metrics: one per override kind.
fn controller<K: OverrideKind>() -> String {
    K::kind(&()).to_lowercase()
}

async fn reconcile<K: OverrideKind>(o: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(&controller::<K>());
    let name = o.name_any();
    let api = o.api(ctx.client.clone());
    let snaps = o.snapshots(ctx.client.clone());
    if let Some(why) = labels::value_error(&name) {
        // Admission refuses such names; one stored before cannot have
        // snapshots (they carry the name in a label), and no retry helps:
        // hold no finalizer, so its deletion completes.
        warn!(%name, "an override whose name {why} cannot have snapshots; it is ignored");
        if let Some(patch) = remove_patch(o.finalizers(), OVERRIDE_CLEANUP) {
            ok_if_gone(api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch)).await)?;
        }
        return Ok(Action::await_change());
    }
    let lp = ListParams::default().labels(&format!("{}={name}", labels::OVERRIDE_TRACKING));
    let existing = snaps.list(&lp).await?.items;

    if o.meta().deletion_timestamp.is_some() {
        for s in &existing {
            ok_if_gone(snaps.delete(&s.name_any(), &DeleteParams::default()).await)?;
        }
        if let Some(patch) = remove_patch(o.finalizers(), OVERRIDE_CLEANUP) {
            ok_if_gone(api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch)).await)?;
        }
        return Ok(Action::await_change());
    }
    if let Some(patch) = add_patch(o.finalizers(), OVERRIDE_CLEANUP, o.resource_version()) {
        api.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }

    let hash = snapshots::hash(&o.spec_json());
    let views: Vec<Existing> = existing
        .iter()
        .filter_map(|s| {
            let index = s.labels().get(labels::OVERRIDE_INDEX)?.parse().ok()?;
            let latest = s.labels().get(labels::IS_LATEST_SNAPSHOT).is_some_and(|v| v == "true");
            Some(Existing { name: s.name_any(), index, hash: K::snapshot_hash(s), latest })
        })
        .collect();
    let plan = snapshots::plan(&name, &hash, &views);
    for n in &plan.delete {
        ok_if_gone(snaps.delete(n, &DeleteParams::default()).await)?;
    }
    for (n, latest) in &plan.relabel {
        let patch = json!({"metadata": {"labels": {labels::IS_LATEST_SNAPSHOT: latest.to_string()}}});
        ok_if_gone(snaps.patch(n, &PatchParams::default(), &Patch::Merge(patch)).await)?;
    }
    if let Some((snapshot_name, index)) = plan.create {
        let meta = ObjectMeta {
            name: Some(snapshot_name.clone()),
            namespace: o.namespace(),
            labels: Some(
                [
                    (labels::OVERRIDE_TRACKING.to_string(), name.clone()),
                    (labels::OVERRIDE_INDEX.to_string(), index.to_string()),
                    (labels::IS_LATEST_SNAPSHOT.to_string(), "true".to_string()),
                ]
                .into(),
            ),
            owner_references: o.controller_owner_ref(&()).map(|r| vec![r]),
            ..Default::default()
        };
        let pp = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        match snaps.create(&pp, &o.snapshot(meta, hash)).await {
            Ok(_) => info!(%name, snapshot = %snapshot_name, "override snapshot created"),
            // Made by an earlier pass whose watch event has not arrived: look again.
            Err(kube::Error::Api(s)) if s.code == 409 => return Ok(Action::requeue(Duration::from_millis(200))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Action::await_change())
}

fn error_policy<K: OverrideKind>(o: Arc<K>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(name = %o.name_any(), error = %e, "override snapshot");
    ctx.reconciles.failed(&controller::<K>());
    Action::requeue(Duration::from_secs(2))
}

/// Runs the snapshot controller for `K` until shutdown.
pub async fn run<K: OverrideKind>(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let overrides: Api<K> = Api::all(client.clone());
    let snaps: Api<K::Snapshot> = Api::all(client.clone());
    let cfg = watcher::Config::default().labels(labels::OVERRIDE_TRACKING);
    Controller::new(overrides, watcher::Config::default())
        .watches(snaps, cfg, |s| {
            let parent = s.labels().get(labels::OVERRIDE_TRACKING)?;
            let r = ObjectRef::new(parent);
            Some(match s.namespace() {
                Some(ns) => r.within(&ns),
                None => r,
            })
        })
        .shutdown_on_signal()
        .run(reconcile::<K>, error_policy::<K>, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
