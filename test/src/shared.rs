//! One fleet per test binary, started by the first test that asks for it and
//! stopped when the binary exits. Tests isolate themselves by their own
//! namespaces and names.

use std::{
    io::Write,
    net::SocketAddr,
    path::PathBuf,
    sync::{Mutex, OnceLock},
};

use crate::{
    Fleet, FleetOptions,
    agents::{AgentOptions, Hub},
    kubeconfig,
};

/// What a test needs to reach one control plane.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub server: String,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    pub async fn client(&self) -> kube::Client {
        kubeconfig::client(&self.kubeconfig).await.unwrap_or_else(|e| panic!("client for {}: {e:#}", self.name))
    }
}

#[derive(Clone, Debug)]
pub struct SharedFleet {
    pub hub: Cluster,
    pub members: Vec<Cluster>,
    pub dir: PathBuf,
    pub startup: std::time::Duration,
    /// How agents reach the hub, to start more of them.
    pub hub_endpoint: Hub,
    /// The hub agent's admin address (/metrics).
    pub hub_agent: SocketAddr,
    /// Each member agent's admin address, by member name.
    pub member_agents: Vec<(String, SocketAddr)>,
    pub agent_options: AgentOptions,
}

static FLEET: Mutex<Option<Fleet>> = Mutex::new(None);
static INFO: OnceLock<Result<SharedFleet, String>> = OnceLock::new();

extern "C" fn stop_at_exit() {
    if let Ok(mut f) = FLEET.lock() {
        drop(f.take());
    }
}

/// The test binary's fleet: a hub and `FLOTILLA_TEST_MEMBERS` (default 3) members.
/// Panics, in every test that asks, if it could not start.
pub fn fleet() -> &'static SharedFleet {
    fleet_of(std::env::var("FLOTILLA_TEST_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3))
}

/// The test binary's fleet with `members` real members (0: a hub and its
/// agent, for tests on simulated members). A binary uses one size.
pub fn fleet_of(members: usize) -> &'static SharedFleet {
    let r = INFO.get_or_init(|| {
        // A runtime of its own on a thread of its own: tests run on their own runtimes.
        let started = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
            rt.block_on(Fleet::start(FleetOptions {
                members,
                agents: Some(AgentOptions::for_tests()),
                ..Default::default()
            }))
        })
        .join()
        .expect("the fleet start thread");
        match started {
            Ok(f) => {
                let cluster = |cp: &crate::ControlPlane| Cluster {
                    name: cp.name.clone(),
                    server: cp.server.clone(),
                    kubeconfig: cp.kubeconfig.clone(),
                };
                let info = SharedFleet {
                    hub: cluster(&f.hub),
                    members: f.members.iter().map(cluster).collect(),
                    dir: f.dir.clone(),
                    startup: f.startup,
                    hub_endpoint: Hub::of(&f.hub),
                    hub_agent: f.hub_agent.as_ref().map(|a| a.admin).expect("the test fleet runs agents"),
                    member_agents: f.member_agents.iter().map(|(n, a)| (n.clone(), a.admin)).collect(),
                    agent_options: AgentOptions::for_tests(),
                };
                *FLEET.lock().expect("fleet lock") = Some(f);
                // SAFETY: registering a plain extern "C" function.
                unsafe { libc::atexit(stop_at_exit) };
                // Straight to stderr, past libtest's capture: CI logs show a real fleet ran.
                let _ = writeln!(
                    std::io::stderr(),
                    "fleet: hub + {members} members started in {:.1?} under {}",
                    info.startup,
                    info.dir.display()
                );
                Ok(info)
            }
            Err(e) => Err(format!("{e:#}")),
        }
    });
    match r {
        Ok(f) => f,
        Err(e) => panic!("the local fleet did not start: {e}"),
    }
}
