//! Joining the fleet: watch this member's InternalMemberCluster on the hub;
//! while it says Join, heartbeat every `heartbeatPeriodSeconds` (±5% jitter)
//! with health and properties; when it says Leave, let go of the Works and
//! acknowledge, leaving every placed resource on the member untouched.

mod properties;
mod report;

use std::{
    hash::{BuildHasher, RandomState},
    time::Duration,
};

use anyhow::Context as _;
use apis::{
    cluster::{ClusterState, InternalMemberCluster, InternalMemberClusterStatus, member_namespace},
    finalizers,
    placement::Work,
};
use flotilla_runtime::finalizer::remove_patch;
use futures::StreamExt;
use k8s_openapi::{
    api::core::v1::{Node, Pod},
    apimachinery::pkg::apis::meta::v1::Time,
    jiff::Timestamp,
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ListParams, Patch, PatchParams},
    runtime::{WatchStreamExt, reflector, reflector::Store, utils::Backoff, watcher},
};
use serde_json::json;
use tokio::time::{Instant, sleep_until};
use tracing::{info, warn};

use crate::metrics::Metrics;

/// The field manager of what the member agent writes on the hub.
pub const FIELD_MANAGER: &str = flotilla_runtime::field_manager::MEMBER_JOIN;

pub struct Agent {
    pub name: String,
    pub hub: Client,
    pub member: Client,
    pub metrics: Metrics,
    /// Apply this member's Works while joined (off: membership only).
    pub work_applier: bool,
}

/// Retries quickly while the hub has not yet admitted this member (the watch
/// is forbidden until the hub creates the Role), so joining takes well under
/// a second once it does.
struct JoinBackoff(u32);

impl Iterator for JoinBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        self.0 = (self.0 + 1).min(4);
        Some(Duration::from_millis(125 << self.0).min(Duration::from_secs(2)))
    }
}

impl Backoff for JoinBackoff {
    fn reset(&mut self) {
        self.0 = 0;
    }
}

/// `period` ± 5%, so a fleet's agents don't heartbeat in lockstep.
fn jittered(period: Duration) -> Duration {
    let r = (RandomState::new().hash_one(Timestamp::now().as_nanosecond()) % 1001) as f64 / 1000.0; // 0..=1
    period.mul_f64(0.95 + 0.1 * r)
}

/// Node and Pod caches on the member, for properties without listing each heartbeat.
fn member_caches(member: Client) -> (Store<Node>, Store<Pod>, impl std::future::Future<Output = ()> + Send + 'static) {
    let (nodes, nw) = reflector::store();
    let (pods, pw) = reflector::store();
    let node_watch = watcher(Api::<Node>::all(member.clone()), watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(|n: &mut Node| n.managed_fields_mut().clear())
        .reflect(nw)
        .for_each(|_| async {});
    // Finished Pods hold no resources; leave them out of the cache.
    let pod_config = watcher::Config::default().fields("status.phase!=Succeeded,status.phase!=Failed").any_semantic();
    let pod_watch = watcher(Api::<Pod>::all(member.clone()), pod_config)
        .default_backoff()
        .modify(|p: &mut Pod| {
            p.managed_fields_mut().clear();
            p.annotations_mut().clear();
            p.status =
                p.status.take().map(|s| k8s_openapi::api::core::v1::PodStatus { phase: s.phase, ..Default::default() });
        })
        .reflect(pw)
        .for_each(|_| async {});
    let drive = async move {
        futures::join!(node_watch, pod_watch);
    };
    (nodes, pods, drive)
}

/// Runs until the InternalMemberCluster watch ends (an error) or the Work
/// applier or the Service exporter fails while joined.
pub async fn run(agent: Agent, ready: impl Fn(bool)) -> anyhow::Result<()> {
    let namespace = member_namespace(&agent.name);
    let imcs: Api<InternalMemberCluster> = Api::namespaced(agent.hub.clone(), &namespace);
    let (nodes, pods, caches) = member_caches(agent.member.clone());
    // Their own task (a heartbeat in flight must not stall them), stopped
    // with this loop: a JoinSet aborts its tasks when dropped.
    let mut caches = {
        let mut set = tokio::task::JoinSet::new();
        set.spawn(caches);
        set
    };

    let config = watcher::Config::default().fields(&format!("metadata.name={}", agent.name));
    let mut events = watcher(imcs.clone(), config).backoff(JoinBackoff(0)).boxed();
    let mut imc: Option<InternalMemberCluster> = None;
    let mut next: Option<Instant> = None;
    let mut waiting_logged = false;
    // The Work applier and the Service exporter run while the member is
    // joined; stopped before leaving, so nothing re-adds the finalizers that
    // leaving removes.
    let mut applier: Option<tokio::task::JoinHandle<anyhow::Result<()>>> = None;
    let stop = |applier: &mut Option<tokio::task::JoinHandle<anyhow::Result<()>>>| {
        if let Some(a) = applier.take() {
            a.abort();
            info!(member = %agent.name, "stopped applying Works");
        }
    };
    info!(member = %agent.name, %namespace, "waiting for the hub to admit this member");
    loop {
        tokio::select! {
            _ = caches.join_next() => anyhow::bail!("the Node and Pod watches ended"),
            r = async { applier.as_mut().expect("guarded").await }, if applier.is_some() => {
                return match r {
                    Ok(r) => r,
                    Err(e) => Err(anyhow::anyhow!("the Work applier or the Service exporter panicked: {e}")),
                };
            }
            ev = events.next() => match ev {
                Some(Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o))) => {
                    if imc.as_ref().map(|i| &i.spec) != Some(&o.spec) {
                        info!(member = %agent.name, state = ?o.spec.state, "InternalMemberCluster changed");
                        next = Some(Instant::now());
                    }
                    imc = Some(o);
                }
                Some(Ok(watcher::Event::Delete(_))) => {
                    info!(member = %agent.name, "InternalMemberCluster deleted; waiting to be admitted again");
                    stop(&mut applier);
                    imc = None;
                    next = None;
                    ready(false);
                }
                Some(Ok(_)) => waiting_logged = false,
                Some(Err(e)) => {
                    if !waiting_logged {
                        warn!(member = %agent.name, error = %e, "cannot watch the InternalMemberCluster yet; retrying");
                        waiting_logged = true;
                    }
                }
                None => anyhow::bail!("the InternalMemberCluster watch ended"),
            },
            _ = async { sleep_until(next.expect("guarded")).await }, if next.is_some() && imc.is_some() => {
                let current = imc.as_ref().expect("guarded");
                let period = Duration::from_secs(current.spec.heartbeat_period_seconds.max(1) as u64);
                match current.spec.state {
                    ClusterState::Join => {
                        let ok = heartbeat(&agent, current, &nodes, &pods).await;
                        ready(ok);
                        if ok && agent.work_applier && applier.is_none() {
                            let apply = crate::apply::run(crate::apply::Applier {
                                hub: agent.hub.clone(),
                                member: agent.member.clone(),
                                member_name: agent.name.clone(),
                                metrics: agent.metrics.clone(),
                            });
                            let export = crate::export::controller::run(crate::export::controller::Exporter {
                                hub: agent.hub.clone(),
                                member: agent.member.clone(),
                                member_name: agent.name.clone(),
                                reconciles: agent.metrics.reconciles.clone(),
                            });
                            let resources = crate::resource_export::controller::run(crate::resource_export::controller::Exporter {
                                hub: agent.hub.clone(),
                                member: agent.member.clone(),
                                member_name: agent.name.clone(),
                                reconciles: agent.metrics.reconciles.clone(),
                            });
                            // All run until stopped: the first to end is a failure.
                            applier = Some(tokio::spawn(async move {
                                tokio::select! {
                                    r = apply => r.context("applying Works"),
                                    r = export => r.context("exporting Services"),
                                    r = resources => r.context("answering resource exports"),
                                }
                            }));
                        }
                        // On failure, try again soon rather than a whole period later.
                        next = Some(Instant::now() + if ok { jittered(period) } else { period.min(Duration::from_secs(2)) });
                    }
                    ClusterState::Leave => {
                        ready(false);
                        stop(&mut applier);
                        next = match leave(&agent, current).await {
                            Ok(()) => None, // until the hub says Join again
                            Err(e) => {
                                warn!(member = %agent.name, error = %e, "leaving failed; retrying");
                                Some(Instant::now() + Duration::from_secs(2))
                            }
                        };
                    }
                }
            }
        }
    }
}

async fn probe_health(member: &Client) -> Result<(), String> {
    let req = http::Request::get("/readyz").body(Vec::new()).map_err(|e| e.to_string())?;
    match member.request_text(req).await {
        Ok(body) if body.trim() == "ok" => Ok(()),
        Ok(body) => Err(format!("/readyz answered {body:?}")),
        Err(e) => Err(format!("/readyz: {e}")),
    }
}

fn collect(nodes: &Store<Node>, pods: &Store<Pod>, now: Time) -> Result<properties::Collected, String> {
    if !matches!(futures::FutureExt::now_or_never(nodes.wait_until_ready()), Some(Ok(()))) {
        return Err("the Node cache has not synced yet".into());
    }
    let n: Vec<Node> = nodes.state().iter().map(|n| (**n).clone()).collect();
    let p: Vec<Pod> = pods.state().iter().map(|p| (**p).clone()).collect();
    Ok(properties::collect(&n, &p, now))
}

async fn write_status(
    agent: &Agent,
    imc: &InternalMemberCluster,
    status: &InternalMemberClusterStatus,
) -> Result<(), kube::Error> {
    let api: Api<InternalMemberCluster> = Api::namespaced(agent.hub.clone(), &imc.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": InternalMemberCluster::api_version(&()), "kind": InternalMemberCluster::kind(&()),
        "status": status,
    });
    api.patch_status(&agent.name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(patch)).await.map(|_| ())
}

/// One heartbeat; `true` if it reached the hub.
async fn heartbeat(agent: &Agent, imc: &InternalMemberCluster, nodes: &Store<Node>, pods: &Store<Pod>) -> bool {
    let now = Time(Timestamp::now());
    let health = probe_health(&agent.member).await;
    let collected = collect(nodes, pods, now.clone());
    let prev = imc.status.clone().unwrap_or_default();
    let was_joined =
        prev.agent_status.iter().any(|a| apis::conditions::is_true(&a.conditions, apis::conditions::cluster::JOINED));
    let status = report::heartbeat(&prev, &health, &collected, now, imc.metadata.generation);
    match write_status(agent, imc, &status).await {
        Ok(()) => {
            agent.metrics.heartbeat(true, health.is_ok());
            if !was_joined {
                info!(member = %agent.name, "joined the fleet");
            }
            if let Err(e) = &health {
                warn!(member = %agent.name, error = %e, "the member cluster is not healthy");
            }
            true
        }
        Err(e) => {
            agent.metrics.heartbeat(false, health.is_ok());
            warn!(member = %agent.name, error = %e, "heartbeat failed");
            false
        }
    }
}

/// A list's items; none when the kind is not served (a member without the
/// networking CRDs has nothing to remove).
fn items<K: Clone>(r: Result<kube::core::ObjectList<K>, kube::Error>) -> Result<Vec<K>, kube::Error> {
    match r {
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(vec![]),
        r => r.map(|l| l.items),
    }
}

/// Leaving removes the fleet's networking objects from the member, as
/// fleet-networking does: every ServiceExport (its export on the hub
/// withdrawn, its finalizer released) and MultiClusterService.
async fn withdraw_exports(agent: &Agent) -> Result<(), kube::Error> {
    use apis::networking::{InternalServiceExport, MultiClusterService, ServiceExport};
    let internal: Api<InternalServiceExport> = Api::namespaced(agent.hub.clone(), &member_namespace(&agent.name));
    for se in items(Api::<ServiceExport>::all(agent.member.clone()).list(&ListParams::default()).await)? {
        let (ns, name) = (se.namespace().unwrap_or_default(), se.name_any());
        let api: Api<ServiceExport> = Api::namespaced(agent.member.clone(), &ns);
        let hub_name = crate::export::controller::internal_name(&ns, &name);
        flotilla_runtime::api::ok_if_gone(internal.delete(&hub_name, &Default::default()).await)?;
        flotilla_runtime::api::ok_if_gone(api.delete(&name, &Default::default()).await)?;
        if let Some(patch) = remove_patch(se.finalizers(), apis::finalizers::SERVICE_EXPORT_CLEANUP) {
            flotilla_runtime::api::ok_if_gone(
                api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch)).await,
            )?;
        }
    }
    for mcs in items(Api::<MultiClusterService>::all(agent.member.clone()).list(&ListParams::default()).await)? {
        let api: Api<MultiClusterService> = Api::namespaced(agent.member.clone(), &mcs.namespace().unwrap_or_default());
        flotilla_runtime::api::ok_if_gone(api.delete(&mcs.name_any(), &Default::default()).await)?;
    }
    Ok(())
}

/// Lets go of this member's Works (their finalizers are the agent's),
/// removes the networking objects and acknowledges. Nothing placed on the
/// member cluster is touched otherwise.
async fn leave(agent: &Agent, imc: &InternalMemberCluster) -> Result<(), kube::Error> {
    let works: Api<Work> = Api::namespaced(agent.hub.clone(), &member_namespace(&agent.name));
    for w in works.list_metadata(&ListParams::default()).await?.items {
        if let Some(patch) = remove_patch(w.finalizers(), finalizers::WORK_CLEANUP) {
            works.patch(&w.name_any(), &PatchParams::default(), &Patch::<()>::Json(patch)).await?;
        }
    }
    withdraw_exports(agent).await?;
    let prev = imc.status.clone().unwrap_or_default();
    write_status(agent, imc, &report::left(&prev, Time(Timestamp::now()), imc.metadata.generation)).await?;
    info!(member = %agent.name, "left the fleet; placed resources stay on the member cluster");
    Ok(())
}
