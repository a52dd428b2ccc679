//! The data plane of every profile: a listener each (HTTP or TCP, by the
//! profile's monitor protocol) on the traffic address, its routing table,
//! and a health-check task per endpoint. The control plane calls `apply`
//! with what it wants; it returns where the profile listens. Removing a
//! profile stops its listener; connections already open finish.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use tokio::{net::TcpListener, task::JoinHandle};

use super::{
    checks::{self, Monitor},
    proxy,
    recording::Recorder,
    routes::{Table, Wanted},
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub profile: String,
    pub endpoint: String,
    pub cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub profile: String,
    pub endpoint: String,
    pub cluster: String,
    pub result: String,
}

/// Per-endpoint metrics.
#[derive(Clone)]
pub struct Metrics {
    requests: Family<ResultLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    weight: Family<EndpointLabels, Gauge>,
    healthy: Family<EndpointLabels, Gauge>,
    in_flight: Family<EndpointLabels, Gauge>,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            }),
            weight: Family::default(),
            healthy: Family::default(),
            in_flight: Family::default(),
        };
        let r = registry.sub_registry_with_prefix("flotilla_traffic");
        r.register(
            "requests",
            "Requests (HTTP) or connections (TCP) through the data plane, by endpoint and result",
            m.requests.clone(),
        );
        r.register(
            "request_duration_seconds",
            "Time to the endpoint's response (HTTP) or for the connection (TCP)",
            m.latency.clone(),
        );
        r.register("endpoint_weight", "Each endpoint's current weight", m.weight.clone());
        r.register("endpoint_healthy", "1 while the endpoint passes its health checks", m.healthy.clone());
        r.register(
            "requests_in_flight",
            "Requests (HTTP) or connections (TCP) under way to each endpoint, removed ones included until they finish",
            m.in_flight.clone(),
        );
        m
    }
}

struct Running {
    table: Arc<Table>,
    addr: SocketAddr,
    http: bool,
    serve: JoinHandle<()>,
    monitor: Monitor,
    checks: HashMap<String, JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.serve.abort();
        for c in self.checks.values() {
            c.abort();
        }
    }
}

/// Every profile's data plane.
pub struct Plane {
    bind: IpAddr,
    metrics: Metrics,
    profiles: Mutex<HashMap<String, Running>>,
    /// The recordings the proxies feed (a migration's measurements).
    recorder: Arc<Recorder>,
    /// Called when an endpoint's health changes, so status can say so.
    on_health: Arc<dyn Fn() + Send + Sync>,
}

impl Plane {
    pub fn new(
        bind: IpAddr,
        metrics: Metrics,
        recorder: Arc<Recorder>,
        on_health: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        Plane { bind, metrics, profiles: Mutex::default(), recorder, on_health }
    }

    /// Makes profile `key` serve `wanted` (generation `generation`); returns
    /// its address. `port` asks for a port (the one it had), 0 for any.
    pub async fn apply(
        &self,
        key: &str,
        http: bool,
        port: u16,
        monitor: Monitor,
        wanted: &[Wanted],
        generation: i64,
    ) -> std::io::Result<SocketAddr> {
        let existing = self.profiles.lock().expect("plane lock").get(key).map(|r| (r.http, r.addr));
        if existing.is_none_or(|(h, _)| h != http) {
            self.profiles.lock().expect("plane lock").remove(key);
            let listener = match TcpListener::bind((self.bind, port)).await {
                Ok(l) => l,
                Err(_) if port != 0 => TcpListener::bind((self.bind, 0)).await?,
                Err(e) => return Err(e),
            };
            let addr = listener.local_addr()?;
            let table = Arc::new(Table::default());
            let m = self.metrics.clone();
            let profile = key.to_string();
            let (m2, profile2) = (m.clone(), profile.clone());
            let feed = self.recorder.feed(key);
            let (feed2, feed3) = (feed.clone(), feed.clone());
            let observe: proxy::Observe = Arc::new(proxy::Observer {
                done: Box::new(move |endpoint: &str, cluster: &str, ok: bool, secs: f64| {
                    for r in feed.live() {
                        r.tried(cluster, ok);
                    }
                    let result = if ok { "ok" } else { "error" };
                    let labels = ResultLabels {
                        profile: profile.clone(),
                        endpoint: endpoint.into(),
                        cluster: cluster.into(),
                        result: result.into(),
                    };
                    m.requests.get_or_create(&labels).inc();
                    let labels =
                        EndpointLabels { profile: profile.clone(), endpoint: endpoint.into(), cluster: cluster.into() };
                    m.latency.get_or_create(&labels).observe(secs);
                }),
                in_flight: Box::new(move |endpoint: &str, cluster: &str, delta: i64| {
                    feed2.in_flight(cluster, delta);
                    let labels = EndpointLabels {
                        profile: profile2.clone(),
                        endpoint: endpoint.into(),
                        cluster: cluster.into(),
                    };
                    m2.in_flight.get_or_create(&labels).inc_by(delta);
                }),
                answered: Box::new(move |ok: bool, secs: f64| {
                    let now = std::time::Instant::now();
                    for r in feed3.live() {
                        r.answered(ok, secs, now);
                    }
                }),
            });
            let serve = if http {
                tokio::spawn(proxy::serve_http(listener, table.clone(), observe))
            } else {
                tokio::spawn(proxy::serve_tcp(listener, table.clone(), observe))
            };
            let running = Running { table, addr, http, serve, monitor: monitor.clone(), checks: HashMap::new() };
            self.profiles.lock().expect("plane lock").insert(key.to_string(), running);
        }
        let mut profiles = self.profiles.lock().expect("plane lock");
        let running = profiles.get_mut(key).expect("inserted above");
        let before = running.table.load();
        running.table.store(wanted, generation);
        // Endpoints that left take their series with them.
        for (e, _) in before.entries.iter().filter(|(e, _)| !wanted.iter().any(|w| w.name == e.name)) {
            let labels = EndpointLabels { profile: key.into(), endpoint: e.name.clone(), cluster: e.cluster.clone() };
            self.metrics.weight.remove(&labels);
            self.metrics.healthy.remove(&labels);
        }
        // Health checks: one per endpoint, restarted when the monitor changes.
        if running.monitor != monitor {
            for (_, c) in running.checks.drain() {
                c.abort();
            }
            running.monitor = monitor;
        }
        let routes = running.table.load();
        running.checks.retain(|name, task| {
            let keep = routes.entries.iter().any(|(e, _)| &e.name == name);
            if !keep {
                task.abort();
            }
            keep
        });
        for (e, weight) in &routes.entries {
            let labels = EndpointLabels { profile: key.into(), endpoint: e.name.clone(), cluster: e.cluster.clone() };
            self.metrics.weight.get_or_create(&labels).set(*weight as i64);
            self.metrics.healthy.get_or_create(&labels).set(e.healthy() as i64);
            if !running.checks.contains_key(&e.name) {
                let on_change = self.on_health.clone();
                let task = tokio::spawn(checks::run(e.clone(), running.monitor.clone(), on_change));
                running.checks.insert(e.name.clone(), task);
            }
        }
        Ok(running.addr)
    }

    /// The profile's endpoints failing their checks, and whether that is all of them.
    pub fn unhealthy(&self, key: &str) -> (Vec<String>, bool) {
        let profiles = self.profiles.lock().expect("plane lock");
        let Some(r) = profiles.get(key) else { return (vec![], false) };
        let routes = r.table.load();
        for (e, _) in &routes.entries {
            let labels = EndpointLabels { profile: key.into(), endpoint: e.name.clone(), cluster: e.cluster.clone() };
            self.metrics.healthy.get_or_create(&labels).set(e.healthy() as i64);
        }
        let down: Vec<String> =
            routes.entries.iter().filter(|(e, _)| !e.healthy()).map(|(e, _)| e.name.clone()).collect();
        (down, routes.all_unhealthy())
    }

    /// The routing table of profile `key`, if served.
    pub fn table(&self, key: &str) -> Option<Arc<Table>> {
        self.profiles.lock().expect("plane lock").get(key).map(|r| r.table.clone())
    }

    /// Profiles the plane serves.
    pub fn keys(&self) -> Vec<String> {
        self.profiles.lock().expect("plane lock").keys().cloned().collect()
    }

    /// Stops serving profile `key`.
    pub fn remove(&self, key: &str) {
        self.profiles.lock().expect("plane lock").remove(key);
    }
}
