//! A hub and N members, started in parallel, with Flotilla's CRDs installed.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context;

use crate::{
    ControlPlane, Role,
    agents::{self, AgentOptions, Hub, RunningAgent},
    process,
};

pub const HUB: &str = "hub";

pub fn member_name(i: usize) -> String {
    format!("member-{i}")
}

#[derive(Clone, Debug)]
pub struct FleetOptions {
    pub members: usize,
    pub nodes_per_member: usize,
    /// Where state goes; `None` makes a temporary directory, removed on drop.
    pub dir: Option<PathBuf>,
    /// Run the hub agent and one member agent per member (and join them);
    /// `None` for bare control planes.
    pub agents: Option<AgentOptions>,
    /// How many members join at start (their MemberClusters created); the
    /// others' agents run, waiting for a MemberCluster. `None`: all.
    pub joined: Option<usize>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        Self { members: 2, nodes_per_member: 2, dir: None, agents: Some(AgentOptions::default()), joined: None }
    }
}

pub struct Fleet {
    pub hub: ControlPlane,
    pub members: Vec<ControlPlane>,
    pub dir: PathBuf,
    /// How long `start` took, from the first process to every member Joined.
    pub startup: Duration,
    pub hub_agent: Option<RunningAgent>,
    /// Member agents, by member name.
    pub member_agents: Vec<(String, RunningAgent)>,
    temp: Option<tempfile::TempDir>,
}

impl Fleet {
    pub async fn start(opts: FleetOptions) -> anyhow::Result<Self> {
        let began = Instant::now();
        let (dir, temp) = match &opts.dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.clone(), None)
            }
            None => {
                sweep_stale_temp_dirs();
                let t = tempfile::Builder::new().prefix(&format!("{TEMP_PREFIX}{}-", std::process::id())).tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let hub_dir = dir.join(HUB);
        let hub = ControlPlane::start(HUB, Role::Hub, &hub_dir, 0);
        let members = futures::future::try_join_all((1..=opts.members).map(|i| {
            let name = member_name(i);
            let d = dir.join(&name);
            async move { ControlPlane::start(&name, Role::Member, &d, opts.nodes_per_member).await }
        }));
        let (hub, members) = futures::try_join!(hub, members)?;

        let (hub_crds, member_crds) = (apis::crd::all(), apis::crd::member());
        let installs =
            std::iter::once(hub.install_crds(&hub_crds)).chain(members.iter().map(|m| m.install_crds(&member_crds)));
        futures::future::try_join_all(installs).await.context("installing CRDs")?;
        // The cloud's load balancer for each member's LoadBalancer Services.
        for (i, m) in members.iter().enumerate() {
            crate::loadbalancer::spawn(m.kubeconfig.clone(), m.name.clone(), i + 1);
        }

        let mut fleet =
            Self { hub, members, dir, startup: Duration::ZERO, hub_agent: None, member_agents: Vec::new(), temp };
        if let Some(agents) = &opts.agents {
            fleet.start_agents(agents, opts.joined.unwrap_or(opts.members)).await?;
        }
        fleet.startup = began.elapsed();
        Ok(fleet)
    }

    /// Starts the hub agent, then per member its MemberCluster and agent, and
    /// waits until every member has joined.
    async fn start_agents(&mut self, opts: &AgentOptions, joined: usize) -> anyhow::Result<()> {
        let hub = Hub::of(&self.hub);
        let agents_dir = self.dir.join("agents");
        std::fs::create_dir_all(&agents_dir)?;
        self.hub_agent = Some(agents::start_hub_agent(&hub, &agents_dir, opts).await?);
        let client = self.hub.client().await?;
        for (i, m) in self.members.iter().enumerate() {
            if i < joined {
                agents::create_member_cluster(&client, &m.name, opts.heartbeat_period_seconds).await?;
            }
            let agent = agents::start_member_agent(&hub, &m.name, &m.kubeconfig, &agents_dir)?;
            self.member_agents.push((m.name.clone(), agent));
        }
        let joins =
            self.members.iter().take(joined).map(|m| agents::wait_joined(&client, &m.name, Duration::from_secs(60)));
        let hub_admin = self.hub_agent.as_ref().map(|a| a.admin).expect("started above");
        let ready = crate::wait::until("the hub agent to be ready", Duration::from_secs(60), || async move {
            Ok((crate::probe::get(hub_admin, "/readyz").await.ok().map(|r| r.0) == Some(200)).then_some(()))
        });
        let joined = async { futures::future::try_join_all(joins).await.map(|_| ()) };
        if let Err(e) = futures::future::try_join(joined, ready).await {
            let logs: Vec<String> = std::iter::once(self.hub_agent.as_ref().map(|a| &a.process))
                .flatten()
                .chain(self.member_agents.iter().map(|(_, a)| &a.process))
                .map(|p| format!("--- {}:\n{}", p.name, p.log_tail(15)))
                .collect();
            anyhow::bail!("{e:#}\n{}", logs.join("\n"));
        }
        Ok(())
    }

    pub fn member(&self, name: &str) -> Option<&ControlPlane> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Every control plane, hub first.
    pub fn all(&self) -> impl Iterator<Item = &ControlPlane> {
        std::iter::once(&self.hub).chain(self.members.iter())
    }

    /// Stops all processes of all control planes at once, then removes a temporary directory.
    pub fn stop(&mut self) {
        // Agents first, so none of them sees its API server vanish.
        for (_, a) in &self.member_agents {
            a.process.terminate();
        }
        if let Some(a) = &self.hub_agent {
            a.process.terminate();
        }
        self.member_agents.clear();
        self.hub_agent = None;
        for cp in std::iter::once(&mut self.hub).chain(self.members.iter_mut()) {
            cp.stop();
        }
        if let Some(t) = self.temp.take() {
            let _ = t.close();
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop();
    }
}

const TEMP_PREFIX: &str = "flotilla-fleet-";

/// Removes temporary fleet directories whose owning process is gone (it was
/// killed before it could clean up; its children died with it).
fn sweep_stale_temp_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(TEMP_PREFIX).and_then(|r| r.split('-').next()).and_then(|p| p.parse().ok())
        else {
            continue;
        };
        if !process::alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `<dir>/<name>.kubeconfig` for every control plane (admin identity).
pub fn export_kubeconfigs(fleet: &Fleet, dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    fleet
        .all()
        .map(|cp| {
            let to = dir.join(format!("{}.kubeconfig", cp.name));
            std::fs::copy(&cp.kubeconfig, &to).with_context(|| format!("writing {}", to.display()))?;
            Ok((cp.name.clone(), to))
        })
        .collect()
}
