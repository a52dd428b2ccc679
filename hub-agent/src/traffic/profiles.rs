//! TrafficManagerProfiles and TrafficManagerBackends: from the backends of
//! each profile (their ServiceImports and the members' exports) to the data
//! plane's routing table, then the statuses. Because Flotilla is the data
//! plane, a profile is Programmed only once its listener serves the current
//! generation, and the condition's observedGeneration says which. Any change
//! (or an endpoint's health changing) recomputes every profile, batched
//! over 20 ms; statuses are written only when they differ.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use apis::{
    conditions::{self, Status, networking as n},
    networking::{
        InternalServiceExport, MonitorProtocol, ServiceImport, TrafficManagerBackend, TrafficManagerBackendStatus,
        TrafficManagerProfile, TrafficManagerProfileStatus,
    },
};
use flotilla_runtime::api::ok_if_gone;
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
    backend::{self, ClusterExport, Profile},
    dataplane::{
        checks::Monitor,
        dns::{self, Names},
        plane::Plane,
        routes::Wanted,
    },
};

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

fn monitor(p: &TrafficManagerProfile) -> (bool, Monitor) {
    let mc = p.spec.effective_monitor_config();
    let http = mc.protocol == MonitorProtocol::Http;
    let m = Monitor {
        http,
        port: mc.port.clamp(1, 65535) as u16,
        path: mc.path.clone(),
        headers: mc.custom_headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
        interval: Duration::from_secs(mc.interval_in_seconds.max(1) as u64),
        timeout: Duration::from_secs(mc.timeout_in_seconds.unwrap_or(10).max(1) as u64),
        tolerated: mc.tolerated_number_of_failures.max(0) as u32,
    };
    (http, m)
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
                address: ingress.and_then(|i| i.ip.clone().or_else(|| i.hostname.clone())),
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
    let wanted = endpoints
        .iter()
        .filter_map(|e| {
            let ip = e.target.as_deref()?.parse().ok()?;
            Some(Wanted {
                name: e.name.clone(),
                cluster: e.from.as_ref().map(|f| f.cluster.clone()).unwrap_or_default(),
                addr: SocketAddr::new(ip, port?),
                weight: e.weight.unwrap_or(0).clamp(0, 1000) as u32,
            })
        })
        .collect();
    let mut conds = b.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    conditions::set(
        &mut conds,
        conditions::new(n::TRAFFIC_MANAGER_BACKEND_ACCEPTED, status, reason, message, b.metadata.generation),
    );
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
        let (http, m) = monitor(p);
        let port = p
            .status
            .as_ref()
            .and_then(|s| s.proxy_address.as_deref())
            .and_then(|a| a.parse::<SocketAddr>().ok())
            .map_or(0, |a| a.port());
        let generation = p.metadata.generation.unwrap_or(0);
        let applied = plane.apply(&key, http, port, m, &wanted, generation).await;
        served.push(key.clone());
        let (down, all_down) = plane.unhealthy(&key);
        let mut conds = p.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
        let (address, programmed) = match &applied {
            Ok(addr) => {
                let health = match (down.len(), all_down) {
                    (0, _) => String::new(),
                    (_, true) => {
                        "; every endpoint fails its health checks, so traffic is spread over all of them".into()
                    }
                    (n, false) => format!("; {n} endpoint(s) fail their health checks and get no traffic"),
                };
                let m = format!(
                    "the data plane serves generation {generation} at {addr} with {} endpoint(s){health}",
                    wanted.len()
                );
                (
                    Some(addr.to_string()),
                    conditions::new(
                        n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED,
                        Status::True,
                        n::REASON_PROFILE_PROGRAMMED,
                        m,
                        Some(generation),
                    ),
                )
            }
            Err(e) => {
                let m = format!("the data plane cannot listen: {e}");
                (
                    None,
                    conditions::new(
                        n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED,
                        Status::Unknown,
                        n::REASON_PROFILE_PENDING,
                        m,
                        Some(generation),
                    ),
                )
            }
        };
        conditions::set(&mut conds, programmed);
        let dns_name = format!("{ns}-{name}.{zone}");
        if let Some(table) = plane.table(&key) {
            names.set(&dns_name, table);
        }
        let status = TrafficManagerProfileStatus {
            dns_name: Some(dns_name),
            resource_id: None,
            proxy_address: address,
            conditions: conds,
        };
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
                names.remove(&format!("{ns}-{name}.{zone}"));
            }
        }
    }
    Ok(())
}

fn store<K>(client: &Client, wake: Arc<Notify>) -> (Store<K>, tokio::task::JoinHandle<()>)
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let task = tokio::spawn(
        watcher(Api::<K>::all(client.clone()), watcher::Config::default().any_semantic())
            .default_backoff()
            .reflect(writer)
            .for_each(move |_| {
                wake.notify_one();
                futures::future::ready(())
            }),
    );
    (store, task)
}

/// Runs the traffic control and data plane until the process ends.
pub async fn run(client: Client, args: TrafficArgs, metrics: super::dataplane::plane::Metrics) {
    let wake = Arc::new(Notify::new());
    let (profiles, _a) = store::<TrafficManagerProfile>(&client, wake.clone());
    let (backends, _b) = store::<TrafficManagerBackend>(&client, wake.clone());
    let (imports, _c) = store::<ServiceImport>(&client, wake.clone());
    let (exports, _d) = store::<InternalServiceExport>(&client, wake.clone());
    let _ = futures::join!(
        profiles.wait_until_ready(),
        backends.wait_until_ready(),
        imports.wait_until_ready(),
        exports.wait_until_ready()
    );
    let stores = Stores { profiles, backends, imports, exports };
    let health_wake = wake.clone();
    let plane = Plane::new(args.traffic_address, metrics, Arc::new(move || health_wake.notify_one()));
    let names = Names::default();
    if let Some(addr) = args.traffic_dns_address {
        let (zone, names) = (args.traffic_dns_zone.clone(), names.clone());
        tokio::spawn(async move {
            if let Err(e) = dns::serve(addr, zone, names).await {
                warn!(%addr, error = %e, "the profiles' DNS server stopped");
            }
        });
    }
    info!(address = %args.traffic_address, zone = %args.traffic_dns_zone, "traffic data plane ready");
    loop {
        wake.notified().await;
        tokio::time::sleep(BATCH).await;
        if let Err(e) = pass(&client, &stores, &plane, &args.traffic_dns_zone, &names).await {
            warn!(error = %e, "updating traffic status failed; retrying");
            let w = wake.clone();
            tokio::spawn(async move {
                tokio::time::sleep(RETRY).await;
                w.notify_one();
            });
        }
    }
}
