//! The ClusterResourceAdoption controller. One step per pass, each written
//! to the status before the next:
//!
//! Pending → Discovering (a ResourceExport asks the member for the
//! namespaces' objects) → Diffing (the plan; a dry run stops here) →
//! Adopting (hub namespaces and templates, then a PickFixed placement that
//! takes the objects over only where nothing differs) → Verifying (after
//! `observationSeconds` the member reads the Pods again) → Adopted.
//!
//! Releasing (asked, or after a failure once something was taken): the
//! placement goes with `deleteStrategy: Abandon` (the member drops its owner
//! references), the member strips the fleet's labels and annotations, then
//! the hub namespaces and templates go → Released. Nothing on the member is
//! ever deleted.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::Arc,
    time::Duration,
};

use apis::{
    cluster::{MemberCluster, member_namespace},
    conditions::{self, Status, cluster as c, placement as p},
    labels,
    placement::{
        AdoptionMode, AdoptionPhase, AdoptionResult, AdoptionStatus, ClusterResourceAdoption, ClusterResourcePlacement,
        ReleaseRequest, ResourceExport, ResourceExportSpec, ResourceExportStatus, Verification,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing, ok_if_gone},
};
use futures::StreamExt;
use k8s_openapi::{
    api::core::v1::Namespace,
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::{SignedDuration, Timestamp},
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams},
    runtime::{Controller, WatchStreamExt, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::{Value, json};
use tracing::{info, warn};

use super::{exclude, plan, verify};

/// The controller's name in metrics.
const CONTROLLER: &str = "clusterresourceadoption";
const FIELD_MANAGER: &str = "hub-agent/adoption";
/// A wait no watch ends (a member not yet joined is watched; this is a backstop).
const RETRY: Duration = Duration::from_secs(5);

struct Context {
    client: Client,
    reconciles: Reconciles,
}

/// The ResourceExport of adoption `name`.
fn export_name(name: &str) -> String {
    format!("adoption-{name}")
}

fn placement_name(a: &ClusterResourceAdoption) -> String {
    a.spec.placement_name.clone().unwrap_or_else(|| a.name_any())
}

fn cond(
    type_: &str,
    ok: impl Into<Status>,
    reason: &str,
    message: impl Into<String>,
    a: &ClusterResourceAdoption,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
    conditions::new(type_, ok, reason, message, a.metadata.generation)
}

fn now() -> Time {
    Time(Timestamp::now())
}

/// Writes the status (whole) at the version read: a pass that read an
/// older adoption must not undo what a later one wrote.
async fn write(client: &Client, a: &ClusterResourceAdoption, mut status: AdoptionStatus) -> Result<(), Error> {
    status.observed_generation = a.metadata.generation;
    status.placement_name = placement_name(a);
    if a.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let mut value = serde_json::to_value(&status).expect("status serializes");
    for f in ["conditions", "resources", "workloads", "hubNamespaces"] {
        if value.get(f).is_none() {
            value[f] = json!([]);
        }
    }
    let patch = json!({"metadata": {"resourceVersion": a.resource_version()}, "status": value});
    // A conflict is an error: the pass is repeated on the adoption as it is now.
    Api::<ClusterResourceAdoption>::all(client.clone())
        .patch_status(&a.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
        .map_err(doing("writing the adoption's status"))
}

fn exports(client: &Client, cluster: &str) -> Api<ResourceExport> {
    Api::namespaced(client.clone(), &member_namespace(cluster))
}

/// The export spec the adoption asks for, at `round`.
fn export_spec(a: &ClusterResourceAdoption, round: i64) -> ResourceExportSpec {
    ResourceExportSpec {
        namespaces: a.spec.namespaces.clone(),
        resource_selectors: a.spec.resource_selectors.clone(),
        excluded_resources: exclude::excluded_resources(&a.spec),
        round,
        release: None,
    }
}

/// Creates or updates the adoption's export to `spec`.
async fn ask(client: &Client, a: &ClusterResourceAdoption, spec: ResourceExportSpec) -> Result<(), Error> {
    let mut e = ResourceExport::new(&export_name(&a.name_any()), spec);
    e.metadata.namespace = Some(member_namespace(&a.spec.cluster_name));
    e.metadata.labels = Some([(labels::ADOPTION.to_string(), a.name_any())].into());
    e.metadata.owner_references = a.controller_owner_ref(&()).map(|o| vec![o]);
    exports(client, &a.spec.cluster_name)
        .patch(&e.name_any(), &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&e))
        .await
        .map_err(doing("asking the member for its objects"))?;
    Ok(())
}

/// The export, once it answers its current spec.
async fn answered(
    client: &Client,
    a: &ClusterResourceAdoption,
) -> Result<Option<(ResourceExport, ResourceExportStatus)>, Error> {
    let Some(e) = exports(client, &a.spec.cluster_name)
        .get_opt(&export_name(&a.name_any()))
        .await
        .map_err(doing("reading the export"))?
    else {
        return Ok(None);
    };
    let Some(s) = e.status.clone().filter(|s| s.observed_generation == e.metadata.generation) else { return Ok(None) };
    Ok(Some((e, s)))
}

async fn reconcile(cached: Arc<ClusterResourceAdoption>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    // Each step acts on what the status said last: read it from the API
    // server, not the cache, which may not show this controller's last
    // write yet (adoptions are few and their passes rare).
    let Some(a) = Api::<ClusterResourceAdoption>::all(ctx.client.clone())
        .get_opt(&cached.name_any())
        .await
        .map_err(doing("reading the adoption"))?
    else {
        return Ok(Action::await_change());
    };
    let a = Arc::new(a);
    if a.metadata.deletion_timestamp.is_some() {
        // The placement and what it took stay: deleting the adoption is not a release.
        return Ok(Action::await_change());
    }
    let client = &ctx.client;
    let status = a.status.clone().unwrap_or_default();
    let fresh = status.observed_generation != a.metadata.generation;
    match status.phase {
        Some(AdoptionPhase::Released) => Ok(Action::await_change()),
        Some(AdoptionPhase::Releasing) => release(client, &a, status).await,
        _ if a.spec.release && taken(&status) => start_release(client, &a, status, "Released as asked").await,
        _ if a.spec.release => {
            // Nothing was taken: there is nothing to hand back.
            let mut s = status;
            s.phase = Some(AdoptionPhase::Released);
            conditions::set(
                &mut s.conditions,
                cond(p::ADOPTION_RELEASED, true, p::REASON_ADOPTION_RELEASED, "Nothing was adopted", &a),
            );
            write(client, &a, s).await?;
            Ok(Action::await_change())
        }
        None | Some(AdoptionPhase::Pending) => discover(client, &a, status).await,
        // A dry run made Adopt, or a refused adoption edited: look again.
        Some(AdoptionPhase::Diffing | AdoptionPhase::Failed) if fresh && !taken(&status) => {
            discover(client, &a, AdoptionStatus { start_time: status.start_time, ..Default::default() }).await
        }
        Some(AdoptionPhase::Discovering) => diff(client, &a, status).await,
        Some(AdoptionPhase::Diffing) if a.spec.mode == AdoptionMode::Adopt => adopt(client, &a, status).await,
        Some(AdoptionPhase::Adopting) => watch_takeover(client, &a, status).await,
        Some(AdoptionPhase::Verifying) => verify_workloads(client, &a, status).await,
        Some(_) => Ok(Action::await_change()),
    }
}

/// Whether anything may have been taken over (a placement was made).
fn taken(s: &AdoptionStatus) -> bool {
    conditions::find(&s.conditions, p::ADOPTION_ADOPTED).is_some()
}

async fn discover(client: &Client, a: &ClusterResourceAdoption, mut status: AdoptionStatus) -> Result<Action, Error> {
    let cluster = &a.spec.cluster_name;
    let mc = Api::<MemberCluster>::all(client.clone())
        .get_opt(cluster)
        .await
        .map_err(doing("reading the member cluster"))?;
    let joined = mc.as_ref().is_some_and(|m| {
        m.metadata.deletion_timestamp.is_none()
            && m.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, c::JOINED))
    });
    if !joined {
        status.phase = Some(AdoptionPhase::Pending);
        let m = format!("Member cluster {cluster} is not joined to the fleet");
        conditions::set(
            &mut status.conditions,
            cond(p::ADOPTION_DISCOVERED, false, p::REASON_ADOPTION_CLUSTER_NOT_JOINED, m, a),
        );
        write(client, a, status).await?;
        return Ok(Action::requeue(RETRY));
    }
    // A new round, so the answer is about the world now.
    let round = match exports(client, cluster)
        .get_opt(&export_name(&a.name_any()))
        .await
        .map_err(doing("reading the export"))?
    {
        Some(e) => e.spec.round + 1,
        None => 0,
    };
    ask(client, a, export_spec(a, round)).await?;
    status.phase = Some(AdoptionPhase::Discovering);
    let m = format!("Asked member cluster {cluster} for the objects");
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_DISCOVERED, Status::Unknown, p::REASON_ADOPTION_EXPORTING, m, a),
    );
    write(client, a, status).await?;
    info!(adoption = %a.name_any(), %cluster, "discovering");
    Ok(Action::await_change())
}

async fn diff(client: &Client, a: &ClusterResourceAdoption, mut status: AdoptionStatus) -> Result<Action, Error> {
    let Some((_, export)) = answered(client, a).await? else { return Ok(Action::await_change()) };
    let mut plan = plan::plan(&a.spec, &export);
    // The hub must not hold the namespaces already: its objects there would be
    // placed too, and a placement may be placing it (named, so the user knows).
    let placements = Api::<ClusterResourcePlacement>::all(client.clone())
        .list(&Default::default())
        .await
        .map_err(doing("listing placements"))?;
    for ns in &plan.namespaces {
        let name = ns["metadata"]["name"].as_str().unwrap_or_default();
        let on_hub =
            Api::<Namespace>::all(client.clone()).get_opt(name).await.map_err(doing("reading a hub namespace"))?;
        if on_hub.is_none() || status.hub_namespaces.iter().any(|n| n == name) {
            continue;
        }
        let by: Vec<String> = (placements.items.iter())
            .filter(|c| {
                c.spec.resource_selectors.iter().any(|r| r.group.is_empty() && r.kind == "Namespace" && r.name == name)
            })
            .map(|c| c.name_any())
            .collect();
        plan.refused.push(if by.is_empty() {
            format!("namespace {name} already exists on the hub; its objects would be placed too")
        } else {
            format!("namespace {name} already exists on the hub, placed by ClusterResourcePlacement {}", by.join(", "))
        });
    }
    status.resources = plan.resources.clone();
    status.workloads = plan.workloads.clone();
    status.adopted_count = 0;
    if !plan.refused.is_empty() {
        let m = plan.refused.join("; ");
        let reason = if m.contains("on the hub") {
            p::REASON_ADOPTION_NAMESPACE_ON_HUB
        } else {
            p::REASON_ADOPTION_NOT_EXPORTABLE
        };
        conditions::set(&mut status.conditions, cond(p::ADOPTION_DISCOVERED, false, reason, m, a));
        status.phase = Some(AdoptionPhase::Failed);
        info!(adoption = %a.name_any(), why = %plan.refused.join("; "), "cannot adopt");
        write(client, a, status).await?;
        return Ok(Action::await_change());
    }
    let found = format!("Found {} object(s) in {} namespace(s)", export.objects.len(), plan.namespaces.len());
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_DISCOVERED, true, p::REASON_ADOPTION_DISCOVERED, found, a),
    );
    let planned = format!(
        "{} object(s) to adopt, {} excluded",
        plan.adopted_count(),
        plan.resources.len() as i32 - plan.adopted_count()
    );
    let (reason, message) = match a.spec.mode {
        AdoptionMode::DryRun => (p::REASON_ADOPTION_DRY_RUN, format!("{planned}; a dry run changes nothing")),
        AdoptionMode::Adopt => (p::REASON_ADOPTION_PLANNED, planned),
    };
    conditions::set(&mut status.conditions, cond(p::ADOPTION_DIFFED, true, reason, message, a));
    status.phase = Some(AdoptionPhase::Diffing);
    write(client, a, status).await?;
    Ok(Action::await_change())
}

/// Server-side applies `obj` on the hub (its kind resolved by discovery).
async fn apply(client: &Client, obj: &Value) -> Result<(), Error> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, obj["kind"].as_str().unwrap_or_default());
    let (ar, caps) =
        kube::discovery::pinned_kind(client, &gvk).await.map_err(doing(format!("resolving {gvk:?} on the hub")))?;
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let api: Api<DynamicObject> = match (caps.scope, obj["metadata"]["namespace"].as_str()) {
        (kube::discovery::Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
        _ => Api::all_with(client.clone(), &ar),
    };
    api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(obj))
        .await
        .map_err(doing(format!("creating the template of {} {name}", ar.kind)))?;
    Ok(())
}

/// Records the takeover's start (and the hub namespaces, before anything is put in them).
async fn adopt(client: &Client, a: &ClusterResourceAdoption, mut status: AdoptionStatus) -> Result<Action, Error> {
    let Some((_, export)) = answered(client, a).await? else { return Ok(Action::await_change()) };
    let plan = plan::plan(&a.spec, &export);
    if !plan.refused.is_empty() {
        // The member changed since the plan: plan again.
        return discover(client, a, AdoptionStatus::default()).await;
    }
    status.start_time = status.start_time.or_else(|| Some(now()));
    for ns in &plan.namespaces {
        let name = ns["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if !status.hub_namespaces.contains(&name) {
            status.hub_namespaces.push(name);
        }
    }
    let m = "Creating the templates and the placement";
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_ADOPTED, Status::Unknown, p::REASON_ADOPTION_TAKEOVER_PENDING, m, a),
    );
    status.phase = Some(AdoptionPhase::Adopting);
    write(client, a, status).await?;
    Ok(Action::await_change())
}

/// The hub namespaces and templates, then the placement (each pass, until it
/// exists: every write is idempotent, so a failed pass is simply repeated).
async fn place(client: &Client, a: &ClusterResourceAdoption) -> Result<(), Error> {
    let Some((_, export)) = answered(client, a).await? else { return Ok(()) };
    let plan = plan::plan(&a.spec, &export);
    for ns in &plan.namespaces {
        apply(client, ns).await?;
    }
    for t in &plan.templates {
        apply(client, t).await?;
    }
    let placement = placement_name(a);
    let selectors: Vec<Value> = (plan.namespaces.iter())
        .map(|ns| json!({"group": "", "version": "v1", "kind": "Namespace", "name": ns["metadata"]["name"]}))
        .collect();
    let crp = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterResourcePlacement",
        "metadata": {"name": placement, "labels": {labels::ADOPTION: a.name_any()}},
        "spec": {
            "resourceSelectors": selectors,
            "policy": {"placementType": "PickFixed", "clusterNames": [a.spec.cluster_name]},
            "strategy": {
                "applyStrategy": {"whenToTakeOver": "IfNoDiff", "comparisonOption": "PartialComparison"},
                // Deleting the placement never deletes what it took over.
                "deleteStrategy": {"propagationPolicy": "Abandon"},
            },
        },
    });
    let crp: ClusterResourcePlacement = serde_json::from_value(crp).expect("a valid placement");
    match Api::<ClusterResourcePlacement>::all(client.clone()).create(&PostParams::default(), &crp).await {
        Ok(_) => info!(adoption = %a.name_any(), %placement, "placement created"),
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(doing("creating the placement")(e)),
    }
    Ok(())
}

async fn watch_takeover(
    client: &Client,
    a: &ClusterResourceAdoption,
    mut status: AdoptionStatus,
) -> Result<Action, Error> {
    let placement = placement_name(a);
    let Some(crp) = Api::<ClusterResourcePlacement>::all(client.clone())
        .get_opt(&placement)
        .await
        .map_err(doing("reading the placement"))?
    else {
        place(client, a).await?;
        return Ok(Action::await_change());
    };
    let st = crp.status.clone().unwrap_or_default();
    let at = |t: &str| conditions::find(&st.conditions, t).filter(|c| c.observed_generation == crp.metadata.generation);
    // What the member could not take over, and why.
    let failed: Vec<(apis::placement::ResourceIdentifier, String)> = (st.placement_statuses.iter())
        .flat_map(|s| &s.reports.failed_placements)
        .map(|f| (f.resource.clone(), f.condition.message.clone()))
        .collect();
    if !failed.is_empty() && at(p::CRP_APPLIED).is_some_and(|c| c.status == "False") {
        for (id, why) in &failed {
            if let Some(r) = status.resources.iter_mut().find(|r| {
                r.reference.kind == id.kind && r.reference.name == id.name && r.reference.namespace == id.namespace
            }) {
                r.result = AdoptionResult::Failed;
                r.reason = why.clone();
            }
        }
        let m = failed
            .iter()
            .map(|(id, why)| format!("{} {}/{}: {why}", id.kind, id.namespace, id.name))
            .collect::<Vec<_>>()
            .join("; ");
        conditions::set(
            &mut status.conditions,
            cond(p::ADOPTION_ADOPTED, false, p::REASON_ADOPTION_TAKEOVER_FAILED, m, a),
        );
        return start_release(client, a, status, "The takeover failed").await;
    }
    if at(p::CRP_AVAILABLE).is_none_or(|c| c.status != "True") {
        return Ok(Action::await_change());
    }
    for r in status.resources.iter_mut().filter(|r| r.result == AdoptionResult::Planned) {
        r.result = AdoptionResult::Adopted;
    }
    status.adopted_count = status.resources.iter().filter(|r| r.result == AdoptionResult::Adopted).count() as i32;
    let m = format!("Placement {placement} took over {} object(s) on {}", status.adopted_count, a.spec.cluster_name);
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_ADOPTED, true, p::REASON_ADOPTION_TAKEOVER_SUCCEEDED, m, a),
    );
    let seconds = a.spec.verification.clone().unwrap_or_default().observation_seconds;
    let m = format!("Watching the workloads' Pods for {seconds}s");
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_WORKLOADS_UNDISTURBED, Status::Unknown, p::REASON_ADOPTION_OBSERVING, m, a),
    );
    status.phase = Some(AdoptionPhase::Verifying);
    write(client, a, status).await?;
    Ok(Action::requeue(Duration::from_secs(seconds.max(0) as u64)))
}

async fn verify_workloads(
    client: &Client,
    a: &ClusterResourceAdoption,
    mut status: AdoptionStatus,
) -> Result<Action, Error> {
    let v: Verification = a.spec.verification.clone().unwrap_or_default();
    let since =
        conditions::find(&status.conditions, p::ADOPTION_WORKLOADS_UNDISTURBED).map(|c| c.last_transition_time.0);
    let due = since.map(|t| t + SignedDuration::from_secs(v.observation_seconds as i64)).unwrap_or_else(Timestamp::now);
    let left = due.duration_since(Timestamp::now());
    if left.is_positive() {
        return Ok(Action::requeue(Duration::try_from(left).unwrap_or(RETRY)));
    }
    let Some(round) = status.verification_round else {
        // Ask the member to read the Pods now.
        let current = exports(client, &a.spec.cluster_name)
            .get_opt(&export_name(&a.name_any()))
            .await
            .map_err(doing("reading the export"))?;
        let round = current.map(|e| e.spec.round + 1).unwrap_or(0);
        ask(client, a, export_spec(a, round)).await?;
        status.verification_round = Some(round);
        write(client, a, status).await?;
        return Ok(Action::await_change());
    };
    let Some((e, export)) = answered(client, a).await? else { return Ok(Action::await_change()) };
    // Any read asked for since the observation ended will do.
    if e.spec.round < round {
        return Ok(Action::await_change());
    }
    status.workloads = plan::observed(&status.workloads, &export);
    match verify::undisturbed(&status.workloads, v.max_pod_restarts) {
        Ok(()) => {
            let pods: usize = status.workloads.iter().map(|w| w.before.len()).sum();
            let m = format!(
                "{} workload(s), {pods} Pod(s): none replaced, re-templated or restarted beyond {}",
                status.workloads.len(),
                v.max_pod_restarts
            );
            conditions::set(
                &mut status.conditions,
                cond(p::ADOPTION_WORKLOADS_UNDISTURBED, true, p::REASON_ADOPTION_NO_RESTARTS, m, a),
            );
            status.phase = Some(AdoptionPhase::Adopted);
            status.completion_time = Some(now());
            info!(adoption = %a.name_any(), pods, "adopted");
            write(client, a, status).await?;
            Ok(Action::await_change())
        }
        Err(why) => {
            conditions::set(
                &mut status.conditions,
                cond(p::ADOPTION_WORKLOADS_UNDISTURBED, false, p::REASON_ADOPTION_DISTURBED, why, a),
            );
            start_release(client, a, status, "The workloads were disturbed").await
        }
    }
}

async fn start_release(
    client: &Client,
    a: &ClusterResourceAdoption,
    mut status: AdoptionStatus,
    why: &str,
) -> Result<Action, Error> {
    info!(adoption = %a.name_any(), %why, "releasing");
    status.phase = Some(AdoptionPhase::Releasing);
    let m = format!("{why}: handing the objects back");
    conditions::set(
        &mut status.conditions,
        cond(p::ADOPTION_RELEASED, Status::Unknown, p::REASON_ADOPTION_RELEASING, m, a),
    );
    write(client, a, status).await?;
    Ok(Action::await_change())
}

/// Releasing, a step per pass: the placement, then the member's objects, then the hub's copies.
async fn release(client: &Client, a: &ClusterResourceAdoption, mut status: AdoptionStatus) -> Result<Action, Error> {
    let placements: Api<ClusterResourcePlacement> = Api::all(client.clone());
    let placement = placement_name(a);
    let crp = placements.get_opt(&placement).await.map_err(doing("reading the placement"))?;
    if let Some(crp) = crp.filter(|c| c.labels().get(labels::ADOPTION) == Some(&a.name_any())) {
        {
            if crp.metadata.deletion_timestamp.is_none() {
                // Abandon, whatever it was edited to: the member keeps the objects.
                let patch = json!({"spec": {"strategy": {"deleteStrategy": {"propagationPolicy": "Abandon"}}}});
                placements
                    .patch(&placement, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(doing("keeping the objects on deletion"))?;
                ok_if_gone(placements.delete(&placement, &DeleteParams::background()).await)
                    .map_err(doing("deleting the placement"))?;
                info!(adoption = %a.name_any(), %placement, "placement deleted, objects abandoned");
            }
            return Ok(Action::requeue(Duration::from_secs(1)));
        }
    }
    // The member lets go of everything the adoption took.
    let mut objects = plan::adopted_references(&status.resources);
    for ns in &status.hub_namespaces {
        objects.push(apis::placement::ObjectReference {
            version: "v1".into(),
            kind: "Namespace".into(),
            name: ns.clone(),
            ..Default::default()
        });
    }
    let export = exports(client, &a.spec.cluster_name)
        .get_opt(&export_name(&a.name_any()))
        .await
        .map_err(doing("reading the export"))?;
    let asked = export.as_ref().and_then(|e| e.spec.release.as_ref()).is_some();
    if !asked {
        let round = export.as_ref().map(|e| e.spec.round + 1).unwrap_or(0);
        let spec = ResourceExportSpec { release: Some(ReleaseRequest { objects }), ..export_spec(a, round) };
        ask(client, a, spec).await?;
        return Ok(Action::await_change());
    }
    let Some((_, answer)) = answered(client, a).await? else { return Ok(Action::await_change()) };
    match conditions::find(&answer.conditions, p::EXPORT_RELEASED) {
        Some(c) if c.status == "True" => {}
        Some(c) => {
            let m = format!("The member could not let go of everything: {}", c.message);
            conditions::set(
                &mut status.conditions,
                cond(p::ADOPTION_RELEASED, false, p::REASON_EXPORT_RELEASE_FAILED, m, a),
            );
            write(client, a, status).await?;
            return Ok(Action::requeue(RETRY));
        }
        None => return Ok(Action::await_change()),
    }
    // The hub's copies: the namespaces it made hold every template.
    for ns in &status.hub_namespaces {
        ok_if_gone(Api::<Namespace>::all(client.clone()).delete(ns, &DeleteParams::background()).await)
            .map_err(doing("deleting a hub namespace"))?;
    }
    ok_if_gone(
        exports(client, &a.spec.cluster_name).delete(&export_name(&a.name_any()), &DeleteParams::background()).await,
    )
    .map_err(doing("deleting the export"))?;
    let failed = status.conditions.iter().any(|c| c.status == "False");
    status.phase = Some(if failed { AdoptionPhase::Failed } else { AdoptionPhase::Released });
    status.adopted_count = 0;
    let m = format!("Handed {} object(s) back to {}; they keep running", objects_count(&status), a.spec.cluster_name);
    conditions::set(&mut status.conditions, cond(p::ADOPTION_RELEASED, true, p::REASON_ADOPTION_RELEASED, m, a));
    info!(adoption = %a.name_any(), "released");
    write(client, a, status).await?;
    Ok(Action::await_change())
}

fn objects_count(s: &AdoptionStatus) -> usize {
    s.resources.iter().filter(|r| r.result != AdoptionResult::Excluded).count()
}

/// Member clusters whose labels, joining or deletion changed: what decides
/// whether an adoption or a policy may start (heartbeats, which change
/// neither, wake nothing).
pub(crate) fn member_changes(
    client: &Client,
) -> impl futures::Stream<Item = Result<MemberCluster, watcher::Error>> + Send + use<> {
    let fingerprint = |m: &MemberCluster| {
        let mut h = DefaultHasher::new();
        m.labels().hash(&mut h);
        m.metadata.deletion_timestamp.is_some().hash(&mut h);
        m.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, c::JOINED)).hash(&mut h);
        Some(h.finish())
    };
    watcher::watcher(Api::<MemberCluster>::all(client.clone()), watcher::Config::default())
        .touched_objects()
        .predicate_filter(fingerprint, Default::default())
}

fn error_policy(a: Arc<ClusterResourceAdoption>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(adoption = %a.name_any(), error = %e, "adoption failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller = Controller::new(Api::<ClusterResourceAdoption>::all(client.clone()), watcher::Config::default());
    let by_cluster = controller.store();
    controller
        .watches(Api::<ResourceExport>::all(client.clone()), watcher::Config::default().labels(labels::ADOPTION), |e| {
            e.labels().get(labels::ADOPTION).map(|n| ObjectRef::new(n))
        })
        .watches(
            Api::<ClusterResourcePlacement>::all(client.clone()),
            watcher::Config::default().labels(labels::ADOPTION),
            |c| c.labels().get(labels::ADOPTION).map(|n| ObjectRef::new(n)),
        )
        // A cluster that joins wakes the adoptions waiting for it.
        .watches_stream(member_changes(&client), move |m| {
            (by_cluster.state().into_iter())
                .filter(|a| {
                    a.spec.cluster_name == m.name_any()
                        && a.status.as_ref().and_then(|s| s.phase) == Some(AdoptionPhase::Pending)
                })
                .map(|a| ObjectRef::from_obj(&*a))
                .collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
