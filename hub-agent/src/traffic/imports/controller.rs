//! The ServiceImport controller: watches InternalServiceExports, and for
//! each namespace/name they name writes the ServiceImport and the exports'
//! Conflict conditions that `decide` wants, only where they differ. Exports
//! changing in a burst are handled once (20 ms); a failed key is retried
//! after 2 s.

use std::{collections::BTreeSet, time::Duration};

use apis::{
    conditions,
    networking::{InternalServiceExport, ServiceImport, ServiceImportSpec},
};
use flotilla_runtime::{Reconciles, api::ok_if_gone};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
    runtime::{WatchStreamExt, reflector, reflector::Store, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::decide::{self, Export};

const FIELD_MANAGER: &str = flotilla_runtime::field_manager::HUB_SERVICE_IMPORTS;
/// The controller's name in metrics.
const CONTROLLER: &str = "serviceimport";
const BATCH: Duration = Duration::from_millis(20);
const RETRY: Duration = Duration::from_secs(2);

type Key = (String, String);

fn key(i: &InternalServiceExport) -> Key {
    (i.spec.service_reference.namespace.clone(), i.spec.service_reference.name.clone())
}

async fn reconcile(client: &Client, store: &Store<InternalServiceExport>, (ns, name): &Key) -> Result<(), kube::Error> {
    let all = store.state();
    let mine: Vec<_> = all
        .iter()
        .filter(|i| key(i) == (ns.clone(), name.clone()) && i.metadata.deletion_timestamp.is_none())
        .collect();
    let imports: Api<ServiceImport> = Api::namespaced(client.clone(), ns);
    if mine.is_empty() {
        if imports.get_opt(name).await?.is_some() {
            ok_if_gone(imports.delete(name, &DeleteParams::default()).await)?;
            info!(service = %format!("{ns}/{name}"), "no member exports it any more: ServiceImport deleted");
        }
        return Ok(());
    }
    let exports: Vec<Export> = mine.iter().map(|i| Export::of(i)).collect();
    let (status, conflicts) = decide::import(&exports);

    for (i, conflicts) in mine.iter().zip(conflicts) {
        let c = decide::conflict(conflicts, &format!("{ns}/{name}"), i.metadata.generation);
        let mut conds: Vec<Condition> = i.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
        if conditions::set(&mut conds, c) {
            let api: Api<InternalServiceExport> = Api::namespaced(client.clone(), &i.namespace().unwrap_or_default());
            let patch = json!({"status": {"conditions": conds}});
            ok_if_gone(api.patch_status(&i.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await)?;
        }
    }

    let current = imports.get_opt(name).await?;
    if current.is_none() {
        let obj = ServiceImport::new(name, ServiceImportSpec {});
        imports.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&obj)).await?;
        info!(service = %format!("{ns}/{name}"), clusters = status.clusters.len(), "ServiceImport created");
    }
    if current.and_then(|c| c.status) != Some(status.clone()) {
        let patch = json!({"status": status});
        imports.patch_status(name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }
    Ok(())
}

/// Runs until the stream of exports ends, which is a failure: the watch retries.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let (store, writer) = reflector::store();
    let mut events =
        watcher(Api::<InternalServiceExport>::all(client.clone()), watcher::Config::default().any_semantic())
            .default_backoff()
            .reflect(writer)
            .boxed();
    let mut pending: BTreeSet<Key> = BTreeSet::new();
    let mut retry: BTreeSet<Key> = BTreeSet::new();
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(watcher::Event::Apply(i) | watcher::Event::Delete(i) | watcher::Event::InitApply(i))) => {
                    pending.insert(key(&i));
                }
                Some(_) => {}
                None => anyhow::bail!("the InternalServiceExport watch ended"),
            },
            _ = tokio::time::sleep(BATCH), if !pending.is_empty() => {
                for k in std::mem::take(&mut pending) {
                    let _timer = reconciles.start(CONTROLLER);
                    if let Err(e) = reconcile(&client, &store, &k).await {
                        warn!(service = %format!("{}/{}", k.0, k.1), error = %e, "updating the ServiceImport failed; retrying");
                        reconciles.failed(CONTROLLER);
                        retry.insert(k);
                    }
                }
            }
            _ = tokio::time::sleep(RETRY), if !retry.is_empty() => pending.append(&mut retry),
        }
    }
}
