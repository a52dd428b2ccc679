//! Nothing outlives the harness: the fleet's processes die with the process
//! that started them, whether it is stopped (SIGTERM, as `make fleet-down`
//! does) or killed outright (SIGKILL, as a crashed test binary would be).

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fleet::{process::alive, wait};

const TIMEOUT: Duration = Duration::from_secs(90);

/// Pids of processes whose command line mentions `dir`.
fn processes_under(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}

/// The `fleet` process, killed if the test fails before it is stopped.
struct FleetProcess(Child);

impl Drop for FleetProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_fleet(dir: &Path) -> (FleetProcess, Vec<u32>) {
    let ready = dir.join("ready");
    // A killed fleet leaves its `ready` behind; don't mistake it for this one's.
    let _ = std::fs::remove_file(&ready);
    let fleet = Command::new(env!("CARGO_BIN_EXE_fleet"))
        .args(["--dir", &dir.display().to_string(), "up", "--foreground", "--members", "1", "--nodes-per-member", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut fleet = FleetProcess(fleet);
    wait::until("the fleet to be ready", TIMEOUT, || {
        let exited = fleet.0.try_wait().unwrap();
        let ready = ready.exists();
        async move {
            anyhow::ensure!(exited.is_none(), "the fleet exited early: {exited:?}");
            Ok(ready.then_some(()))
        }
    })
    .await
    .unwrap();
    let children: Vec<u32> = processes_under(&dir.join("state")).into_iter().filter(|p| *p != fleet.0.id()).collect();
    // hub: etcd, kube-apiserver, kube-controller-manager, hub-agent;
    // member: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, member-agent.
    assert_eq!(children.len(), 10, "expected 10 fleet processes under {}, found {children:?}", dir.display());
    (fleet, children)
}

async fn all_gone(children: &[u32]) {
    wait::until("every control-plane process to exit", TIMEOUT, || async {
        Ok(children.iter().all(|p| !alive(*p) || is_zombie(*p)).then_some(()))
    })
    .await
    .unwrap();
}

/// A zombie has exited; only its parent's wait is missing (here: the parent is gone, init reaps it).
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

#[tokio::test]
async fn fleet_processes_die_with_the_harness() {
    let dir = tempfile::tempdir().unwrap();

    // Killed outright: PR_SET_PDEATHSIG takes every child down with it. The
    // second start reuses the directory, as `make fleet-up` after a crash would.
    let (mut fleet, children) = start_fleet(dir.path()).await;
    fleet.0.kill().unwrap();
    fleet.0.wait().unwrap();
    all_gone(&children).await;

    // Stopped: children are terminated and the state directory removed.
    let (mut fleet, children) = start_fleet(dir.path()).await;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(fleet.0.id() as libc::pid_t, libc::SIGTERM) };
    let status = fleet.0.wait().unwrap();
    assert!(status.success(), "the fleet exits cleanly on SIGTERM: {status}");
    all_gone(&children).await;
    assert!(!dir.path().join("state").exists(), "state removed on a clean stop");
}
