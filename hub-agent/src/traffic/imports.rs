//! ServiceImports on the hub: for every namespace/name some member exports,
//! a ServiceImport in that namespace listing the clusters whose exports agree
//! on the ports (see `import`), and each InternalServiceExport's Conflict
//! condition, which its member copies to the ServiceExport. Exports changing
//! in a burst are handled once (20 ms); writes only when something differs.

use std::{collections::BTreeSet, time::Duration};

use apis::{
    conditions::{self, networking as n},
    networking::{InternalServiceExport, ServiceImport, ServiceImportSpec},
};
use flotilla_runtime::api::ok_if_gone;
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
    runtime::{WatchStreamExt, reflector, reflector::Store, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::import::{self, Export};

const FIELD_MANAGER: &str = flotilla_runtime::field_manager::HUB_SERVICE_IMPORTS;
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
    let exports: Vec<Export> = mine
        .iter()
        .map(|i| Export {
            cluster: &i.spec.service_reference.cluster_id,
            ports: &i.spec.ports,
            exported_since: i
                .spec
                .service_reference
                .exported_since
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
        })
        .collect();
    let (status, conflicts) = import::import(&exports);

    for (i, conflict) in mine.iter().zip(conflicts) {
        let c = if conflict {
            conditions::new(
                n::SERVICE_EXPORT_CONFLICT,
                true,
                n::REASON_CONFLICT_FOUND,
                format!("the Service's ports differ from those of ServiceImport {ns}/{name}"),
                i.metadata.generation,
            )
        } else {
            conditions::new(
                n::SERVICE_EXPORT_CONFLICT,
                false,
                n::REASON_NO_CONFLICT_FOUND,
                "no conflict found",
                i.metadata.generation,
            )
        };
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

/// Runs until the stream of exports ends.
pub async fn run(client: Client) {
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
                None => return,
            },
            _ = tokio::time::sleep(BATCH), if !pending.is_empty() => {
                for k in std::mem::take(&mut pending) {
                    if let Err(e) = reconcile(&client, &store, &k).await {
                        warn!(service = %format!("{}/{}", k.0, k.1), error = %e, "updating the ServiceImport failed; retrying");
                        retry.insert(k);
                    }
                }
            }
            _ = tokio::time::sleep(RETRY), if !retry.is_empty() => pending.append(&mut retry),
        }
    }
}
