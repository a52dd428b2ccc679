//! The traffic profile controller: from the backends of each profile (their
//! ServiceImports and the members' exports, decided by `backend`) to the
//! data plane's routing table, then the statuses (`status`). Any change (or
//! an endpoint's health changing) recomputes every profile, batched over
//! 20 ms; statuses are written only when they differ; a failed pass is
//! retried after 2 s.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use apis::{
    conditions::{self, networking as n},
    networking::{
        InternalServiceExport, ServiceImport, TrafficManagerBackend, TrafficManagerBackendStatus, TrafficManagerProfile,
    },
};
use flotilla_runtime::{Reconciles, api::ok_if_gone};
use futures::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{WatchStreamExt, reflector, reflector::Store, watcher},
};
use serde_json::json;
use tokio::sync::Notify;
use tracing::{info, warn};

use super::{
    backend::{self, ClusterExport, Profile, Target},
    status::{self, Served},
};
use crate::traffic::dataplane::{
    dns::{self, Names},
    plane::{self, Plane},
    recording::Recorder,
    routes::Wanted,
};

/// The controller's name in metrics.
const CONTROLLER: &str = "trafficmanagerprofile";
const BATCH: Duration = Duration::from_millis(20);
const RETRY: Duration = Duration::from_secs(2);

#[derive(clap::Args, Debug, Clone)]
pub struct TrafficArgs {
    /// The address the data plane's proxies listen on, one port per profile.
    #[arg(long, env = "TRAFFIC_ADDRESS", default_value = "127.0.0.1")]
    pub traffic_address: std::net::IpAddr,
    /// The DNS zone of the profiles' names: `status.dnsName` is `<namespace>-<name>.<zone>`.
    #[arg(long, env = "TRAFFIC_DNS_ZONE", default_value = "trafficmanager.flotilla.local")]
    pub traffic_dns_zone: String,
    /// Answer DNS queries for the profiles' names here (UDP and TCP); off when unset.
    #[arg(long, env = "TRAFFIC_DNS_ADDRESS")]
    pub traffic_dns_address: Option<SocketAddr>,
}

struct Stores {
    profiles: Store<TrafficManagerProfile>,
    backends: Store<TrafficManagerBackend>,
    imports: Store<ServiceImport>,
    exports: Store<InternalServiceExport>,
}

/// The ServiceImport's clusters' exports, as the backend decision sees them.
fn cluster_exports(stores: &Stores, ns: &str, import: &ServiceImport) -> Vec<ClusterExport> {
    let clusters: Vec<String> = import.status.iter().flat_map(|s| &s.clusters).map(|c| c.cluster.clone()).collect();
    let exports = stores.exports.state();
    clusters
        .iter()
        .filter_map(|c| {
            let e = exports.iter().find(|e| {
                let r = &e.spec.service_reference;
                r.cluster_id == *c && r.namespace == ns && r.name == import.name_any()
            })?;
            let ingress = e.spec.load_balancer_ingress.first();
            Some(ClusterExport {
                cluster: c.clone(),
                weight: e.spec.weight.unwrap_or(1),
                type_: e.spec.type_.clone(),
                internal: e.spec.is_internal_load_balancer,
                dns_label: e.spec.is_dns_label_configured,
                address: ingress.and_then(|i| Target::of(i.ip.as_deref(), i.hostname.as_deref())),
            })
        })
        .collect()
}

struct BackendResult {
    backend: Arc<TrafficManagerBackend>,
    status: TrafficManagerBackendStatus,
    wanted: Vec<Wanted>,
}

/// A backend's endpoints and status, for a profile that is (or is not) there.
fn backend_result(stores: &Stores, b: Arc<TrafficManagerBackend>, profile: Profile) -> BackendResult {
    let ns = b.namespace().unwrap_or_default();
    let import_name = b.spec.backend.name.clone();
    let import = stores
        .imports
        .state()
        .into_iter()
        .find(|i| i.namespace().as_deref() == Some(&ns) && i.name_any() == import_name);
    let port = import.as_ref().and_then(|i| i.status.as_ref()).and_then(|s| s.ports.first()).map(|p| p.port as u16);
    let uid = b.uid().unwrap_or_default();
    let input = backend::Input {
        backend_uid: &uid,
        weight: b.spec.weight,
        profile_name: &b.spec.profile.name,
        profile,
        import_name: &import_name,
        import: import.as_ref().map(|i| cluster_exports(stores, &ns, i)),
    };
    let (endpoints, (status, reason, message)) = backend::status(&input);
    let wanted = port.map(|port| endpoints.iter().filter_map(|e| e.route(port)).collect()).unwrap_or_default();
    let mut conds = b.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    conditions::set(
        &mut conds,
        conditions::new(n::TRAFFIC_MANAGER_BACKEND_ACCEPTED, status, reason, message, b.metadata.generation),
    );
    let endpoints = endpoints.iter().map(backend::Endpoint::status).collect();
    BackendResult { backend: b, status: TrafficManagerBackendStatus { endpoints, conditions: conds }, wanted }
}

async fn write_backend(client: &Client, r: &BackendResult) -> Result<(), kube::Error> {
    if r.backend.status.as_ref() == Some(&r.status) {
        return Ok(());
    }
    let api: Api<TrafficManagerBackend> = Api::namespaced(client.clone(), &r.backend.namespace().unwrap_or_default());
    let patch = json!({"status": {"endpoints": r.status.endpoints, "conditions": r.status.conditions}});
    ok_if_gone(api.patch_status(&r.backend.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await)
}

async fn pass(client: &Client, stores: &Stores, plane: &Plane, zone: &str, names: &Names) -> Result<(), kube::Error> {
    let profiles = stores.profiles.state();
    let backends = stores.backends.state();
    let mut served = Vec::new();
    for p in profiles.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let (ns, name) = (p.namespace().unwrap_or_default(), p.name_any());
        let key = format!("{ns}/{name}");
        let mine: Vec<Arc<TrafficManagerBackend>> = backends
            .iter()
            .filter(|b| b.namespace().as_deref() == Some(&ns) && b.spec.profile.name == name)
            .cloned()
            .collect();
        // The endpoints first: the profile is programmed by serving them.
        let results: Vec<BackendResult> =
            mine.into_iter().map(|b| backend_result(stores, b, Profile::Found(Some(true)))).collect();
        let wanted: Vec<Wanted> = results.iter().flat_map(|r| r.wanted.clone()).collect();
        let (http, m) = status::monitor(p);
        let port = p
            .status
            .as_ref()
            .and_then(|s| s.proxy_address.as_deref())
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .map_or(0, |a| a.port());
        let generation = p.metadata.generation.unwrap_or(0);
        let listening = plane.apply(&key, http, port, m, &wanted, generation).await.map_err(|e| e.to_string());
        served.push(key.clone());
        let (down, all_down) = plane.unhealthy(&key);
        let dns_name = status::dns_name(&ns, &name, zone);
        if let Some(table) = plane.table(&key) {
            names.set(&dns_name, table);
        }
        let status = status::status(
            p,
            dns_name,
            &Served {
                listening: &listening,
                generation,
                endpoints: wanted.len(),
                unhealthy: down.len(),
                all_unhealthy: all_down,
            },
        );
        if p.status.as_ref() != Some(&status) {
            let api: Api<TrafficManagerProfile> = Api::namespaced(client.clone(), &ns);
            let patch = json!({"status": status});
            ok_if_gone(api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await)?;
            if p.status.as_ref().and_then(|s| s.proxy_address.as_deref()) != status.proxy_address.as_deref() {
                info!(profile = %key, address = ?status.proxy_address, "profile served");
            }
        }
        for r in &results {
            write_backend(client, r).await?;
        }
    }
    // Backends whose profile is gone.
    for b in backends.iter() {
        let ns = b.namespace().unwrap_or_default();
        let has_profile = profiles.iter().any(|p| {
            p.namespace().as_deref() == Some(&ns)
                && p.name_any() == b.spec.profile.name
                && p.metadata.deletion_timestamp.is_none()
        });
        if !has_profile {
            write_backend(client, &backend_result(stores, b.clone(), Profile::Missing)).await?;
        }
    }
    for key in plane.keys() {
        if !served.contains(&key) {
            info!(profile = %key, "profile deleted: its data plane stops");
            plane.remove(&key);
            if let Some((ns, name)) = key.split_once('/') {
                names.remove(&status::dns_name(ns, name, zone));
            }
        }
    }
    Ok(())
}

/// A cache of every `K`, and the watch that fills it and wakes the controller.
fn store<K>(client: &Client, wake: Arc<Notify>) -> (Store<K>, futures::stream::BoxStream<'static, ()>)
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let watch = watcher(Api::<K>::all(client.clone()), watcher::Config::default().any_semantic())
        .default_backoff()
        .reflect(writer)
        .map(move |_| wake.notify_one())
        .boxed();
    (store, watch)
}

/// Runs the traffic control and data plane until a watch or the DNS server ends.
pub async fn run(
    client: Client,
    args: TrafficArgs,
    metrics: plane::Metrics,
    recorder: Arc<Recorder>,
    reconciles: Reconciles,
) -> anyhow::Result<()> {
    let wake = Arc::new(Notify::new());
    let (profiles, a) = store::<TrafficManagerProfile>(&client, wake.clone());
    let (backends, b) = store::<TrafficManagerBackend>(&client, wake.clone());
    let (imports, c) = store::<ServiceImport>(&client, wake.clone());
    let (exports, d) = store::<InternalServiceExport>(&client, wake.clone());
    // Each in its own task, as before a pass runs (a pass in flight must not
    // hold up the caches); a JoinSet aborts them when this controller stops.
    let mut watches = tokio::task::JoinSet::new();
    for w in [a, b, c, d] {
        watches.spawn(w.for_each(|()| futures::future::ready(())));
    }
    let stores = Stores { profiles, backends, imports, exports };
    let health_wake = wake.clone();
    let plane = Plane::new(args.traffic_address, metrics, recorder, Arc::new(move || health_wake.notify_one()));
    let names = Names::default();
    let dns = async {
        match args.traffic_dns_address {
            Some(addr) => dns::serve(addr, args.traffic_dns_zone.clone(), names.clone())
                .await
                .with_context(|| format!("the profiles' DNS server on {addr}")),
            None => std::future::pending().await,
        }
    };
    let control = async {
        let _ = futures::join!(
            stores.profiles.wait_until_ready(),
            stores.backends.wait_until_ready(),
            stores.imports.wait_until_ready(),
            stores.exports.wait_until_ready()
        );
        info!(address = %args.traffic_address, zone = %args.traffic_dns_zone, "traffic data plane ready");
        let mut retry: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = wake.notified() => {}
                _ = async { tokio::time::sleep_until(retry.expect("guarded")).await }, if retry.is_some() => {}
            }
            tokio::time::sleep(BATCH).await;
            let _timer = reconciles.start(CONTROLLER);
            retry = match pass(&client, &stores, &plane, &args.traffic_dns_zone, &names).await {
                Ok(()) => None,
                Err(e) => {
                    warn!(error = %e, "updating traffic status failed; retrying");
                    reconciles.failed(CONTROLLER);
                    Some(tokio::time::Instant::now() + RETRY)
                }
            };
        }
    };
    tokio::select! {
        _ = watches.join_next() => anyhow::bail!("the traffic watches ended"),
        r = dns => r,
        r = control => r,
    }
}
