//! `make bench-traffic`: a migration's traffic cutover under load. A hub and
//! two members with agents (release builds); Service `old` exported from
//! member-1, `new` from member-2, both LoadBalancers answered by the local
//! fleet's load balancer; one TrafficManagerProfile with backend `old`
//! (weight 100) and `new` (weight 0). An open-loop load at RATE req/s runs
//! through the profile's proxy while the backends' weights move 100/0 →
//! 90/10 → … → 0/100, STEP apart, and backend `old` is then deleted; once
//! with keep-alive connections, once with a new connection per request.
//! Measured: total and failed requests, the split's error per stable window,
//! weight-change propagation (API write → the data plane's weights, read from
//! its metrics every 5 ms), and the proxy's added p99 latency and throughput
//! against calling the backend directly. Prints a table and writes
//! target/bench/traffic.json; asserts nothing about the figures.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    time::{Duration, Instant},
};

use apis::networking::{ServiceExport, TrafficManagerBackend, TrafficManagerProfile};
use fleet::{
    Fleet, FleetOptions,
    bench::{Sample, client, one, open_loop, percentile},
    probe, wait,
};
use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::{
    Api,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

const NS: &str = "bench-traffic";
const PORT: u16 = 18090;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Closed loop: `conns` workers as fast as they go for `length`; (req/s, p99 latency).
async fn closed_loop(addr: SocketAddr, conns: usize, length: Duration) -> (f64, Duration) {
    let c = client(true);
    let end = Instant::now() + length;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conns {
        let c = c.clone();
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < end {
                let (who, l) = one(&c, addr, true).await;
                if !who.is_empty() {
                    lat.push(l);
                }
            }
            lat
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.expect("a worker"));
    }
    all.sort();
    (all.len() as f64 / length.as_secs_f64(), percentile(&all, 0.99))
}

/// The data plane's weights for the profile's endpoints, from the hub agent's metrics: cluster → weight.
async fn weights(admin: SocketAddr) -> BTreeMap<String, i64> {
    let (_, body) = probe::get(admin, "/metrics").await.unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with("flotilla_traffic_endpoint_weight{"))
        .filter_map(|l| {
            let cluster = l.split("cluster=\"").nth(1)?.split('"').next()?.to_string();
            let v = l.rsplit(' ').next()?.parse().ok()?;
            Some((cluster, v))
        })
        .collect()
}

async fn setup(fleet: &Fleet) -> anyhow::Result<()> {
    let hub = fleet.hub.client().await?;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}}))?;
    Api::<Namespace>::all(hub.clone()).create(&PostParams::default(), &ns).await?;
    for (i, (svc, m)) in [("old", &fleet.members[0]), ("new", &fleet.members[1])].into_iter().enumerate() {
        let c = m.client().await?;
        Api::<Namespace>::all(c.clone()).create(&PostParams::default(), &ns).await?;
        let s: Service = serde_json::from_value(json!({"metadata": {"name": svc, "namespace": NS,
                "annotations": {"service.beta.kubernetes.io/azure-dns-label-name": format!("bench-{i}")}},
            "spec": {"type": "LoadBalancer", "selector": {"app": svc}, "ports": [{"port": PORT}]}}))?;
        Api::<Service>::namespaced(c.clone(), NS).create(&PostParams::default(), &s).await?;
        let e: ServiceExport = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
            "kind": "ServiceExport", "metadata": {"name": svc, "namespace": NS}}))?;
        Api::<ServiceExport>::namespaced(c, NS).create(&PostParams::default(), &e).await?;
    }
    let p: TrafficManagerProfile = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "TrafficManagerProfile", "metadata": {"name": "app", "namespace": NS},
        "spec": {"monitorConfig": {"port": PORT, "path": "/healthz", "intervalInSeconds": 10}}}))?;
    Api::<TrafficManagerProfile>::namespaced(hub.clone(), NS).create(&PostParams::default(), &p).await?;
    Ok(())
}

async fn backend(hub: &kube::Client, name: &str, weight: i64) -> anyhow::Result<()> {
    let b: TrafficManagerBackend = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "TrafficManagerBackend", "metadata": {"name": name, "namespace": NS},
        "spec": {"profile": {"name": "app"}, "backend": {"name": name}, "weight": weight}}))?;
    let api = Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS);
    api.patch(name, &PatchParams::apply("bench").force(), &Patch::Apply(&b)).await?;
    Ok(())
}

struct Run {
    samples: Vec<Sample>,
    /// (time of the write since start, target share of member-2 in percent, propagation).
    steps: Vec<(Duration, f64, Duration)>,
    delete_at: Duration,
}

/// One cutover under load.
async fn cutover(fleet: &Fleet, proxy: SocketAddr, rate: u64, step: Duration, keep_alive: bool) -> anyhow::Result<Run> {
    let hub = fleet.hub.client().await?;
    let admin = fleet.hub_agent.as_ref().expect("agents").admin;
    backend(&hub, "old", 100).await?;
    backend(&hub, "new", 0).await?;
    let settle = || async {
        wait::until("the data plane at 100/0", Duration::from_secs(60), || async {
            let w = weights(admin).await;
            Ok((w.get("member-1") == Some(&100) && !w.contains_key("member-2")).then_some(()))
        })
        .await
    };
    settle().await?;
    let started = Instant::now();
    let length = step * 12;
    let load = tokio::spawn(open_loop(proxy, rate, length, keep_alive, started));
    let mut steps = Vec::new();
    tokio::time::sleep(step).await;
    for k in 1..=10 {
        let (old, new) = (100 - 10 * k, 10 * k);
        let at = started.elapsed();
        let t0 = Instant::now();
        backend(&hub, "old", old).await?;
        backend(&hub, "new", new).await?;
        // Propagated once the data plane's weights are the new ones.
        loop {
            let w = weights(admin).await;
            let weight = |c: &str| w.get(c).copied().unwrap_or(0);
            if weight("member-1") == old && weight("member-2") == new {
                break;
            }
            anyhow::ensure!(
                t0.elapsed() < Duration::from_secs(30),
                "weights {old}/{new} never reached the data plane: {w:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        steps.push((at, new as f64, t0.elapsed()));
        tokio::time::sleep(step.saturating_sub(t0.elapsed())).await;
    }
    let delete_at = started.elapsed();
    Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS).delete("old", &DeleteParams::default()).await?;
    let samples = load.await?;
    Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS).delete("new", &DeleteParams::default()).await?;
    Ok(Run { samples, steps, delete_at })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The largest gap, in percentage points, between member-2's share and its
/// target, over each window between two writes (from 1 s after the write).
fn split_error(run: &Run, step: Duration) -> f64 {
    let mut worst: f64 = 0.0;
    let mut windows: Vec<(Duration, Duration, f64)> = vec![(Duration::ZERO, step, 0.0)];
    for (i, (at, target, _)) in run.steps.iter().enumerate() {
        let end = run.steps.get(i + 1).map(|s| s.0).unwrap_or(run.delete_at);
        windows.push((*at + Duration::from_secs(1), end, *target));
    }
    for (from, to, target) in windows {
        let inside: Vec<&Sample> =
            run.samples.iter().filter(|(t, who, _)| *t >= from && *t < to && !who.is_empty()).collect();
        if inside.is_empty() {
            continue;
        }
        let share = inside.iter().filter(|(_, who, _)| who == "member-2").count() as f64 * 100.0 / inside.len() as f64;
        worst = worst.max((share - target).abs());
    }
    worst
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rate = env("BENCH_RATE", 2000);
    let step = Duration::from_secs(env("BENCH_STEP_SECONDS", 6));
    let fleet = Fleet::start(FleetOptions { members: 2, nodes_per_member: 1, ..Default::default() }).await?;
    println!("bench-traffic: hub + 2 members up in {:.1?}", fleet.startup);
    setup(&fleet).await?;
    let hub = fleet.hub.client().await?;
    let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), NS);
    let proxy: SocketAddr = wait::until("the profile's proxy", Duration::from_secs(60), || async {
        Ok(profiles.get("app").await?.status.and_then(|s| s.proxy_address).and_then(|a| a.parse().ok()))
    })
    .await?;
    // The ServiceImports must list their clusters before the backends can have endpoints.
    let imports = Api::<apis::networking::ServiceImport>::namespaced(hub.clone(), NS);
    for svc in ["old", "new"] {
        wait::until(&format!("ServiceImport {svc}"), Duration::from_secs(60), || async {
            Ok(imports.get_opt(svc).await?.and_then(|i| i.status).filter(|s| !s.clusters.is_empty()).map(|_| ()))
        })
        .await?;
    }

    let mut out = serde_json::Map::new();
    println!(
        "bench-traffic: {rate} req/s open loop, weights 100/0 → 0/100 in steps of 10 every {step:?}, then backend old deleted"
    );
    println!(
        "  {:<12} {:>9} {:>7} {:>16} {:>14} {:>14} {:>12}",
        "connections", "requests", "failed", "split error (pp)", "propagation p50", "p99", "latency p99"
    );
    for keep_alive in [true, false] {
        let run = cutover(&fleet, proxy, rate, step, keep_alive).await?;
        let failed = run.samples.iter().filter(|(_, who, _)| who.is_empty()).count();
        let mut prop: Vec<Duration> = run.steps.iter().map(|s| s.2).collect();
        prop.sort();
        let mut lat: Vec<Duration> = run.samples.iter().filter(|(_, w, _)| !w.is_empty()).map(|s| s.2).collect();
        lat.sort();
        let err = split_error(&run, step);
        let mode = if keep_alive { "keep-alive" } else { "new each" };
        println!(
            "  {mode:<12} {:>9} {:>7} {:>16.2} {:>11.1} ms {:>11.1} ms {:>9.1} ms",
            run.samples.len(),
            failed,
            err,
            ms(percentile(&prop, 0.5)),
            ms(percentile(&prop, 0.99)),
            ms(percentile(&lat, 0.99))
        );
        out.insert(
            mode.replace(' ', "_"),
            json!({"requests": run.samples.len(), "failed": failed, "split_error_pp": err,
                   "propagation_ms": {"p50": ms(percentile(&prop, 0.5)), "p99": ms(percentile(&prop, 0.99))},
                   "latency_p99_ms": ms(percentile(&lat, 0.99))}),
        );
    }

    // The proxy against the backend itself, same load shape (closed loop, 16 connections).
    backend(&hub, "new", 100).await?;
    let admin = fleet.hub_agent.as_ref().expect("agents").admin;
    wait::until("new at 100", Duration::from_secs(60), || async {
        Ok((weights(admin).await.get("member-2") == Some(&100)).then_some(()))
    })
    .await?;
    let direct_addr = SocketAddr::new(fleet::loadbalancer::address(2), PORT);
    let (direct_rps, direct_p99) = closed_loop(direct_addr, 16, Duration::from_secs(10)).await;
    let (proxy_rps, proxy_p99) = closed_loop(proxy, 16, Duration::from_secs(10)).await;
    println!(
        "  throughput (16 connections, 10 s): direct {direct_rps:.0} req/s, through the proxy {proxy_rps:.0} req/s ({:.0}% of direct)",
        proxy_rps * 100.0 / direct_rps
    );
    println!(
        "  p99 latency: direct {:.2} ms, through the proxy {:.2} ms (added {:.2} ms)",
        ms(direct_p99),
        ms(proxy_p99),
        ms(proxy_p99.saturating_sub(direct_p99))
    );
    out.insert(
        "throughput".into(),
        json!({"direct_rps": direct_rps, "proxy_rps": proxy_rps, "ratio": proxy_rps / direct_rps,
               "direct_p99_ms": ms(direct_p99), "proxy_p99_ms": ms(proxy_p99)}),
    );
    // This process hosts the members' load balancers: after the loads above, a leak shows here.
    let rss = fleet::process::rss_bytes(std::process::id()) as f64 / (1 << 20) as f64;
    println!("  bench process (load generator and load balancers) RSS: {rss:.1} MiB");
    out.insert("bench_rss_mib".into(), json!(rss));
    out.insert("rate".into(), json!(rate));
    out.insert("step_seconds".into(), json!(step.as_secs()));
    let dir = fleet::assets::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("traffic.json"), serde_json::to_string_pretty(&out)?)?;
    println!("bench-traffic: wrote target/bench/traffic.json");
    Ok(())
}
