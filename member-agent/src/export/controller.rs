//! The exporter: a controller over the member's ServiceExports. Each pass
//! reads the Service, decides (see `decide`), writes the InternalServiceExport
//! `<namespace>-<name>` in this member's namespace on the hub (only when it
//! differs) or deletes it, and sets the ServiceExport's Valid condition and
//! the Conflict condition the hub reports on the InternalServiceExport. The
//! finalizer `networking.fleet.azure.com/svc-export-cleanup` withdraws the
//! export when the ServiceExport goes.

use std::{sync::Arc, time::Duration};

use apis::{
    cluster::member_namespace,
    conditions::{self, Status, networking as n},
    finalizers::SERVICE_EXPORT_CLEANUP,
    labels::SERVICE_EXPORT_WEIGHT,
    networking::{ExportedObjectReference, InternalServiceExport, InternalServiceExportSpec, ServiceExport},
};
use flotilla_runtime::{
    Reconciles,
    api::ok_if_gone,
    finalizer::{add_patch, remove_patch},
};
use futures::StreamExt;
use k8s_openapi::{
    api::core::v1::Service,
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
    jiff::Timestamp,
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::decide::{self, Action as Export, Exported};

/// The field manager of what the exporter writes.
const FIELD_MANAGER: &str = flotilla_runtime::field_manager::MEMBER_EXPORT;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Kube(#[from] kube::Error),
}

pub struct Exporter {
    pub hub: Client,
    pub member: Client,
    pub member_name: String,
    pub reconciles: Reconciles,
}

/// The controller's name in metrics.
const CONTROLLER: &str = "serviceexport";

struct Ctx {
    hub: Client,
    member: Client,
    member_name: String,
    namespace: String,
    reconciles: Reconciles,
}

/// The hub's name for the export of `namespace/name` (fleet-networking's).
pub fn internal_name(namespace: &str, name: &str) -> String {
    format!("{namespace}-{name}")
}

fn spec(e: &Exported, svc: &Service, cluster: &str, since: Option<Time>) -> InternalServiceExportSpec {
    let (namespace, name) = (svc.namespace().unwrap_or_default(), svc.name_any());
    InternalServiceExportSpec {
        ports: e.ports.clone(),
        service_reference: ExportedObjectReference {
            cluster_id: cluster.to_string(),
            api_version: Some("v1".into()),
            kind: "Service".into(),
            namespace: namespace.clone(),
            name: name.clone(),
            resource_version: svc.resource_version().unwrap_or_default(),
            generation: svc.metadata.generation.unwrap_or(0),
            uid: svc.uid().unwrap_or_default(),
            namespaced_name: format!("{namespace}/{name}"),
            exported_since: since,
        },
        type_: e.type_.clone(),
        is_dns_label_configured: e.is_dns_label_configured,
        is_internal_load_balancer: e.is_internal_load_balancer,
        public_ip_resource_id: None,
        weight: Some(e.weight),
        load_balancer_ingress: e.load_balancer_ingress.clone(),
    }
}

async fn reconcile(se: Arc<ServiceExport>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let (ns, name) = (se.namespace().unwrap_or_default(), se.name_any());
    let exports: Api<ServiceExport> = Api::namespaced(ctx.member.clone(), &ns);
    let internal: Api<InternalServiceExport> = Api::namespaced(ctx.hub.clone(), &ctx.namespace);
    let hub_name = internal_name(&ns, &name);
    if se.meta().deletion_timestamp.is_some() {
        ok_if_gone(internal.delete(&hub_name, &DeleteParams::default()).await)?;
        if let Some(patch) = remove_patch(se.finalizers(), SERVICE_EXPORT_CLEANUP) {
            ok_if_gone(exports.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch)).await)?;
        }
        return Ok(Action::await_change());
    }
    if let Some(patch) = add_patch(se.finalizers(), SERVICE_EXPORT_CLEANUP, se.resource_version()) {
        exports.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }

    let svc = Api::<Service>::namespaced(ctx.member.clone(), &ns).get_opt(&name).await?;
    let decision = decide::decide(svc.as_ref(), se.annotations().get(SERVICE_EXPORT_WEIGHT).map(String::as_str));
    let current = internal.get_opt(&hub_name).await?;
    match (&decision.action, svc.as_ref()) {
        (Export::Export(e), Some(svc)) => {
            let since = current
                .as_ref()
                .and_then(|c| c.spec.service_reference.exported_since.clone())
                .or_else(|| Some(Time(Timestamp::from_second(Timestamp::now().as_second()).expect("now is valid"))));
            let want = spec(e, svc, &ctx.member_name, since);
            if current.as_ref().map(|c| &c.spec) != Some(&want) {
                let obj = InternalServiceExport::new(&hub_name, want);
                let pp = PatchParams::apply(FIELD_MANAGER).force();
                internal.patch(&hub_name, &pp, &Patch::Apply(&obj)).await?;
                info!(service = %format!("{ns}/{name}"), weight = e.weight, "exported");
            }
        }
        (Export::Withdraw, _) if current.is_some() => {
            ok_if_gone(internal.delete(&hub_name, &DeleteParams::default()).await)?;
            info!(service = %format!("{ns}/{name}"), reason = decision.valid.1, "export withdrawn");
        }
        _ => {}
    }

    // Status: Valid from the decision; Conflict as the hub reports it.
    let generation = se.meta().generation;
    let (ok, reason, message) = &decision.valid;
    let mut conds: Vec<Condition> = se.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    let mut changed =
        conditions::set(&mut conds, conditions::new(n::SERVICE_EXPORT_VALID, *ok, reason, message.clone(), generation));
    let exported =
        matches!(decision.action, Export::Export(_)) || (decision.action == Export::Keep && current.is_some());
    if exported {
        let hub_conflict = current
            .as_ref()
            .and_then(|c| c.status.as_ref())
            .and_then(|s| conditions::find(&s.conditions, n::SERVICE_EXPORT_CONFLICT))
            .cloned();
        let c = match hub_conflict {
            Some(c) => conditions::new(n::SERVICE_EXPORT_CONFLICT, status(&c.status), &c.reason, c.message, generation),
            None => conditions::new(
                n::SERVICE_EXPORT_CONFLICT,
                Status::Unknown,
                n::REASON_SERVICE_PENDING_CONFLICT_RESOLUTION,
                "the hub has not resolved conflicts yet",
                generation,
            ),
        };
        changed |= conditions::set(&mut conds, c);
    } else if conds.iter().any(|c| c.type_ == n::SERVICE_EXPORT_CONFLICT) {
        conds.retain(|c| c.type_ != n::SERVICE_EXPORT_CONFLICT);
        changed = true;
    }
    if changed {
        let patch = json!({"status": {"conditions": conds}});
        exports.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    }
    Ok(Action::await_change())
}

fn status(s: &str) -> Status {
    match s {
        "True" => Status::True,
        "False" => Status::False,
        _ => Status::Unknown,
    }
}

fn error_policy(se: Arc<ServiceExport>, e: &Error, ctx: Arc<Ctx>) -> Action {
    warn!(export = %se.name_any(), error = %e, "exporting failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until the returned future is dropped.
pub async fn run(x: Exporter) -> anyhow::Result<()> {
    let namespace = member_namespace(&x.member_name);
    let ctx = Arc::new(Ctx {
        hub: x.hub.clone(),
        member: x.member.clone(),
        member_name: x.member_name,
        namespace: namespace.clone(),
        reconciles: x.reconciles,
    });
    Controller::new(Api::<ServiceExport>::all(x.member.clone()), watcher::Config::default())
        .watches(Api::<Service>::all(x.member.clone()), watcher::Config::default(), |s: Service| {
            Some(ObjectRef::new(&s.name_any()).within(&s.namespace()?))
        })
        // The hub's Conflict verdict comes back on the InternalServiceExport.
        .watches(Api::<InternalServiceExport>::namespaced(x.hub, &namespace), watcher::Config::default(), |i| {
            let r = &i.spec.service_reference;
            Some(ObjectRef::new(&r.name).within(&r.namespace))
        })
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
    anyhow::bail!("the ServiceExport watches ended")
}
