//! `make bench-apply`: how fast a hub change lands on members. A hub and two
//! members with agents (release builds, kwok nodes), one ClusterResourcePlacement
//! of a namespace with a Deployment (2 replicas), a Service and a ConfigMap.
//! Times create → every Work Applied / Available, then, over ROUNDS edits of
//! the hub copies (the ConfigMap's data and the Deployment's Pod template, so
//! Pods roll), edit → Applied / Available on both members (the default
//! rolling update takes one of two clusters at a time), and per Work, its new
//! spec → Applied / Available (the member agent's part). Then the member
//! agents idle: RSS and CPU. Prints a table and writes target/bench/apply.json;
//! asserts nothing about the figures.

use std::time::{Duration, Instant};

use apis::{
    conditions::{self, placement as p},
    labels,
    placement::{ClusterResourcePlacement, Work},
};
use fleet::{
    Fleet, FleetOptions,
    apply::Applier,
    bench::{cpu_seconds, percentile},
};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap};
use kube::{
    Api, Client,
    api::{ListParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

const ROUNDS: usize = 10;
const NS: &str = "bench-apply";
const IDLE: Duration = Duration::from_secs(30);

/// The Works of the placement, with whether `type_` is True for each one's current spec.
async fn conditions_now(works: &Api<Work>, type_: &str) -> anyhow::Result<Vec<(String, i64, bool)>> {
    let lp = ListParams::default().labels(&format!("{}={NS}", labels::PLACEMENT_TRACKING));
    Ok(works
        .list(&lp)
        .await?
        .items
        .iter()
        .map(|w| {
            let conds = w.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
            let ok = conditions::find(conds, type_)
                .is_some_and(|c| c.status == "True" && c.observed_generation == w.metadata.generation);
            (
                w.metadata.name.clone().unwrap_or_default() + "@" + w.metadata.namespace.as_deref().unwrap_or_default(),
                w.metadata.generation.unwrap_or(0),
                ok,
            )
        })
        .collect())
}

/// What one change took, polled every 10 ms.
struct Timing {
    /// From the hub write to every Work Applied, and Available.
    applied: Duration,
    available: Duration,
    /// Per Work, from its new spec being visible to Applied, and Available:
    /// the member agent's part.
    work_applied: Vec<Duration>,
    work_available: Vec<Duration>,
}

/// Times from `since` until every Work is Applied and Available at a
/// generation newer than `before` (the generations when the change was made).
async fn time_change(
    works: &Api<Work>,
    members: usize,
    since: Instant,
    before: &std::collections::HashMap<String, i64>,
) -> anyhow::Result<Timing> {
    let deadline = since + Duration::from_secs(120);
    let mut seen: std::collections::HashMap<String, Instant> = Default::default();
    let mut applied_at: std::collections::HashMap<String, Instant> = Default::default();
    let mut available_at: std::collections::HashMap<String, Instant> = Default::default();
    loop {
        let now = Instant::now();
        let applied = conditions_now(works, p::APPLIED).await?;
        let available = conditions_now(works, p::AVAILABLE).await?;
        for ((name, generation, a), (_, _, v)) in applied.iter().zip(&available) {
            if before.get(name).is_some_and(|g| generation <= g) {
                continue;
            }
            seen.entry(name.clone()).or_insert(now);
            if *a {
                applied_at.entry(name.clone()).or_insert(now);
            }
            if *v {
                available_at.entry(name.clone()).or_insert(now);
            }
        }
        if available_at.len() == members && applied_at.len() == members {
            let last = |m: &std::collections::HashMap<String, Instant>| *m.values().max().expect("members");
            let per = |m: &std::collections::HashMap<String, Instant>| {
                m.iter().map(|(k, t)| t.duration_since(seen[k])).collect::<Vec<_>>()
            };
            return Ok(Timing {
                applied: last(&applied_at) - since,
                available: last(&available_at) - since,
                work_applied: per(&applied_at),
                work_available: per(&available_at),
            });
        }
        anyhow::ensure!(Instant::now() < deadline, "the Works did not become Applied and Available within 120 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The Works' generations now.
async fn generations(works: &Api<Work>) -> anyhow::Result<std::collections::HashMap<String, i64>> {
    Ok(conditions_now(works, p::APPLIED).await?.into_iter().map(|(n, g, _)| (n, g)).collect())
}

fn manifests(round: usize) -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {NS}}}
data: {{round: "{round}"}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {NS}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 80}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {NS}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web}}
      annotations: {{round: "{round}"}}
    spec:
      containers: [{{name: web, image: nginx:1.27}}]
"#
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let members = 2;
    let fleet = Fleet::start(FleetOptions { members, nodes_per_member: 2, ..Default::default() }).await?;
    println!("bench-apply: hub + {members} members with agents up in {:.1?}", fleet.startup);
    let hub: Client = fleet.hub.client().await?;
    let works: Api<Work> = Api::all(hub.clone());
    let mut applier = Applier::new(hub.clone());
    applier.apply_yaml(&manifests(0)).await?;

    let crp: ClusterResourcePlacement = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement",
        "metadata": {"name": NS},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": NS}],
                 "policy": {"placementType": "PickAll"}}
    }))?;
    let started = Instant::now();
    Api::<ClusterResourcePlacement>::all(hub.clone()).create(&PostParams::default(), &crp).await?;
    let create = time_change(&works, members, started, &Default::default()).await?;

    let cms = Api::<ConfigMap>::namespaced(hub.clone(), NS);
    let deployments = Api::<Deployment>::namespaced(hub.clone(), NS);
    let (mut applied, mut available, mut work_applied, mut work_available) = (vec![], vec![], vec![], vec![]);
    for round in 1..=ROUNDS {
        let before = generations(&works).await?;
        let cm = Patch::Merge(json!({"data": {"round": round.to_string()}}));
        let dep =
            Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {"round": round.to_string()}}}}}));
        let params = PatchParams::default();
        let started = Instant::now();
        let (a, b) = tokio::join!(cms.patch("settings", &params, &cm), deployments.patch("web", &params, &dep));
        a?;
        b?;
        let t = time_change(&works, members, started, &before).await?;
        applied.push(t.applied);
        available.push(t.available);
        work_applied.extend(t.work_applied);
        work_available.extend(t.work_available);
    }
    for v in [&mut applied, &mut available, &mut work_applied, &mut work_available] {
        v.sort();
    }

    // Idle: everything placed and available, nothing changing.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let agents: Vec<(String, u32)> = fleet.member_agents.iter().map(|(n, a)| (n.clone(), a.process.pid())).collect();
    let before: Vec<f64> = agents.iter().map(|(_, pid)| cpu_seconds(*pid)).collect();
    tokio::time::sleep(IDLE).await;
    let idle_cpu: Vec<f64> = agents.iter().zip(&before).map(|((_, pid), b)| cpu_seconds(*pid) - b).collect();
    let rss: Vec<f64> = fleet.member_agents.iter().map(|(_, a)| a.process.rss_bytes() as f64 / 1048576.0).collect();
    let total_cpu: Vec<f64> = agents.iter().map(|(_, pid)| cpu_seconds(*pid)).collect();

    let row = |what: &str, v: &[Duration]| {
        println!("  {what:<58} p50 {:>6.0} ms  p99 {:>6.0} ms", ms(percentile(v, 0.5)), ms(percentile(v, 0.99)));
    };
    println!("bench-apply: {members} members, a Deployment (2 replicas), a Service and a ConfigMap; {ROUNDS} edits");
    println!("  {:<58} {:>6.0} ms", "create → Applied on both members", ms(create.applied));
    println!("  {:<58} {:>6.0} ms", "create → Available on both members", ms(create.available));
    row("edit → Applied on both (rolling update: 1 cluster at a time)", &applied);
    row("edit → Available on both (Pods rolled)", &available);
    row("a Work's new spec → Applied (the member agent's part)", &work_applied);
    row("a Work's new spec → Available", &work_available);
    for (i, (name, _)) in agents.iter().enumerate() {
        println!(
            "  {name} member-agent: RSS {:.1} MiB, CPU idle {:.2} s over {}s, total {:.2} s",
            rss[i],
            idle_cpu[i],
            IDLE.as_secs(),
            total_cpu[i]
        );
    }
    let out = json!({
        "members": members, "rounds": ROUNDS,
        "create_to_applied_ms": ms(create.applied), "create_to_available_ms": ms(create.available),
        "edit_to_applied_ms": {"p50": ms(percentile(&applied, 0.5)), "p99": ms(percentile(&applied, 0.99))},
        "edit_to_available_ms": {"p50": ms(percentile(&available, 0.5)), "p99": ms(percentile(&available, 0.99))},
        "work_spec_to_applied_ms": {"p50": ms(percentile(&work_applied, 0.5)), "p99": ms(percentile(&work_applied, 0.99))},
        "work_spec_to_available_ms": {"p50": ms(percentile(&work_available, 0.5)), "p99": ms(percentile(&work_available, 0.99))},
        "member_agent_rss_mib": rss, "member_agent_idle_cpu_seconds": idle_cpu, "idle_window_seconds": IDLE.as_secs(),
        "member_agent_total_cpu_seconds": total_cpu,
    });
    let dir = fleet::assets::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("apply.json"), serde_json::to_string_pretty(&out)?)?;
    println!("bench-apply: wrote target/bench/apply.json");
    Ok(())
}
