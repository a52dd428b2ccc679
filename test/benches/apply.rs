//! `make bench-apply`: how fast a hub change lands on members. A hub and two
//! members with agents (release builds, kwok nodes), one ClusterResourcePlacement
//! of a namespace with a Deployment (2 replicas), a Service and a ConfigMap.
//! Times create → every Work Applied / Available, then, over ROUNDS edits of
//! the hub copies (the ConfigMap's data and the Deployment's Pod template, so
//! Pods roll), edit → Applied / Available on both members. Then the member
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

/// Whether every Work of the placement (one per member) has `type_` True for its current spec.
async fn all_true(works: &Api<Work>, members: usize, type_: &str) -> anyhow::Result<bool> {
    let lp = ListParams::default().labels(&format!("{}={NS}", labels::PLACEMENT_TRACKING));
    let list = works.list(&lp).await?.items;
    let ok = list.iter().filter(|w| {
        let conds = w.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        conditions::find(conds, type_)
            .is_some_and(|c| c.status == "True" && c.observed_generation == w.metadata.generation)
    });
    Ok(list.len() == members && ok.count() == members)
}

/// Times from now to every Work Applied, and to every Work Available (polled every 10 ms).
async fn time_to_applied_and_available(
    works: &Api<Work>,
    members: usize,
    since: Instant,
) -> anyhow::Result<(Duration, Duration)> {
    let deadline = since + Duration::from_secs(120);
    let mut applied = None;
    loop {
        if applied.is_none() && all_true(works, members, p::APPLIED).await? {
            applied = Some(since.elapsed());
        }
        if let Some(a) = applied
            && all_true(works, members, p::AVAILABLE).await?
        {
            return Ok((a, since.elapsed()));
        }
        anyhow::ensure!(Instant::now() < deadline, "the Works did not become Applied and Available within 120 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    let (create_applied, create_available) = time_to_applied_and_available(&works, members, started).await?;

    let (mut applied, mut available) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let started = Instant::now();
        let cm = Patch::Merge(json!({"data": {"round": round.to_string()}}));
        let dep =
            Patch::Merge(json!({"spec": {"template": {"metadata": {"annotations": {"round": round.to_string()}}}}}));
        let cms = Api::<ConfigMap>::namespaced(hub.clone(), NS);
        let deployments = Api::<Deployment>::namespaced(hub.clone(), NS);
        let params = PatchParams::default();
        let (a, b) = tokio::join!(cms.patch("settings", &params, &cm), deployments.patch("web", &params, &dep));
        a?;
        b?;
        // The Works change a moment after the edit; wait for them to, first.
        let lp = ListParams::default().labels(&format!("{}={NS}", labels::PLACEMENT_TRACKING));
        fleet::wait::until("the Works to take the edit", Duration::from_secs(30), || async {
            let list = works.list(&lp).await?.items;
            let updated = list.iter().filter(|w| {
                w.spec
                    .workload
                    .manifests
                    .iter()
                    .any(|m| m.0["data"]["round"].as_str() == Some(round.to_string().as_str()))
            });
            Ok((updated.count() == members).then_some(()))
        })
        .await?;
        let (x, y) = time_to_applied_and_available(&works, members, started).await?;
        applied.push(x);
        available.push(y);
    }
    applied.sort();
    available.sort();

    // Idle: everything placed and available, nothing changing.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let agents: Vec<(String, u32)> = fleet.member_agents.iter().map(|(n, a)| (n.clone(), a.process.pid())).collect();
    let before: Vec<f64> = agents.iter().map(|(_, pid)| cpu_seconds(*pid)).collect();
    tokio::time::sleep(IDLE).await;
    let idle_cpu: Vec<f64> = agents.iter().zip(&before).map(|((_, pid), b)| cpu_seconds(*pid) - b).collect();
    let rss: Vec<f64> = fleet.member_agents.iter().map(|(_, a)| a.process.rss_bytes() as f64 / 1048576.0).collect();
    let total_cpu: Vec<f64> = agents.iter().map(|(_, pid)| cpu_seconds(*pid)).collect();

    println!("bench-apply: {members} members, a Deployment (2 replicas), a Service and a ConfigMap");
    println!("  create → Applied on both members      {:>8.0} ms", ms(create_applied));
    println!("  create → Available on both members    {:>8.0} ms", ms(create_available));
    println!(
        "  edit → Applied on both ({ROUNDS} edits)        p50 {:>6.0} ms  p99 {:>6.0} ms",
        ms(percentile(&applied, 0.5)),
        ms(percentile(&applied, 0.99))
    );
    println!(
        "  edit → Available on both (Pods rolled)  p50 {:>6.0} ms  p99 {:>6.0} ms",
        ms(percentile(&available, 0.5)),
        ms(percentile(&available, 0.99))
    );
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
        "create_to_applied_ms": ms(create_applied), "create_to_available_ms": ms(create_available),
        "edit_to_applied_ms": {"p50": ms(percentile(&applied, 0.5)), "p99": ms(percentile(&applied, 0.99))},
        "edit_to_available_ms": {"p50": ms(percentile(&available, 0.5)), "p99": ms(percentile(&available, 0.99))},
        "member_agent_rss_mib": rss, "member_agent_idle_cpu_seconds": idle_cpu, "idle_window_seconds": IDLE.as_secs(),
        "member_agent_total_cpu_seconds": total_cpu,
    });
    let dir = fleet::assets::repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("apply.json"), serde_json::to_string_pretty(&out)?)?;
    println!("bench-apply: wrote target/bench/apply.json");
    Ok(())
}
