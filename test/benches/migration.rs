//! `make bench-migration`: seed 002's move done by one
//! ClusterResourcePlacementMigration under an open-loop load (BENCH_RATE,
//! default 2,000 req/s, keep-alive) through the data plane, on a hub and two
//! members with agents (release builds). The steps 0/10/50/100 % with
//! `pauseSeconds: 0` and no drain, so the time measured is the migration's
//! own. Measured: requests and failed requests (the target is 0), the time
//! from create to Succeeded (and to each phase), and per step the time from
//! the weight override's write (seen by a watch) to the data plane serving
//! those weights (its endpoint-weight metrics, read every 5 ms). Prints a
//! table and writes target/bench/migration.json; asserts nothing about the
//! figures.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use apis::{
    labels,
    placement::{ClusterResourcePlacementMigration, MigrationPhase, ResourceOverride},
};
use fleet::{
    Fleet, FleetOptions,
    bench::{open_loop, percentile},
    crpm, probe,
};
use futures::StreamExt;
use kube::{
    Api,
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;

/// Weights by cluster, each with when it was seen.
type Timeline = Vec<(Instant, BTreeMap<String, i64>)>;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The data plane's endpoint weights by cluster, from the hub agent's metrics.
async fn served(admin: SocketAddr) -> BTreeMap<String, i64> {
    let (_, body) = probe::get(admin, "/metrics").await.unwrap_or_default();
    body.lines()
        .filter(|l| {
            l.starts_with("flotilla_traffic_endpoint_weight{") && l.contains("profile=\"test-app/nginx-profile\"")
        })
        .filter_map(|l| {
            let cluster = l.split("cluster=\"").nth(1)?.split('"').next()?.to_string();
            Some((cluster, l.rsplit(' ').next()?.parse().ok()?))
        })
        .filter(|(_, w)| *w > 0)
        .collect()
}

/// The endpoint weights export weights give a backend of weight 100 (fleet-networking's split).
fn endpoint_weights(export: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let total: i64 = export.values().filter(|w| **w > 0).sum();
    export.iter().filter(|(_, w)| **w > 0).map(|(c, w)| (c.clone(), (100 * w + total - 1) / total)).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rate = env("BENCH_RATE", 2000);
    let fleet = Fleet::start(FleetOptions { members: 2, nodes_per_member: 1, ..Default::default() }).await?;
    println!("bench-migration: hub + 2 members up in {:.1?}", fleet.startup);
    let hub = fleet.hub.client().await?;
    let admin = fleet.hub_agent.as_ref().expect("agents").admin;
    let proxy = crpm::seed_002_app(&hub).await?;

    // The overrides' weights as written, and the data plane's, each with when it was seen.
    let start = Instant::now();
    let written: Arc<Mutex<Timeline>> = Arc::default();
    let ros = Api::<ResourceOverride>::namespaced(hub.clone(), "test-app");
    let watch = {
        let written = written.clone();
        let cfg = watcher::Config::default().labels(labels::MIGRATION);
        tokio::spawn(watcher(ros, cfg).applied_objects().for_each(move |ro| {
            if let Ok(ro) = ro {
                let mut w = BTreeMap::new();
                for rule in &ro.spec.policy.override_rules {
                    let weight = rule.json_patch_overrides.iter().find_map(|p| {
                        p.value.as_ref()?.get(labels::SERVICE_EXPORT_WEIGHT)?.as_str()?.parse::<i64>().ok()
                    });
                    for t in rule.cluster_selector.iter().flat_map(|s| &s.cluster_selector_terms) {
                        for e in t.label_selector.iter().flat_map(|l| l.match_expressions.iter().flatten()) {
                            for c in e.values.iter().flatten() {
                                w.insert(c.clone(), weight.unwrap_or(0));
                            }
                        }
                    }
                }
                written.lock().expect("written").push((Instant::now(), w));
            }
            futures::future::ready(())
        }))
    };
    let seen: Arc<Mutex<Timeline>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poll = {
        let (seen, stop) = (seen.clone(), stop.clone());
        tokio::spawn(async move {
            let mut last = BTreeMap::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = served(admin).await;
                if now != last {
                    seen.lock().expect("seen").push((Instant::now(), now.clone()));
                    last = now;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // The load, then the migration once the load is steady.
    let length = Duration::from_secs(env("BENCH_SECONDS", 40));
    let load = tokio::spawn(open_loop(proxy, rate, length, true, start));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let created = Instant::now();
    crpm::apply(&hub, &crpm::seed_002_migration(&[(0, 0), (10, 0), (50, 0), (100, 0)], 0)).await?;
    let api = Api::<ClusterResourcePlacementMigration>::all(hub.clone());
    let mut phases: Vec<(MigrationPhase, Duration)> = Vec::new();
    let done = fleet::wait::until("the migration Succeeded", Duration::from_secs(120), || async {
        let m = api.get("test-app-to-member-2").await?;
        let phase = m.status.as_ref().and_then(|s| s.phase);
        anyhow::ensure!(!matches!(phase, Some(MigrationPhase::RolledBack | MigrationPhase::Failed)), "{:?}", m.status);
        Ok((phase == Some(MigrationPhase::Succeeded)).then_some(m))
    })
    .await?;
    let total = created.elapsed();
    let samples = load.await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    poll.await?;
    watch.abort();

    let status = done.status.unwrap_or_default();
    // Phase times are whole seconds on the API; the create-to-Succeeded time is the bench's own clock.
    let first = status.phases.first().map(|r| r.time.0);
    for r in &status.phases {
        let at = first.map(|f| (r.time.0 - f).get_seconds()).unwrap_or(0);
        phases.push((r.phase, Duration::from_secs(at.max(0) as u64)));
    }
    let failed = samples.iter().filter(|(_, who, _)| who.is_empty()).count();
    let mut lat: Vec<Duration> = samples.iter().filter(|(_, w, _)| !w.is_empty()).map(|s| s.2).collect();
    lat.sort();

    // Per step: the override's write → the data plane serving its weights.
    let written = written.lock().expect("written").clone();
    let seen = seen.lock().expect("seen").clone();
    let mut steps = Vec::new();
    let mut last = BTreeMap::new();
    for (at, w) in &written {
        if *w == last {
            continue;
        }
        last = w.clone();
        let want = endpoint_weights(w);
        if let Some((t, _)) = seen.iter().find(|(t, s)| t >= at && *s == want) {
            steps.push((w.clone(), t.duration_since(*at)));
        } else if seen.iter().rev().find(|(t, _)| t <= at).is_some_and(|(_, s)| *s == want) {
            // Already served when the write was seen (the watch event came later than the data plane).
            steps.push((w.clone(), Duration::ZERO));
        }
    }

    println!(
        "bench-migration: seed 002's move as one crpm, {rate} req/s open loop (keep-alive), pauseSeconds 0, no drain"
    );
    println!(
        "  requests {}  failed {}  latency p50 {:.2} ms  p99 {:.2} ms",
        samples.len(),
        failed,
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99))
    );
    println!("  create → Succeeded: {:.2} s", total.as_secs_f64());
    for (p, at) in &phases {
        println!("    {p:?} at +{} s", at.as_secs());
    }
    println!("  weight written → served by the data plane:");
    for (w, d) in &steps {
        println!("    {w:?}: {:.1} ms", ms(*d));
    }
    let m = status.measurements.clone().unwrap_or_default();
    println!(
        "  the migration's own measurements: {} requests, {} failed, longest outage {} ms, p99 {:?} ms (baseline {:?} ms)",
        m.requests, m.failed_requests, m.longest_no_success_ms, m.p99_ms, m.baseline_p99_ms
    );
    let out = json!({
        "rate": rate,
        "requests": samples.len(),
        "failed": failed,
        "latency_ms": {"p50": ms(percentile(&lat, 0.5)), "p99": ms(percentile(&lat, 0.99))},
        "create_to_succeeded_s": total.as_secs_f64(),
        "steps_ms": steps.iter().map(|(w, d)| json!({"weights": w, "served_after_ms": ms(*d)})).collect::<Vec<_>>(),
        "measurements": m,
    });
    let dir = fleet::assets::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("migration.json"), serde_json::to_string_pretty(&out)?)?;
    println!("bench-migration: wrote target/bench/migration.json");
    Ok(())
}
