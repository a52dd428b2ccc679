//! The ClusterResourcePlacementMigration controller: observes the placement,
//! its bindings, the members, the backend and the data plane's recording,
//! asks `step` what to do, makes it so (writing only what differs) and
//! writes the status. Woken by the migration (its spec, deletion or
//! finalizers, not its own status writes), its placement, bindings and
//! evictions, its overrides' snapshots, its backends and member changes;
//! while a move is under way it looks again at least every second (the
//! gates read the data plane).

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use apis::{
    cluster::MemberCluster,
    conditions::{self, cluster as cc, placement as p},
    finalizers, labels,
    networking::{InternalServiceExport, ServiceExport, TrafficManagerBackend},
    placement::{
        ClusterApprovalRequest, ClusterResourceBinding, ClusterResourcePlacement, ClusterResourcePlacementEviction,
        ClusterResourcePlacementMigration, HealthGateType, Measurements, MigrationPhase, MigrationStatus,
        PlacementType, ResourceBinding, ResourceOverride, ResourceOverrideSnapshot, ResourceScope, TrafficRefKind,
    },
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing, ok_if_gone},
};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    runtime::{Controller, WatchStreamExt, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::{
    clusters::{self, Member},
    gates::Observed,
    override_::{self, Export},
    probe::Prober,
    step::{self, Eviction, Facts, Kind, Placed, Placement, Traffic},
    taint,
};
use crate::{
    adoption::names,
    traffic::dataplane::recording::{Recorder, Recording, Snapshot},
};

const CONTROLLER: &str = "clusterresourceplacementmigration";
/// How often a move under way is looked at (the gates and the drain read the data plane).
const ACTIVE: Duration = Duration::from_secs(1);

type Crpm = ClusterResourcePlacementMigration;

/// What the controller keeps in memory for a move under way.
#[derive(Default)]
struct Session {
    recording: Option<Arc<Recording>>,
    /// The measurements written before this agent started recording (a restart).
    before: Measurements,
    prober: Option<Prober>,
    /// The step whose gates are being read, its recording then, and when it was served.
    mark: Option<(i32, Snapshot, tokio::time::Instant)>,
}

struct Context {
    client: Client,
    recorder: Arc<Recorder>,
    sessions: Mutex<HashMap<String, Session>>,
    reconciles: Reconciles,
}

fn eviction_name(m: &Crpm, cluster: &str) -> String {
    names::fit(&format!("{}-{cluster}", m.name_any()), 253)
}

fn approval_name(m: &Crpm, step: usize) -> String {
    names::fit(&format!("{}-step-{step}", m.name_any()), 253)
}

fn owner(m: &Crpm) -> serde_json::Value {
    json!([m.controller_owner_ref(&()).expect("a stored migration has a uid")])
}

fn terminal(s: Option<&MigrationStatus>) -> bool {
    matches!(
        s.and_then(|s| s.phase),
        Some(MigrationPhase::Succeeded | MigrationPhase::RolledBack | MigrationPhase::Failed)
    )
}

/// The traffic the migration moves: the profile's key, the backends, and the exports they follow.
struct Backends {
    namespace: String,
    profile: String,
    backends: Vec<TrafficManagerBackend>,
}

async fn backends(client: &Client, m: &Crpm) -> Result<Result<Option<Backends>, String>, Error> {
    let Some(t) = &m.spec.migration.traffic else { return Ok(Ok(None)) };
    let r = &t.backend_ref;
    let api: Api<TrafficManagerBackend> = Api::namespaced(client.clone(), &r.namespace);
    let (profile, backends) = match r.kind {
        TrafficRefKind::TrafficManagerBackend => {
            let Some(b) = api.get_opt(&r.name).await.map_err(doing("reading the backend"))? else {
                return Ok(Err(format!(
                    "traffic.backendRef: TrafficManagerBackend {}/{} not found",
                    r.namespace, r.name
                )));
            };
            (b.spec.profile.name.clone(), vec![b])
        }
        TrafficRefKind::TrafficManagerProfile => {
            let all = api.list(&ListParams::default()).await.map_err(doing("listing backends"))?;
            let mine: Vec<_> = all.items.into_iter().filter(|b| b.spec.profile.name == r.name).collect();
            if mine.is_empty() {
                return Ok(Err(format!(
                    "traffic.backendRef: TrafficManagerProfile {}/{} has no backends",
                    r.namespace, r.name
                )));
            }
            (r.name.clone(), mine)
        }
    };
    Ok(Ok(Some(Backends { namespace: r.namespace.clone(), profile: format!("{}/{profile}", r.namespace), backends })))
}

/// The hub's ServiceExports the backends follow, or why one is missing.
async fn exports(client: &Client, b: &Backends) -> Result<Result<Vec<Export>, String>, Error> {
    let api: Api<ServiceExport> = Api::namespaced(client.clone(), &b.namespace);
    let mut out: Vec<Export> = Vec::new();
    for be in &b.backends {
        let name = &be.spec.backend.name;
        if out.iter().any(|e| &e.name == name) {
            continue;
        }
        let Some(e) = api.get_opt(name).await.map_err(doing("reading a ServiceExport"))? else {
            return Ok(Err(format!(
                "traffic.backendRef: the ServiceExport {}/{name} that backend {} follows is not on the hub, so the placement cannot carry its weights",
                b.namespace,
                be.name_any()
            )));
        };
        let mut annotations = e.metadata.annotations.clone().unwrap_or_default();
        annotations.remove(labels::SERVICE_EXPORT_WEIGHT);
        out.push(Export { name: name.clone(), annotations });
    }
    Ok(Ok(out))
}

/// The weights the overrides hold with their snapshots taken, if they all agree.
async fn pinned(
    client: &Client,
    m: &Crpm,
    ns: &str,
    exports: &[Export],
) -> Result<Option<BTreeMap<String, i64>>, Error> {
    let ros: Api<ResourceOverride> = Api::namespaced(client.clone(), ns);
    let snaps: Api<ResourceOverrideSnapshot> = Api::namespaced(client.clone(), ns);
    let mut agreed: Option<BTreeMap<String, i64>> = None;
    for e in exports {
        let name = override_::name(&m.name_any(), &e.name);
        let Some(ro) = ros.get_opt(&name).await.map_err(doing("reading the weight override"))? else {
            return Ok(None);
        };
        let lp = ListParams::default().labels(&format!(
            "{}={name},{}=true",
            labels::OVERRIDE_TRACKING,
            labels::IS_LATEST_SNAPSHOT
        ));
        let latest = snaps.list(&lp).await.map_err(doing("listing override snapshots"))?;
        if !latest.items.iter().any(|s| s.spec.override_spec == ro.spec) {
            return Ok(None);
        }
        let w = override_::weights_of(&ro.spec);
        if agreed.as_ref().is_some_and(|a| *a != w) {
            return Ok(None);
        }
        agreed = Some(w);
    }
    Ok(agreed)
}

/// Each cluster's export weight as the backends' endpoints show it, and the
/// targets' load balancer addresses as their exports give them (a target at
/// weight 0 is no endpoint, but is probed all the same).
async fn served(
    client: &Client,
    b: &Backends,
    targets: &[String],
) -> Result<(BTreeMap<String, i64>, Vec<SocketAddr>), Error> {
    let api: Api<TrafficManagerBackend> = Api::namespaced(client.clone(), &b.namespace);
    let mut weights = BTreeMap::new();
    let mut services = Vec::new();
    for be in &b.backends {
        let Some(fresh) = api.get_opt(&be.name_any()).await.map_err(doing("reading a backend"))? else { continue };
        for e in fresh.status.iter().flat_map(|s| &s.endpoints) {
            let Some(from) = &e.from else { continue };
            weights.entry(from.cluster.clone()).or_insert(from.weight.unwrap_or(1));
        }
        services.push(fresh.spec.backend.name.clone());
    }
    let mut addrs = Vec::new();
    if !targets.is_empty() {
        let exports = Api::<InternalServiceExport>::all(client.clone())
            .list(&ListParams::default())
            .await
            .map_err(doing("listing the members' exports"))?;
        for e in &exports.items {
            let r = &e.spec.service_reference;
            if r.namespace != b.namespace || !services.contains(&r.name) || !targets.contains(&r.cluster_id) {
                continue;
            }
            let ip =
                e.spec.load_balancer_ingress.first().and_then(|i| i.ip.as_deref()?.parse::<std::net::IpAddr>().ok());
            if let (Some(ip), Some(port)) = (ip, e.spec.ports.first()) {
                addrs.push(SocketAddr::new(ip, port.port as u16));
            }
        }
    }
    Ok((weights, addrs))
}

fn is_current(
    conds: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    type_: &str,
    generation: Option<i64>,
) -> bool {
    conditions::find(conds, type_).is_some_and(|c| c.status == "True" && c.observed_generation == generation)
}

async fn placement(client: &Client, name: &str) -> Result<Option<(ClusterResourcePlacement, Placement)>, Error> {
    let Some(crp) = Api::<ClusterResourcePlacement>::all(client.clone())
        .get_opt(name)
        .await
        .map_err(doing("reading the placement"))?
    else {
        return Ok(None);
    };
    if crp.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let kind = match crp.spec.policy.as_ref().map(|p| p.placement_type) {
        Some(PlacementType::PickFixed) => Kind::PickFixed,
        Some(PlacementType::PickN) => Kind::PickN,
        _ => Kind::PickAll,
    };
    let lp = ListParams::default().labels(&format!("{}={name}", labels::PLACEMENT_TRACKING));
    let bindings = Api::<ClusterResourceBinding>::all(client.clone())
        .list(&lp)
        .await
        .map_err(doing("listing the placement's bindings"))?;
    let clusters = bindings
        .items
        .iter()
        .filter(|b| b.metadata.deletion_timestamp.is_none())
        .filter(|b| b.spec.state != apis::placement::BindingState::Unscheduled)
        .map(|b| {
            let conds = b.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
            let placed = Placed {
                applied: is_current(conds, p::APPLIED, b.metadata.generation),
                available: is_current(conds, p::AVAILABLE, b.metadata.generation),
            };
            (b.spec.target_cluster.clone(), placed)
        })
        .collect();
    Ok(Some((crp, Placement { kind, clusters })))
}

/// Another migration of the same placement that came first and is not done.
async fn competing(client: &Client, m: &Crpm) -> Result<Option<String>, Error> {
    let all =
        Api::<Crpm>::all(client.clone()).list(&ListParams::default()).await.map_err(doing("listing migrations"))?;
    let key = |x: &Crpm| (x.metadata.creation_timestamp.clone().map(|t| t.0), x.name_any());
    Ok(all
        .items
        .iter()
        .filter(|o| o.name_any() != m.name_any() && o.spec.migration.placement_name == m.spec.migration.placement_name)
        .filter(|o| !terminal(o.status.as_ref()) && o.metadata.deletion_timestamp.is_none())
        // Started ones compete; of those not started, only an earlier one not refused
        // (a refused migration holds nothing).
        .filter(|o| {
            let st = o.status.as_ref();
            let started = st.and_then(|s| s.phase).is_some_and(|p| p != MigrationPhase::Pending);
            let refused = st
                .and_then(|s| conditions::find(&s.conditions, p::MIGRATION_ACCEPTED))
                .is_some_and(|c| c.status == "False");
            started || (!refused && key(o) < key(m))
        })
        .map(|o| o.name_any())
        .next())
}

/// The evictions this migration made, by cluster.
async fn evictions(client: &Client, m: &Crpm, clusters: &[String]) -> Result<BTreeMap<String, Eviction>, Error> {
    let api: Api<ClusterResourcePlacementEviction> = Api::all(client.clone());
    let mut out = BTreeMap::new();
    for c in clusters {
        let Some(e) = api.get_opt(&eviction_name(m, c)).await.map_err(doing("reading an eviction"))? else { continue };
        let conds = e.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        let state = match (conditions::find(conds, p::EVICTION_VALID), conditions::find(conds, p::EVICTION_EXECUTED)) {
            (Some(v), _) if v.status == "False" => Eviction::Invalid(v.message.clone()),
            (_, Some(x)) if x.status == "True" => Eviction::Executed,
            (_, Some(x)) => Eviction::Waiting(x.message.clone()),
            _ => Eviction::Waiting("not judged yet".into()),
        };
        out.insert(c.clone(), state);
    }
    Ok(out)
}

/// For each source still a member: the other placements bound on it.
async fn members_for_leave(
    client: &Client,
    m: &Crpm,
    sources: &[String],
) -> Result<BTreeMap<String, Vec<String>>, Error> {
    let mcs = Api::<MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing members"))?;
    let crbs = Api::<ClusterResourceBinding>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing bindings"))?;
    let rbs = Api::<ResourceBinding>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing bindings"))?;
    let mine = &m.spec.migration.placement_name;
    let mut out = BTreeMap::new();
    for s in sources {
        if !mcs.items.iter().any(|mc| &mc.name_any() == s) {
            continue;
        }
        let mut others: Vec<String> = crbs
            .items
            .iter()
            .filter(|b| &b.spec.target_cluster == s)
            .filter_map(|b| b.labels().get(labels::PLACEMENT_TRACKING).cloned())
            .filter(|crp| crp != mine)
            .collect();
        others.extend(
            rbs.items
                .iter()
                .filter(|b| &b.spec.target_cluster == s)
                .filter_map(|b| Some(format!("{}/{}", b.namespace()?, b.labels().get(labels::PLACEMENT_TRACKING)?))),
        );
        others.sort();
        others.dedup();
        out.insert(s.clone(), others);
    }
    Ok(out)
}

fn with_session<T>(ctx: &Context, uid: &str, f: impl FnOnce(&mut Session) -> T) -> T {
    let mut sessions = ctx.sessions.lock().expect("sessions lock");
    f(sessions.entry(uid.to_string()).or_default())
}

/// Makes `action` true; writes only what differs.
async fn act(
    client: &Client,
    m: &Crpm,
    a: &step::Action,
    traffic: Option<(&Backends, &[Export])>,
    ctx: &Context,
) -> Result<(), Error> {
    let name = m.name_any();
    let placement = &m.spec.migration.placement_name;
    match a {
        step::Action::Weights(weights) => {
            let Some((b, exports)) = traffic else { return Ok(()) };
            let api: Api<ResourceOverride> = Api::namespaced(client.clone(), &b.namespace);
            for e in exports {
                let spec = override_::spec(placement, ResourceScope::Cluster, e, weights);
                let ro_name = override_::name(&name, &e.name);
                match api.get_opt(&ro_name).await.map_err(doing("reading the weight override"))? {
                    Some(ro) if ro.spec == spec => {}
                    Some(_) => {
                        let patch = json!({"spec": {"policy": spec.policy}});
                        api.patch(&ro_name, &PatchParams::default(), &Patch::Merge(patch))
                            .await
                            .map_err(doing("updating the weight override"))?;
                        info!(migration = %name, ?weights, "export weights");
                    }
                    None => {
                        let ro = ResourceOverride {
                            metadata: ObjectMeta {
                                name: Some(ro_name.clone()),
                                namespace: Some(b.namespace.clone()),
                                labels: Some([(labels::MIGRATION.to_string(), names::fit(&name, 63))].into()),
                                owner_references: serde_json::from_value(owner(m)).ok(),
                                ..Default::default()
                            },
                            spec,
                        };
                        api.create(&PostParams::default(), &ro).await.map_err(doing("creating the weight override"))?;
                        info!(migration = %name, ?weights, "export weights pinned");
                    }
                }
            }
        }
        step::Action::RemoveWeights => {
            let Some((b, _)) = traffic else { return Ok(()) };
            let api: Api<ResourceOverride> = Api::namespaced(client.clone(), &b.namespace);
            let lp = ListParams::default().labels(&format!("{}={}", labels::MIGRATION, names::fit(&name, 63)));
            for ro in api.list(&lp).await.map_err(doing("listing the weight overrides"))?.items {
                ok_if_gone(api.delete(&ro.name_any(), &DeleteParams::background()).await)
                    .map_err(doing("deleting a weight override"))?;
            }
        }
        step::Action::Taint(clusters) => {
            let value = taint::value(None, placement);
            let api: Api<MemberCluster> = Api::all(client.clone());
            for mc in api.list(&ListParams::default()).await.map_err(doing("listing members"))?.items {
                let present = clusters.contains(&mc.name_any());
                if let Some(taints) = taint::with(&mc.spec.taints, &value, present) {
                    let patch =
                        json!({"metadata": {"resourceVersion": mc.resource_version()}, "spec": {"taints": taints}});
                    api.patch(&mc.name_any(), &PatchParams::default(), &Patch::Merge(patch))
                        .await
                        .map_err(doing("tainting a member cluster"))?;
                    info!(migration = %name, cluster = %mc.name_any(), present, "migration taint");
                }
            }
        }
        step::Action::AddNames(add) | step::Action::RemoveNames(add) => {
            let adding = matches!(a, step::Action::AddNames(_));
            let api: Api<ClusterResourcePlacement> = Api::all(client.clone());
            let Some(crp) = api.get_opt(placement).await.map_err(doing("reading the placement"))? else {
                return Ok(());
            };
            let Some(policy) = &crp.spec.policy else { return Ok(()) };
            let mut names = policy.cluster_names.clone();
            if adding {
                names.extend(add.iter().filter(|c| !policy.cluster_names.contains(c)).cloned());
            } else {
                names.retain(|c| !add.contains(c));
            }
            if names != policy.cluster_names {
                let patch = json!({"metadata": {"resourceVersion": crp.resource_version()}, "spec": {"policy": {"clusterNames": names}}});
                api.patch(placement, &PatchParams::default(), &Patch::Merge(patch))
                    .await
                    .map_err(doing("changing the placement's clusterNames"))?;
                info!(migration = %name, clusters = ?names, "placement clusterNames");
            }
        }
        step::Action::Evict(cluster) => {
            let api: Api<ClusterResourcePlacementEviction> = Api::all(client.clone());
            let ev_name = eviction_name(m, cluster);
            if api.get_opt(&ev_name).await.map_err(doing("reading an eviction"))?.is_none() {
                let ev: ClusterResourcePlacementEviction = serde_json::from_value(json!({
                    "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
                    "kind": "ClusterResourcePlacementEviction",
                    "metadata": {"name": ev_name, "ownerReferences": owner(m)},
                    "spec": {"placementName": placement, "clusterName": cluster},
                }))
                .expect("a valid eviction");
                api.create(&PostParams::default(), &ev).await.map_err(doing("creating an eviction"))?;
                info!(migration = %name, %cluster, "eviction created");
            }
        }
        step::Action::CancelEviction(cluster) => {
            let api: Api<ClusterResourcePlacementEviction> = Api::all(client.clone());
            let ev_name = eviction_name(m, cluster);
            if let Some(ev) = api.get_opt(&ev_name).await.map_err(doing("reading an eviction"))? {
                let conds = ev.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
                if !conditions::is_true(conds, p::EVICTION_EXECUTED) {
                    ok_if_gone(api.delete(&ev_name, &DeleteParams::background()).await)
                        .map_err(doing("withdrawing an eviction"))?;
                    info!(migration = %name, %cluster, "eviction withdrawn");
                }
            }
        }
        step::Action::LeaveFleet(cluster) => {
            let api: Api<MemberCluster> = Api::all(client.clone());
            if let Some(mc) = api.get_opt(cluster).await.map_err(doing("reading a member"))?
                && mc.metadata.deletion_timestamp.is_none()
            {
                api.delete(cluster, &DeleteParams::background()).await.map_err(doing("deleting a member"))?;
                info!(migration = %name, %cluster, "source leaves the fleet");
            }
        }
        step::Action::RequestApproval(step) => {
            let api: Api<ClusterApprovalRequest> = Api::all(client.clone());
            let ar_name = approval_name(m, *step);
            if api.get_opt(&ar_name).await.map_err(doing("reading an approval request"))?.is_none() {
                let ar: ClusterApprovalRequest = serde_json::from_value(json!({
                    "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
                    "kind": "ClusterApprovalRequest",
                    "metadata": {"name": ar_name, "ownerReferences": owner(m)},
                    "spec": {"parentStageRollout": name, "targetStage": format!("step-{step}")},
                }))
                .expect("a valid approval request");
                api.create(&PostParams::default(), &ar).await.map_err(doing("creating an approval request"))?;
            }
        }
        step::Action::Moving => {
            let uid = m.uid().unwrap_or_default();
            if let Some(r) = with_session(ctx, &uid, |s| s.recording.clone()) {
                r.moving();
            }
        }
    }
    Ok(())
}

async fn approved(client: &Client, m: &Crpm, step: usize) -> Result<Option<bool>, Error> {
    let api: Api<ClusterApprovalRequest> = Api::all(client.clone());
    let ar = api.get_opt(&approval_name(m, step)).await.map_err(doing("reading an approval request"))?;
    Ok(ar.map(|ar| {
        let conds = ar.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        is_current(conds, p::APPROVAL_APPROVED, ar.metadata.generation)
    }))
}

fn measurements(before: &Measurements, s: &Snapshot) -> Measurements {
    let ms = |d: Duration| d.as_millis().min(i64::MAX as u128) as i64;
    Measurements {
        requests: before.requests + s.requests as i64,
        failed_requests: before.failed_requests + s.failed as i64,
        longest_no_success_ms: before.longest_no_success_ms.max(ms(s.longest_no_success)),
        p99_ms: s.p99_ms.map(|v| (v * 100.0).round() / 100.0).or(before.p99_ms),
        baseline_p99_ms: before.baseline_p99_ms.or(s.baseline_p99_ms.map(|v| (v * 100.0).round() / 100.0)),
    }
}

async fn reconcile(m: Arc<Crpm>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let client = &ctx.client;
    let api: Api<Crpm> = Api::all(client.clone());
    let name = m.name_any();
    let uid = m.uid().unwrap_or_default();
    let deleting = m.metadata.deletion_timestamp.is_some();
    if !deleting && !m.finalizers().iter().any(|f| f == finalizers::MIGRATION_CLEANUP) {
        let mut f = m.finalizers().to_vec();
        f.push(finalizers::MIGRATION_CLEANUP.into());
        let patch = json!({"metadata": {"resourceVersion": m.resource_version(), "finalizers": f}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await.map_err(doing("adding the finalizer"))?;
        return Ok(Action::await_change());
    }
    if deleting && !m.finalizers().iter().any(|f| f == finalizers::MIGRATION_CLEANUP) {
        return Ok(Action::await_change());
    }
    let spec = &m.spec.migration;
    let status = m.status.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or(MigrationPhase::Pending);

    let placed = placement(client, &spec.placement_name).await?;
    let members = Api::<MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing members"))?;
    let views: Vec<Member> = members
        .items
        .iter()
        .map(|mc| Member {
            name: mc.metadata.name.as_deref().unwrap_or_default(),
            labels: mc.metadata.labels.as_ref().unwrap_or(const { &BTreeMap::new() }),
            joined: mc.metadata.deletion_timestamp.is_none()
                && mc.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, cc::JOINED)),
        })
        .collect();
    let resolved = clusters::resolve(&spec.from, &spec.to, &views);
    let (from, to): (Vec<String>, Vec<String>) = if phase == MigrationPhase::Pending {
        resolved.as_ref().map(|r| (r.from.clone(), r.to.clone())).unwrap_or_default()
    } else {
        let split = |s: &str| s.split(',').filter(|c| !c.is_empty()).map(String::from).collect::<Vec<_>>();
        (split(&status.from_clusters), split(&status.to_clusters))
    };

    // The traffic side.
    let found = backends(client, &m).await?;
    let (traffic, backends, exports, target_addrs) = match found {
        Ok(None) => (Traffic::None, None, Vec::new(), Vec::new()),
        Err(why) => (Traffic::Missing(why), None, Vec::new(), Vec::new()),
        Ok(Some(b)) => match exports(client, &b).await? {
            Err(why) => (Traffic::Missing(why), None, Vec::new(), Vec::new()),
            Ok(exports) => {
                let pinned = pinned(client, &m, &b.namespace, &exports).await?;
                let (served, addrs) = served(client, &b, &to).await?;
                (Traffic::Found { served, pinned }, Some(b), exports, addrs)
            }
        },
    };

    // The session: recording from the start of the move.
    let active = !terminal(Some(&status)) && phase != MigrationPhase::Pending;
    let probe_gate = spec.health_gates.iter().find(|g| g.type_ == HealthGateType::Probe).and_then(|g| g.probe.clone());
    let now = tokio::time::Instant::now();
    let (snapshot, probes, step_mark) = {
        let mut sessions = ctx.sessions.lock().expect("sessions lock");
        if !active && phase != MigrationPhase::Pending {
            sessions.remove(&uid);
        }
        match (active, &backends) {
            (true, Some(b)) => {
                let s = sessions.entry(uid.clone()).or_default();
                if s.recording.is_none() {
                    s.recording = Some(ctx.recorder.start(&b.profile));
                    s.before = status.measurements.clone().unwrap_or_default();
                }
                if let Some(probe) = &probe_gate {
                    s.prober.get_or_insert_with(|| Prober::start(&probe.url)).targets(target_addrs.clone());
                }
                let snap = s.recording.as_ref().map(|r| r.snapshot(std::time::Instant::now())).unwrap_or_default();
                // The gates read from when the step's weights were served.
                let step = status.current_step.unwrap_or(-1);
                if status.step_served.is_none() || s.mark.as_ref().is_some_and(|(i, ..)| *i != step) {
                    s.mark = None;
                }
                if status.step_served.is_some() && s.mark.is_none() {
                    s.mark = Some((step, snap.clone(), now));
                }
                let probes = match (&s.prober, &s.mark, &probe_gate) {
                    (Some(p), Some((_, _, at)), Some(g)) => {
                        p.window(*at, Duration::from_secs(g.window_seconds.max(1) as u64))
                    }
                    _ => None,
                };
                (Some((s.before.clone(), snap)), probes, s.mark.as_ref().map(|(_, s, _)| s.clone()))
            }
            _ => (None, None, None),
        }
    };
    let target_requests = snapshot.as_ref().zip(step_mark.as_ref()).map(|((_, now), then)| {
        to.iter().fold((0, 0), |(failed, total), c| {
            let (a, b) =
                (now.clusters.get(c).cloned().unwrap_or_default(), then.clusters.get(c).cloned().unwrap_or_default());
            (failed + a.errors.saturating_sub(b.errors), total + a.requests.saturating_sub(b.requests))
        })
    });
    let in_flight = backends.as_ref().map(|b| ctx.recorder.feed(&b.profile).flying()).unwrap_or_default();
    let step_index = status.current_step.unwrap_or(0).max(0) as usize;
    let approval = if spec.health_gates.iter().any(|g| g.type_ == HealthGateType::Approval) {
        approved(client, &m, step_index).await?
    } else {
        None
    };
    let observed = Observed {
        targets_available: !to.is_empty()
            && to.iter().all(|c| placed.as_ref().and_then(|(_, p)| p.clusters.get(c)).is_some_and(|x| x.available)),
        probes,
        target_requests,
        approved: approval,
    };
    let evicted: Vec<String> = from.iter().chain(&to).cloned().collect();
    let evictions = evictions(client, &m, &evicted).await?;
    let competing = if phase == MigrationPhase::Pending { competing(client, &m).await? } else { None };
    let leave = if matches!(phase, MigrationPhase::RetiringSource | MigrationPhase::Draining)
        && spec.source_cleanup.policy == apis::placement::SourceCleanupPolicy::LeaveFleet
    {
        members_for_leave(client, &m, &from).await?
    } else {
        BTreeMap::new()
    };

    let facts = Facts {
        spec,
        status: &status,
        generation: m.metadata.generation,
        now: Timestamp::now(),
        deleting,
        placement: placed.as_ref().map(|(_, p)| p.clone()),
        resolved,
        traffic,
        observed,
        evictions,
        competing,
        in_flight,
        members: leave,
    };
    let plan = step::step(&facts);
    let with = backends.as_ref().map(|b| (b, exports.as_slice()));
    for a in &plan.actions {
        if let Err(e) = act(client, &m, a, with, &ctx).await {
            // Refused by the API server (a webhook, a schema): say so on the migration, then retry.
            if let kube::Error::Api(s) = &e.source
                && (400..500).contains(&s.code)
                && s.code != 409
            {
                let mut status = m.status.clone().unwrap_or_default();
                let message = format!("{} was refused: {}", e.doing, s.message);
                let c = conditions::new(
                    p::MIGRATION_PROGRESSING,
                    false,
                    p::REASON_MIGRATION_ACTION_REFUSED,
                    message,
                    m.metadata.generation,
                );
                if conditions::set(&mut status.conditions, c) {
                    let patch = json!({"status": {"conditions": status.conditions}});
                    ok_if_gone(api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await)
                        .map_err(doing("writing the status"))?;
                }
            }
            return Err(e);
        }
    }
    let mut new = plan.status;
    if let Some((before, snap)) = &snapshot {
        new.measurements = Some(measurements(before, snap));
    }
    if Some(&new) != m.status.as_ref() {
        if new.phase != status.phase {
            info!(migration = %name, phase = ?new.phase, "migration phase");
        }
        let patch = json!({"status": status_patch(&new)});
        ok_if_gone(api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await)
            .map_err(doing("writing the status"))?;
    }
    if plan.release {
        ctx.sessions.lock().expect("sessions lock").remove(&uid);
        // Read again: the status just written changed the resourceVersion.
        let Some(fresh) = api.get_opt(&name).await.map_err(doing("reading the migration"))? else {
            return Ok(Action::await_change());
        };
        let f: Vec<String> =
            fresh.finalizers().iter().filter(|f| *f != finalizers::MIGRATION_CLEANUP).cloned().collect();
        let patch = json!({"metadata": {"resourceVersion": fresh.resource_version(), "finalizers": f}});
        ok_if_gone(api.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await)
            .map_err(doing("removing the finalizer"))?;
        return Ok(Action::await_change());
    }
    let wake = plan.requeue;
    let still = !terminal(Some(&new)) && new.phase.is_some_and(|p| p != MigrationPhase::Pending);
    Ok(match (wake, still) {
        (Some(w), true) => Action::requeue(w.min(ACTIVE)),
        (None, true) => Action::requeue(ACTIVE),
        (Some(w), false) => Action::requeue(w),
        (None, false) => Action::await_change(),
    })
}

/// The status as a merge patch that also clears what `new` no longer has (a
/// merge patch leaves a field it does not name as it was).
fn status_patch(new: &MigrationStatus) -> serde_json::Value {
    const FIELDS: [&str; 13] = [
        "phase",
        "observedGeneration",
        "phases",
        "currentStep",
        "targetWeight",
        "stepStarted",
        "stepServed",
        "stepPassed",
        "fromClusters",
        "toClusters",
        "conditions",
        "clusters",
        "measurements",
    ];
    status_patch_with(new, &FIELDS)
}

fn status_patch_with(new: &MigrationStatus, fields: &[&str]) -> serde_json::Value {
    let mut v = serde_json::to_value(new).expect("a status serializes");
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.entry(*f).or_insert(serde_json::Value::Null);
        }
    }
    v
}

fn error_policy(m: Arc<Crpm>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(migration = %m.name_any(), error = %e, "migration pass failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(1))
}

/// The migrations of `placement`.
fn of_placement(store: &kube::runtime::reflector::Store<Crpm>, placement: &str) -> Vec<ObjectRef<Crpm>> {
    store
        .state()
        .iter()
        .filter(|m| m.spec.migration.placement_name == placement)
        .map(|m| ObjectRef::from_obj(&**m))
        .collect()
}

/// Runs until shutdown.
pub async fn run(client: Client, recorder: Arc<Recorder>, reconciles: Reconciles) -> anyhow::Result<()> {
    // Its own status writes must not wake it (they change under load every
    // pass): only the spec (generation), a deletion or the finalizers do; a
    // move under way is looked at again every second anyway.
    let fingerprint = |m: &Crpm| {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(
            &(m.metadata.generation, m.metadata.deletion_timestamp.is_some(), m.finalizers()),
            &mut h,
        );
        Some(std::hash::Hasher::finish(&h))
    };
    let (reader, writer) = kube::runtime::reflector::store();
    let own = watcher(Api::<Crpm>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .touched_objects()
        .predicate_filter(fingerprint, Default::default());
    let controller = Controller::for_stream(own, reader);
    let (s1, s2, s3, s4, s5, s6) = (
        controller.store(),
        controller.store(),
        controller.store(),
        controller.store(),
        controller.store(),
        controller.store(),
    );
    let ctx = Arc::new(Context { client: client.clone(), recorder, sessions: Mutex::default(), reconciles });
    controller
        .watches(Api::<ClusterResourcePlacement>::all(client.clone()), watcher::Config::default(), move |c| {
            of_placement(&s1, &c.name_any())
        })
        .watches(Api::<ClusterResourceBinding>::all(client.clone()), watcher::Config::default(), move |b| {
            b.labels().get(labels::PLACEMENT_TRACKING).map(|c| of_placement(&s2, c)).unwrap_or_default()
        })
        .watches(Api::<ClusterResourcePlacementEviction>::all(client.clone()), watcher::Config::default(), move |e| {
            of_placement(&s3, &e.spec.placement_name)
        })
        .watches(
            Api::<ResourceOverrideSnapshot>::all(client.clone()),
            watcher::Config::default().labels(labels::OVERRIDE_TRACKING),
            // Only our weight overrides' snapshots (`migration-<name>-<export>`).
            move |snap| {
                let parent = snap.labels().get(labels::OVERRIDE_TRACKING).cloned().unwrap_or_default();
                (s4.state().iter())
                    .filter(|m| parent.starts_with(&override_::name(&m.name_any(), "")))
                    .map(|m| ObjectRef::from_obj(&**m))
                    .collect::<Vec<_>>()
            },
        )
        // The backends' endpoints show the weights served (after a migration too).
        .watches(Api::<TrafficManagerBackend>::all(client.clone()), watcher::Config::default(), move |b| {
            let ns = b.namespace().unwrap_or_default();
            (s5.state().iter())
                .filter(|m| {
                    m.spec.migration.traffic.as_ref().is_some_and(|t| {
                        let r = &t.backend_ref;
                        r.namespace == ns
                            && match r.kind {
                                TrafficRefKind::TrafficManagerBackend => r.name == b.name_any(),
                                TrafficRefKind::TrafficManagerProfile => r.name == b.spec.profile.name,
                            }
                    })
                })
                .map(|m| ObjectRef::from_obj(&**m))
                .collect::<Vec<_>>()
        })
        // A member joining, leaving or relabelled may settle a refused migration or a leaving source.
        .watches_stream(crate::adoption::controller::member_changes(&client), move |_| {
            s6.state().iter().map(|m| ObjectRef::from_obj(&**m)).collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {})
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_patch_clears_every_field_the_status_no_longer_has() {
        let patch = status_patch(&MigrationStatus::default());
        use kube::CustomResourceExt;
        let crd = serde_json::to_value(Crpm::crd()).unwrap();
        let status = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"];
        let fields: Vec<&String> = status["properties"].as_object().unwrap().keys().collect();
        assert!(fields.len() > 10);
        for f in fields {
            assert_eq!(patch.get(f), Some(&serde_json::Value::Null), "{f} is cleared");
        }
    }
}
