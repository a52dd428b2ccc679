//! `fleet up|down|status|join|tutorial|migrate`: a local fleet for a person
//! (`make fleet-up`, `make fleet-down`, `make demo`).
//!
//! `up` starts a hub and N members in the background, writes
//! `<dir>/hub.kubeconfig`, `<dir>/member-1.kubeconfig`, …, and returns once they
//! answer. `down` stops them. `status` prints what runs and its memory.
//! `join` admits a member whose agent waits. `tutorial` walks seed 002 by
//! hand; `migrate` creates a ClusterResourcePlacementMigration and follows it
//! live (phase, step, each cluster's weight, the data plane's counts and,
//! with `--load`, the split a load through the profile sees).

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use fleet::{Fleet, FleetOptions, fleet::export_kubeconfigs, process};

#[derive(Parser)]
#[command(name = "fleet", about = "A local fleet of real Kubernetes control planes")]
struct Cli {
    /// Where kubeconfigs, logs and state go.
    #[arg(long, default_value = ".fleet", global = true)]
    dir: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start a hub and N members in the background and wait until they answer.
    Up {
        #[arg(long, default_value_t = 2)]
        members: usize,
        #[arg(long, default_value_t = 2)]
        nodes_per_member: usize,
        /// How many members join at once (the others' agents wait for a MemberCluster); all by default.
        #[arg(long)]
        joined: Option<usize>,
        /// Stay in the foreground (what `up` runs in the background).
        #[arg(long)]
        foreground: bool,
    },
    /// Walk KubeFleet's migration tutorial (seed 002) on the running fleet,
    /// started with `up --members 2 --joined 1`: test-app moves from member-1
    /// to member-2 under a load through the traffic data plane.
    Tutorial,
    /// Admit a member whose agent waits (create its MemberCluster) and wait until it joins.
    Join { member: String },
    /// Move a ClusterResourcePlacement's application with one
    /// ClusterResourcePlacementMigration, and follow it live until it ends.
    Migrate(MigrateArgs),
    /// Stop the fleet `up` started.
    Down,
    /// Print the fleet's processes and memory.
    Status,
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// The ClusterResourcePlacement to move.
    #[arg(long)]
    placement: String,
    /// Source clusters, comma-separated.
    #[arg(long, value_delimiter = ',')]
    from: Vec<String>,
    /// Target clusters, comma-separated.
    #[arg(long, value_delimiter = ',')]
    to: Vec<String>,
    /// The TrafficManagerBackend carrying the traffic, as namespace/name.
    #[arg(long)]
    backend: Option<String>,
    /// The targets' share at each step, comma-separated percentages.
    #[arg(long, value_delimiter = ',', default_value = "0,10,50,100")]
    steps: Vec<i32>,
    #[arg(long, default_value_t = 5)]
    pause_seconds: i32,
    /// Evict or LeaveFleet.
    #[arg(long, default_value = "Evict")]
    cleanup: String,
    /// The migration's name; `<placement>-to-<first target>` by default.
    #[arg(long)]
    name: Option<String>,
    /// Send a steady load through the backend's profile and show the split it sees.
    #[arg(long)]
    load: bool,
}

const PID: &str = "fleet.pid";
const READY: &str = "ready";
const LOG: &str = "fleet.log";

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Up { members, nodes_per_member, joined, foreground: true } => {
            run_foreground(&cli.dir, members, nodes_per_member, joined)
        }
        Cmd::Up { members, nodes_per_member, joined, foreground: false } => {
            up(&cli.dir, members, nodes_per_member, joined)
        }
        Cmd::Tutorial => tutorial(&cli.dir),
        Cmd::Join { member } => join(&cli.dir, &member),
        Cmd::Migrate(args) => migrate(&cli.dir, args),
        Cmd::Down => down(&cli.dir),
        Cmd::Status => status(&cli.dir),
    }
}

fn running_pid(dir: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(dir.join(PID)).ok()?.trim().parse().ok()?;
    process::alive(pid).then_some(pid)
}

fn up(dir: &Path, members: usize, nodes: usize, joined: Option<usize>) -> anyhow::Result<()> {
    if let Some(pid) = running_pid(dir) {
        bail!("a fleet is already running (pid {pid}); run `make fleet-down` first");
    }
    std::fs::create_dir_all(dir)?;
    let _ = std::fs::remove_file(dir.join(READY));
    let log = std::fs::File::create(dir.join(LOG))?;
    let began = Instant::now();
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(std::env::current_exe()?)
            .args(["--dir", &dir.display().to_string(), "up", "--foreground"])
            .args(["--members", &members.to_string(), "--nodes-per-member", &nodes.to_string()])
            .args(joined.map(|j| format!("--joined={j}")))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0) // outlives the shell that ran `make fleet-up`
            .spawn()
            .context("starting the fleet in the background")?
    };
    std::fs::write(dir.join(PID), child.id().to_string())?;
    loop {
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.join(LOG)).unwrap_or_default();
            bail!("the fleet exited ({status}) before it was ready:\n{log}");
        }
        if dir.join(READY).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("fleet: hub + {members} members up in {:.1?}", began.elapsed());
    print!("{}", std::fs::read_to_string(dir.join(READY))?);
    Ok(())
}

fn run_foreground(dir: &Path, members: usize, nodes_per_member: usize, joined: Option<usize>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let state = std::path::absolute(dir.join("state"))?;
        // Left behind if an earlier fleet was killed; `ready` must mean this one.
        let _ = std::fs::remove_file(dir.join(READY));
        let _ = std::fs::remove_dir_all(&state);
        let mut f = Fleet::start(FleetOptions {
            members,
            nodes_per_member,
            joined,
            dir: Some(state.clone()),
            ..Default::default()
        })
        .await?;
        let configs = export_kubeconfigs(&f, dir)?;
        let mut text = String::new();
        for (name, path) in &configs {
            text.push_str(&format!("  {name:<10} kubectl --kubeconfig {} get ns\n", path.display()));
        }
        if let Some(a) = &f.hub_agent {
            text.push_str(&format!("  hub-agent  http://{}/metrics\n", a.admin));
        }
        for (name, a) in &f.member_agents {
            text.push_str(&format!("  {:<10} member-agent http://{}/metrics (identity: user {name})\n", name, a.admin));
        }
        text.push_str(&format!("  logs and state: {}\n  stop: make fleet-down\n", state.display()));
        std::fs::write(dir.join(READY), text)?;
        flotilla_shutdown().await;
        f.stop();
        let _ = std::fs::remove_dir_all(&state);
        let _ = std::fs::remove_file(dir.join(READY));
        anyhow::Ok(())
    })
}

async fn flotilla_shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
}

fn down(dir: &Path) -> anyhow::Result<()> {
    let Some(pid) = running_pid(dir) else {
        println!("fleet: nothing running");
        return Ok(());
    };
    // SAFETY: kill(2) on the pid `up` recorded.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while process::alive(pid) {
        if Instant::now() > deadline {
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_file(dir.join(PID));
    let _ = std::fs::remove_dir_all(dir.join("state"));
    println!("fleet: stopped");
    Ok(())
}

fn status(dir: &Path) -> anyhow::Result<()> {
    let Some(pid) = running_pid(dir) else {
        println!("fleet: nothing running");
        return Ok(());
    };
    // The fleet process itself hosts each member's load balancer: a leak there shows here.
    let own = process::rss_bytes(pid) as f64 / (1 << 20) as f64;
    println!("fleet: running (pid {pid}, {own:.1} MiB: the fleet process and its load balancers)");
    // Children of the fleet process, grouped by control plane (their --name/--kubeconfig dir).
    let out = Command::new("ps").args(["--ppid", &pid.to_string(), "-o", "pid=,rss=,args="]).output()?;
    let mut per_plane: std::collections::BTreeMap<String, u64> = Default::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split_whitespace();
        let (_pid, rss) = (parts.next(), parts.next().and_then(|r| r.parse::<u64>().ok()).unwrap_or(0));
        let args: Vec<&str> = parts.collect();
        let plane = args
            .iter()
            .find_map(|a| a.split('=').nth(1).filter(|v| v.contains("/state/")))
            .and_then(|v| v.split("/state/").nth(1))
            .and_then(|v| v.split('/').next())
            .unwrap_or("?")
            .to_string();
        let bin = args.first().map(|b| b.rsplit('/').next().unwrap_or(b)).unwrap_or("?");
        // An agent's arguments name other planes' files; group it by its own.
        let plane = match (bin, args.iter().find_map(|a| a.strip_prefix("--member-name="))) {
            ("hub-agent", _) => "hub".to_string(),
            (_, Some(member)) => member.to_string(),
            _ => plane,
        };
        println!("  {plane:<10} {bin:<24} {:>7.1} MiB", rss as f64 / 1024.0);
        *per_plane.entry(plane).or_default() += rss;
    }
    for (plane, rss) in per_plane {
        println!("  {plane:<10} total                    {:>7.1} MiB", rss as f64 / 1024.0);
    }
    Ok(())
}

/// The migration tutorial on the running fleet, a line per step and a live
/// line of the traffic split; fails if any step or any request fails.
fn tutorial(dir: &Path) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};

    use fleet::migration::{self, Line};
    let rt = tokio::runtime::Runtime::new()?;
    let outcome = rt.block_on(async {
        let hub = fleet::kubeconfig::client(&dir.join("hub.kubeconfig")).await?;
        let m1 = fleet::kubeconfig::client(&dir.join("member-1.kubeconfig")).await?;
        let m2 = fleet::kubeconfig::client(&dir.join("member-2.kubeconfig")).await?;
        // On a terminal the split is one live line; elsewhere (a log) a line per step.
        let tty = std::io::stdout().is_terminal();
        let text = move |requests: usize, failed: usize, window: &std::collections::BTreeMap<String, usize>| {
            let total = window.values().sum::<usize>().max(1);
            let share = |m: &str| window.get(m).copied().unwrap_or(0) * 100 / total;
            format!(
                "  traffic{}: member-1 {:>3}%  member-2 {:>3}%   ({requests} requests, {failed} failed)",
                if tty { "" } else { " during the step" },
                share("member-1"),
                share("member-2")
            )
        };
        migration::run(&hub, &m1, &m2, move |line| match line {
            Line::Step(s) => {
                if tty {
                    print!("\r\x1b[2K");
                }
                println!("demo: {s}");
            }
            Line::Split { requests, failed, window } if tty => {
                print!("\r\x1b[2K{}", text(requests, failed, &window));
                let _ = std::io::stdout().flush();
            }
            Line::Checkpoint { requests, failed, window } if !tty && window.values().sum::<usize>() > 0 => {
                println!("{}", text(requests, failed, &window))
            }
            _ => {}
        })
        .await
    });
    println!();
    let outcome = outcome?;
    println!(
        "demo: migrated test-app from member-1 to member-2: requests={} failed={}",
        outcome.requests, outcome.failed
    );
    anyhow::ensure!(outcome.failed == 0, "{} requests failed", outcome.failed);
    Ok(())
}

fn join(dir: &Path, member: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let hub = fleet::kubeconfig::client(&dir.join("hub.kubeconfig")).await?;
        fleet::agents::create_member_cluster(&hub, member, 60).await?;
        fleet::agents::wait_joined(&hub, member, Duration::from_secs(60)).await?;
        println!("{member} joined the fleet");
        Ok(())
    })
}

fn migrate(dir: &Path, args: MigrateArgs) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};

    use apis::{
        networking::{TrafficManagerBackend, TrafficManagerProfile},
        placement::{ClusterResourcePlacementMigration, MigrationPhase},
    };
    use futures::StreamExt;
    use kube::{
        Api,
        runtime::{WatchStreamExt, watcher},
    };

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-to-{}", args.placement, args.to.first().cloned().unwrap_or_default()));
    let traffic = match &args.backend {
        Some(b) => {
            let (ns, backend) = b.split_once('/').context("--backend is namespace/name")?;
            let steps: Vec<serde_json::Value> = args
                .steps
                .iter()
                .map(|w| serde_json::json!({"weight": w, "pauseSeconds": args.pause_seconds}))
                .collect();
            serde_json::json!({"backendRef": {"kind": "TrafficManagerBackend", "name": backend, "namespace": ns}, "steps": steps})
        }
        None => serde_json::Value::Null,
    };
    let crpm = serde_json::json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1alpha1",
        "kind": "ClusterResourcePlacementMigration",
        "metadata": {"name": name},
        "spec": {
            "placementName": args.placement,
            "from": {"clusterNames": args.from},
            "to": {"clusterNames": args.to},
            "traffic": traffic,
            "healthGates": [{"type": "PlacementAvailable"}],
            "sourceCleanup": {"policy": args.cleanup},
        },
    });
    let tty = std::io::stdout().is_terminal();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let hub = fleet::kubeconfig::client(&dir.join("hub.kubeconfig")).await?;
        // The load goes through the backend's profile, as a client of the application would.
        let load = match (&args.backend, args.load) {
            (Some(b), true) => {
                let (ns, backend) = b.split_once('/').expect("checked above");
                let b = Api::<TrafficManagerBackend>::namespaced(hub.clone(), ns).get(backend).await?;
                let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns);
                let addr: std::net::SocketAddr = fleet::wait::until("the application answering through its profile", Duration::from_secs(90), || async {
                    let p = profiles.get(&b.spec.profile.name).await?;
                    let Some(addr) = p.status.and_then(|s| s.proxy_address).and_then(|a| a.parse().ok()) else { return Ok(None) };
                    Ok(matches!(fleet::probe::get(addr, "/").await, Ok((200, _))).then_some(addr))
                })
                .await?;
                Some(fleet::load::Load::start(addr, Duration::from_millis(5)))
            }
            _ => None,
        };
        let text = serde_json::to_string(&crpm)?;
        fleet::apply::Applier::new(hub.clone()).apply_yaml(&text).await?;
        println!("migrate: created ClusterResourcePlacementMigration {name}: {} from {} to {}", args.placement, args.from.join(","), args.to.join(","));
        let api = Api::<ClusterResourcePlacementMigration>::all(hub.clone());
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut events = watcher(api, config).applied_objects().boxed();
        let mut last_phase = None;
        let counts = load.as_ref().map(|l| l.counts());
        let started = Instant::now();
        let end = loop {
            let m = match tokio::time::timeout(Duration::from_millis(500), events.next()).await {
                Ok(Some(Ok(m))) => m,
                Ok(Some(Err(e))) => bail!("watching the migration: {e}"),
                Ok(None) => bail!("the watch ended"),
                Err(_) => continue,
            };
            let st = m.status.clone().unwrap_or_default();
            if st.phase != last_phase {
                if tty {
                    print!("\r\x1b[2K");
                }
                let why = st.conditions.iter().find(|c| c.type_ == "Progressing").map(|c| c.message.clone()).unwrap_or_default();
                println!("migrate: {:>6.1}s  {:?}  {why}", started.elapsed().as_secs_f64(), st.phase.unwrap_or(MigrationPhase::Pending));
                last_phase = st.phase;
            }
            let weights: Vec<String> = st.clusters.iter().map(|c| format!("{} {}", c.cluster_name, c.weight.unwrap_or(0))).collect();
            let measured = st.measurements.clone().unwrap_or_default();
            let split = counts.as_ref().map(|c| {
                let o = c.now();
                let answered: Vec<String> = o.answered.iter().map(|(m, n)| format!("{m} {n}")).collect();
                format!("  load: {} ({} failed)", answered.join(", "), o.failed)
            });
            let line = format!(
                "  step {}/{} at {} %  export weights: {}  data plane: {} requests, {} failed{}",
                st.current_step.map_or(0, |s| s + 1),
                args.steps.len(),
                st.target_weight.unwrap_or(0),
                weights.join(", "),
                measured.requests,
                measured.failed_requests,
                split.unwrap_or_default()
            );
            if tty {
                print!("\r\x1b[2K{line}");
                let _ = std::io::stdout().flush();
            }
            if matches!(st.phase, Some(MigrationPhase::Succeeded | MigrationPhase::RolledBack | MigrationPhase::Failed)) {
                if !tty {
                    println!("{line}");
                }
                break st;
            }
        };
        println!();
        let outcome = match load {
            Some(l) => Some(l.stop().await),
            None => None,
        };
        let m = end.measurements.unwrap_or_default();
        println!(
            "migrate: {:?} in {:.1}s; the data plane counted {} requests, {} failed, longest outage {} ms, p99 {:?} ms (before: {:?} ms)",
            end.phase.unwrap_or(MigrationPhase::Pending),
            started.elapsed().as_secs_f64(),
            m.requests,
            m.failed_requests,
            m.longest_no_success_ms,
            m.p99_ms,
            m.baseline_p99_ms
        );
        if let Some(o) = &outcome {
            println!("migrate: the load saw {} requests, {} failed: {:?}", o.requests, o.failed, o.answered);
            anyhow::ensure!(o.failed == 0, "{} requests failed", o.failed);
        }
        anyhow::ensure!(end.phase == Some(MigrationPhase::Succeeded), "the migration ended {:?}", end.phase);
        Ok(())
    })
}
