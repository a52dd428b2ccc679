//! `make bench-placement`: the hub at scale. A hub (real control plane, the
//! release hub agent), 100 simulated members (they heartbeat and report every
//! Work Applied and Available; nothing is applied anywhere) and 100
//! ClusterResourcePlacements, each selecting a namespace of 10 objects, created
//! at a steady pace. Prints a table and writes target/bench/placement.json:
//! create → all Works written, create → Available, hub-agent peak RSS and CPU
//! seconds, the hub agent's API requests per placement, and then how long an
//! isolated edit takes to reach every member's Work. Asserts nothing.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use apis::{
    conditions::{self, placement as p},
    labels,
    placement::{ClusterResourcePlacement, Work},
};
use fleet::{
    Fleet, FleetOptions,
    agents::AgentOptions,
    bench::{cpu_seconds, percentile},
    probe,
    simulated::{SimulatedMembers, WorkReporter},
    wait,
};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;

/// Isolated edits timed after the placements are Available.
const EDITS: usize = 10;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn api_requests(addr: std::net::SocketAddr) -> f64 {
    let (_, body) = probe::get(addr, "/metrics").await.unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with("flotilla_api_requests_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn namespace_of_ten(client: &Client, ns: &str) -> anyhow::Result<()> {
    let n: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &n).await?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for i in 0..9 {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": format!("config-{i}")},
            "data": {"index": i.to_string(), "payload": "x".repeat(64)}}))?;
        cms.create(&PostParams::default(), &cm).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members = env("BENCH_MEMBERS", 100);
    let placements = env("BENCH_PLACEMENTS", 100);
    let pace = Duration::from_millis(env("BENCH_PACE_MS", 2500) as u64);

    let opts = AgentOptions { heartbeat_period_seconds: 30, ..AgentOptions::default() };
    let fleet = Fleet::start(FleetOptions { members: 0, agents: Some(opts), ..Default::default() }).await?;
    let client = fleet.hub.client().await?;
    let hub_agent = fleet.hub_agent.as_ref().expect("agents run");
    let sim = SimulatedMembers::join(client.clone(), "sim", members, Duration::from_secs(30)).await?;
    println!("bench-placement: hub up in {:.1?}; {} simulated members joined", fleet.startup, sim.names.len());
    let _reporter = WorkReporter::start(client.clone(), Duration::ZERO, |_| true);

    // Each placement's namespace: the Namespace, 9 ConfigMaps (10 objects).
    let names: Vec<String> = (0..placements).map(|i| format!("bench-{i:03}")).collect();
    futures::stream::iter(names.iter().map(|n| namespace_of_ten(&client, n)))
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Watch Works and placements; record when each placement has a Work on
    // every member and when it turns Available.
    let works_done: Arc<Mutex<BTreeMap<String, Instant>>> = Arc::default();
    let available: Arc<Mutex<BTreeMap<String, Instant>>> = Arc::default();
    let work_watch = {
        let (client, done) = (client.clone(), works_done.clone());
        tokio::spawn(async move {
            let mut clusters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let cfg = watcher::Config::default().labels(labels::PLACEMENT_TRACKING);
            let mut events = std::pin::pin!(watcher(Api::<Work>::all(client), cfg).default_backoff().applied_objects());
            while let Some(ev) = events.next().await {
                let Ok(w) = ev else { continue };
                let crp = w.labels()[labels::PLACEMENT_TRACKING].clone();
                let set = clusters.entry(crp.clone()).or_default();
                set.insert(w.namespace().unwrap_or_default());
                if set.len() == members {
                    done.lock().unwrap().entry(crp).or_insert_with(Instant::now);
                }
            }
        })
    };
    let crp_watch = {
        let (client, avail) = (client.clone(), available.clone());
        tokio::spawn(async move {
            let api = Api::<ClusterResourcePlacement>::all(client);
            let mut events =
                std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff().applied_objects());
            while let Some(ev) = events.next().await {
                let Ok(c) = ev else { continue };
                let conds = c.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
                let ok = conditions::find(conds, p::CRP_AVAILABLE)
                    .is_some_and(|x| x.status == "True" && x.observed_generation == c.metadata.generation);
                if ok {
                    avail.lock().unwrap().entry(c.name_any()).or_insert_with(Instant::now);
                }
            }
        })
    };

    let pid = hub_agent.process.pid();
    let peak_rss = Arc::new(Mutex::new(0u64));
    let sampler = {
        let peak = peak_rss.clone();
        tokio::spawn(async move {
            loop {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let rss = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                    .unwrap_or(0)
                    * 1024;
                {
                    let mut p = peak.lock().unwrap();
                    *p = (*p).max(rss);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let cpu_before = cpu_seconds(pid);
    let requests_before = api_requests(hub_agent.admin).await;
    let started = Instant::now();

    let crps: Api<ClusterResourcePlacement> = Api::all(client.clone());
    let mut created: BTreeMap<String, Instant> = BTreeMap::new();
    for n in &names {
        let crp: ClusterResourcePlacement = serde_json::from_value(json!({
            "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement",
            "metadata": {"name": n},
            "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": n}],
                     "policy": {"placementType": "PickAll"}}}))?;
        created.insert(n.clone(), Instant::now());
        crps.create(&PostParams::default(), &crp).await?;
        tokio::time::sleep(pace).await;
    }
    wait::until("every placement Available", Duration::from_secs(900), || async {
        Ok((available.lock().unwrap().len() == placements).then_some(()))
    })
    .await?;
    let elapsed = started.elapsed();
    let cpu = cpu_seconds(pid) - cpu_before;
    let requests = api_requests(hub_agent.admin).await - requests_before;
    work_watch.abort();
    crp_watch.abort();

    // An isolated change, once everything is placed: edit one ConfigMap and
    // time until every member's Work carries it.
    let (mut edits, mut first_edits) = (Vec::new(), Vec::new());
    for (round, n) in names.iter().take(EDITS).enumerate() {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), n);
        let value = format!("edited-{round}");
        // Watch first (its initial listing done), then edit, then count arrivals.
        let cfg = watcher::Config::default().labels(&format!("{}={n}", labels::PLACEMENT_TRACKING));
        let mut events = std::pin::pin!(watcher(Api::<Work>::all(client.clone()), cfg).default_backoff());
        while let Some(ev) = events.next().await {
            if matches!(ev, Ok(watcher::Event::InitDone)) {
                break;
            }
        }
        let t0 = Instant::now();
        cms.patch("config-0", &PatchParams::default(), &Patch::Merge(json!({"data": {"index": value}}))).await?;
        let mut carried = BTreeSet::new();
        let deadline = tokio::time::sleep(Duration::from_secs(120));
        tokio::pin!(deadline);
        while carried.len() < members {
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(watcher::Event::Apply(w))) => {
                        if w.spec.workload.manifests.iter().any(|m| m.0["data"]["index"] == value.as_str()) {
                            if carried.is_empty() {
                                first_edits.push(t0.elapsed());
                            }
                            carried.insert(w.namespace().unwrap_or_default());
                        }
                    }
                    Some(_) => {}
                    None => anyhow::bail!("the Work watch ended"),
                },
                _ = &mut deadline => anyhow::bail!("edit {round} reached {} of {members} Works in 120 s", carried.len()),
            }
        }
        edits.push(t0.elapsed());
    }
    edits.sort();
    first_edits.sort();
    sampler.abort();

    let lat = |done: &BTreeMap<String, Instant>| {
        let mut v: Vec<Duration> =
            created.iter().filter_map(|(n, t0)| Some(done.get(n)?.duration_since(*t0))).collect();
        v.sort();
        v
    };
    let to_works = lat(&works_done.lock().unwrap());
    let to_available = lat(&available.lock().unwrap());
    let rss = *peak_rss.lock().unwrap() as f64 / 1048576.0;
    let rss_end = hub_agent.process.rss_bytes() as f64 / 1048576.0;
    let per = requests / placements as f64;
    println!(
        "bench-placement: {placements} placements × {members} members, one every {pace:?}, all Available after {elapsed:.1?}"
    );
    println!("  {:<34} {:>10} {:>10} {:>10}", "", "p50", "p99", "max");
    for (what, v) in [("create → Works on every member", &to_works), ("create → Available", &to_available)] {
        println!("  {what:<34} {:>10.0?} {:>10.0?} {:>10.0?}", percentile(v, 0.5), percentile(v, 0.99), v[v.len() - 1]);
    }
    for (what, v) in [("edit → the first Work carries it", &first_edits), ("edit → every Work (rolling, 25%)", &edits)]
    {
        println!(
            "  {what:<34} {:>10.0?} {:>10.0?} {:>10.0?}   ({EDITS} edits, one at a time, timed by a watch)",
            percentile(v, 0.5),
            percentile(v, 0.99),
            v[v.len() - 1]
        );
    }
    println!(
        "  hub-agent peak RSS {rss:.1} MiB ({rss_end:.1} MiB at the end), CPU {cpu:.1} s and API requests per placement {per:.0} (to all Available)"
    );

    let out = json!({
        "members": members, "placements": placements, "pace_ms": pace.as_millis() as u64,
        "create_to_works_ms": {"p50": percentile(&to_works, 0.5).as_millis() as u64, "p99": percentile(&to_works, 0.99).as_millis() as u64},
        "create_to_available_ms": {"p50": percentile(&to_available, 0.5).as_millis() as u64, "p99": percentile(&to_available, 0.99).as_millis() as u64},
        "edit_to_first_work_ms": {"p50": percentile(&first_edits, 0.5).as_millis() as u64, "max": first_edits[first_edits.len() - 1].as_millis() as u64},
        "edit_to_every_work_ms": {"p50": percentile(&edits, 0.5).as_millis() as u64, "max": edits[edits.len() - 1].as_millis() as u64},
        "hub_agent_peak_rss_mib": rss, "hub_agent_end_rss_mib": rss_end, "hub_agent_cpu_seconds": cpu, "api_requests_per_placement": per,
    });
    let log = hub_agent.process.log_tail(usize::MAX);
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains(" WARN ")).collect();
    println!("  hub-agent warnings: {}", warnings.len());
    for w in warnings.iter().take(3) {
        println!("    {}", w.chars().take(240).collect::<String>());
    }

    let dir = fleet::assets::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("placement.json"), serde_json::to_string_pretty(&out)?)?;
    println!("bench-placement: wrote {}", dir.join("placement.json").display());
    Ok(())
}
