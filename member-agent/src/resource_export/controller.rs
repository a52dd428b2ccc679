//! The ResourceExport controller: for each export in this member's hub
//! namespace whose spec generation it has not answered, reads the namespaces
//! and every namespaced resource it may list (discovery, then one list per
//! resource and namespace; the excluded resources are not read), releases
//! the objects named for release, and writes the answer into the export's
//! status. Reads only on request: nothing is watched on the member.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use apis::{
    cluster::member_namespace,
    conditions::{self, Status, placement as p},
    placement::{ExportedNamespace, ObjectReference, ResourceExport, ResourceExportSpec, ResourceExportStatus},
};
use flotilla_runtime::Reconciles;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, ResourceExt,
    api::{ApiResource, DynamicObject, ListParams, Patch, PatchParams},
    discovery::{Discovery, Scope, verbs},
    runtime::{Controller, controller::Action, watcher},
};
use serde_json::{Value, json};
use tracing::{info, warn};

use super::{collect, release};

/// The controller's name in metrics.
const CONTROLLER: &str = "resourceexport";
const FIELD_MANAGER: &str = flotilla_runtime::field_manager::MEMBER_RESOURCE_EXPORT;
/// The most the export's status may carry; past it the export fails whole.
const MAX_STATUS_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Kube(#[from] kube::Error),
    #[error("discovering the member's resources: {0}")]
    Discovery(kube::Error),
    #[error("the namespace selector is invalid: {0}")]
    Selector(String),
}

pub struct Exporter {
    pub hub: Client,
    pub member: Client,
    pub member_name: String,
    pub reconciles: Reconciles,
}

struct Ctx {
    hub: Client,
    member: Client,
    namespace: String,
    reconciles: Reconciles,
}

/// A listable namespaced resource of the member: its API and its `resource[.group]` name.
struct Listable {
    resource: ApiResource,
    name: String,
}

async fn listable(member: &Client) -> Result<Vec<Listable>, Error> {
    let discovery = Discovery::new(member.clone()).run().await.map_err(Error::Discovery)?;
    let mut out = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if caps.scope != Scope::Namespaced || !caps.supports_operation(verbs::LIST) {
                continue;
            }
            let name = if ar.group.is_empty() { ar.plural.clone() } else { format!("{}.{}", ar.plural, ar.group) };
            out.push(Listable { resource: ar, name });
        }
    }
    Ok(out)
}

fn message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        e => e.to_string(),
    }
}

/// The namespaces asked for: each by name, found or not, or those the selector matches.
async fn namespaces(member: &Client, spec: &ResourceExportSpec) -> Result<Vec<ExportedNamespace>, Error> {
    let api: Api<Namespace> = Api::all(member.clone());
    let whole = |ns: &Namespace| {
        let mut v = serde_json::to_value(ns).expect("namespaces serialize");
        v["metadata"].as_object_mut().map(|m| m.remove("managedFields"));
        v["apiVersion"] = json!("v1");
        v["kind"] = json!("Namespace");
        v
    };
    if let Some(names) = &spec.namespaces.names {
        let mut out = Vec::new();
        for n in names {
            let found = api.get_opt(n).await?;
            out.push(ExportedNamespace { name: n.clone(), found: found.is_some(), object: found.as_ref().map(whole) });
        }
        return Ok(out);
    }
    let selector = spec.namespaces.selector.clone().unwrap_or_default();
    let selector = kube::core::Selector::try_from(selector).map_err(|e| Error::Selector(e.to_string()))?;
    let lp = ListParams::default().labels_from(&selector);
    Ok(api
        .list(&lp)
        .await?
        .items
        .iter()
        .map(|ns| ExportedNamespace { name: ns.name_any(), found: true, object: Some(whole(ns)) })
        .collect())
}

/// Reads everything asked for into a status (but its conditions).
async fn read(member: &Client, spec: &ResourceExportSpec) -> Result<(ResourceExportStatus, Vec<Listable>), Error> {
    let mut status = ResourceExportStatus::default();
    match namespaces(member, spec).await {
        Ok(found) => status.namespaces = found,
        // Said in the answer: asking again cannot help.
        Err(Error::Selector(why)) => {
            status.errors.push(format!("namespaces: {why}"));
            return Ok((status, Vec::new()));
        }
        Err(e) => return Err(e),
    }
    let kinds = listable(member).await?;
    for ns in status.namespaces.iter().filter(|n| n.found).map(|n| n.name.clone()).collect::<Vec<_>>() {
        for k in &kinds {
            let is_pods = k.name == "pods";
            if !is_pods && collect::excluded(&spec.excluded_resources, &k.resource.plural, &k.resource.group) {
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(member.clone(), &ns, &k.resource);
            let items = match api.list(&ListParams::default()).await {
                Ok(l) => l.items,
                Err(e) => {
                    status.errors.push(format!("{}: {}", k.name, message(&e)));
                    continue;
                }
            };
            for item in items {
                let mut live = serde_json::to_value(&item).expect("objects serialize");
                live["apiVersion"] = json!(k.resource.api_version);
                live["kind"] = json!(k.resource.kind);
                if is_pods {
                    status.pods.push(collect::pod(&live));
                    if collect::excluded(&spec.excluded_resources, "pods", "") {
                        continue;
                    }
                }
                let reference = ObjectReference {
                    group: k.resource.group.clone(),
                    version: k.resource.version.clone(),
                    kind: k.resource.kind.clone(),
                    namespace: ns.clone(),
                    name: item.name_any(),
                };
                status.objects.push(collect::object(reference, &live));
            }
        }
    }
    status.object_count = status.objects.len() as i32;
    Ok((status, kinds))
}

/// Lets go of each object named; `Err` says which could not be.
async fn release_all(member: &Client, kinds: &[Listable], objects: &[ObjectReference]) -> Result<usize, String> {
    let by_kind: BTreeMap<(&str, &str), &ApiResource> =
        kinds.iter().map(|k| ((k.resource.group.as_str(), k.resource.kind.as_str()), &k.resource)).collect();
    let mut released = 0;
    let mut failed = Vec::new();
    for r in objects {
        let what = format!("{} {}/{}", r.kind, r.namespace, r.name);
        let resource = match (r.kind.as_str(), by_kind.get(&(r.group.as_str(), r.kind.as_str()))) {
            ("Namespace", _) => ApiResource::erase::<Namespace>(&()),
            (_, Some(ar)) => (*ar).clone(),
            (_, None) => {
                failed.push(format!("{what}: kind not served"));
                continue;
            }
        };
        let api: Api<DynamicObject> = if r.namespace.is_empty() {
            Api::all_with(member.clone(), &resource)
        } else {
            Api::namespaced_with(member.clone(), &r.namespace, &resource)
        };
        let live = match api.get_opt(&r.name).await {
            Ok(Some(o)) => serde_json::to_value(o).expect("objects serialize"),
            Ok(None) => continue, // gone: nothing holds it
            Err(e) => {
                failed.push(format!("{what}: {}", message(&e)));
                continue;
            }
        };
        let Some(patch) = release::patch(&live) else { continue };
        let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        match api.patch(&r.name, &params, &Patch::Merge(&patch)).await {
            Ok(_) => released += 1,
            Err(e) => failed.push(format!("{what}: {}", message(&e))),
        }
    }
    if failed.is_empty() { Ok(released) } else { Err(failed.join("; ")) }
}

async fn reconcile(export: Arc<ResourceExport>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let generation = export.metadata.generation;
    let old = export.status.clone().unwrap_or_default();
    if old.observed_generation == generation {
        return Ok(Action::await_change());
    }
    let name = export.name_any();
    let (mut status, kinds) = read(&ctx.member, &export.spec).await?;
    let exported = if status.errors.is_empty() {
        conditions::new(p::EXPORT_EXPORTED, Status::True, p::REASON_EXPORT_SUCCEEDED, "Exported", generation)
    } else {
        let m = format!("Could not read {}", status.errors.join("; "));
        conditions::new(p::EXPORT_EXPORTED, Status::False, p::REASON_EXPORT_FAILED, m, generation)
    };
    status.conditions = old.conditions.clone();
    conditions::set(&mut status.conditions, exported);
    if let Some(r) = &export.spec.release {
        let c = match release_all(&ctx.member, &kinds, &r.objects).await {
            Ok(n) => {
                info!(export = %name, released = n, "released objects");
                conditions::new(
                    p::EXPORT_RELEASED,
                    Status::True,
                    p::REASON_EXPORT_RELEASED,
                    format!("Released {} object(s)", r.objects.len()),
                    generation,
                )
            }
            Err(why) => {
                conditions::new(p::EXPORT_RELEASED, Status::False, p::REASON_EXPORT_RELEASE_FAILED, why, generation)
            }
        };
        conditions::set(&mut status.conditions, c);
        // Released objects are read again after the release.
        if status.conditions.iter().any(|c| c.type_ == p::EXPORT_RELEASED && c.status == "True") {
            let (again, _) = read(&ctx.member, &export.spec).await?;
            status = ResourceExportStatus { conditions: status.conditions, ..again };
        }
    }
    status.observed_generation = generation;
    let size = serde_json::to_vec(&status).map(|v| v.len()).unwrap_or(usize::MAX);
    if size > MAX_STATUS_BYTES {
        let m = format!(
            "The export is {size} bytes, more than the {MAX_STATUS_BYTES} an export may carry: select fewer objects"
        );
        let failed = conditions::new(p::EXPORT_EXPORTED, Status::False, p::REASON_EXPORT_FAILED, m, generation);
        let mut conds = old.conditions;
        conditions::set(&mut conds, failed);
        status = ResourceExportStatus {
            observed_generation: generation,
            conditions: conds,
            namespaces: status.namespaces.into_iter().map(|n| ExportedNamespace { object: None, ..n }).collect(),
            object_count: status.object_count,
            ..Default::default()
        };
    }
    let patch = json!({"status": status_value(&status)});
    Api::<ResourceExport>::namespaced(ctx.hub.clone(), &ctx.namespace)
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    info!(export = %name, objects = status.object_count, pods = status.pods.len(), "answered a resource export");
    Ok(Action::await_change())
}

/// The status as a merge patch replaces it: every list whole, and the lists
/// now empty set to empty (a merge patch would keep absent fields).
fn status_value(s: &ResourceExportStatus) -> Value {
    let mut v = serde_json::to_value(s).expect("status serializes");
    for f in ["namespaces", "objects", "pods", "errors"] {
        if v.get(f).is_none() {
            v[f] = json!([]);
        }
    }
    v
}

fn error_policy(export: Arc<ResourceExport>, e: &Error, ctx: Arc<Ctx>) -> Action {
    warn!(export = %export.name_any(), error = %e, "answering a resource export failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until the returned future is dropped.
pub async fn run(x: Exporter) -> anyhow::Result<()> {
    let namespace = member_namespace(&x.member_name);
    let ctx =
        Arc::new(Ctx { hub: x.hub.clone(), member: x.member, namespace: namespace.clone(), reconciles: x.reconciles });
    Controller::new(Api::<ResourceExport>::namespaced(x.hub, &namespace), watcher::Config::default())
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
    anyhow::bail!("the ResourceExport watch ended")
}
