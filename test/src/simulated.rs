//! Stand-ins for member agents' reports, for hub-side tests and benchmarks
//! until (and besides) real applying: each Work's new generation is reported
//! Applied and Available after a delay, as a member agent would once its
//! objects were up. Nothing is applied anywhere; only the hub sees this.

use std::{sync::Arc, time::Duration};

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{Work, WorkStatus},
};
use futures::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;
use tokio::task::JoinHandle;

/// Reports the Works of the placements `accept` says yes to, `delay` after
/// each new generation appears. Stops when dropped.
pub struct WorkReporter {
    task: JoinHandle<()>,
}

impl Drop for WorkReporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether a Work's Available condition speaks for its current generation.
pub fn available(w: &Work) -> bool {
    let conds = w.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    conditions::find(conds, p::AVAILABLE)
        .is_some_and(|c| c.status == "True" && c.observed_generation == w.metadata.generation)
}

/// The status a member agent would write for `w` once it is applied and available.
pub fn reported(w: &Work) -> WorkStatus {
    let g = w.metadata.generation;
    WorkStatus {
        conditions: vec![
            conditions::new(p::APPLIED, Status::True, p::REASON_WORK_APPLIED_COMPLETED, "simulated", g),
            conditions::new(p::AVAILABLE, Status::True, p::REASON_WORK_AVAILABLE, "simulated", g),
        ],
        manifest_conditions: vec![],
    }
}

impl WorkReporter {
    pub fn start(hub: Client, delay: Duration, accept: impl Fn(&Work) -> bool + Send + Sync + 'static) -> Self {
        let accept = Arc::new(accept);
        let task = tokio::spawn(async move {
            let api: Api<Work> = Api::all(hub.clone());
            let cfg = watcher::Config::default().labels(labels::PLACEMENT_TRACKING);
            let mut works = std::pin::pin!(watcher(api, cfg).default_backoff().applied_objects());
            while let Some(ev) = works.next().await {
                let Ok(w) = ev else { continue };
                if available(&w) || w.metadata.deletion_timestamp.is_some() || !accept(&w) {
                    continue;
                }
                let hub = hub.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let api: Api<Work> = Api::namespaced(hub, &w.namespace().unwrap_or_default());
                    let patch = json!({ "status": reported(&w) });
                    // A newer generation in the meantime gets its own report.
                    let _ = api.patch_status(&w.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await;
                });
            }
        });
        Self { task }
    }
}

/// Member clusters without control planes: each has a MemberCluster on the
/// hub and a stand-in agent that heartbeats its InternalMemberCluster (Joined,
/// Healthy, a node count), so the hub schedules onto it. For benchmarks of the
/// hub at a scale this machine cannot run real members for.
pub struct SimulatedMembers {
    pub names: Vec<String>,
    task: JoinHandle<()>,
}

impl Drop for SimulatedMembers {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn heartbeat_status(generation: Option<i64>) -> serde_json::Value {
    use apis::conditions::cluster as c;
    // Whole seconds, as metav1.Time is written by a real agent.
    let now = k8s_openapi::jiff::Timestamp::from_second(k8s_openapi::jiff::Timestamp::now().as_second()).expect("now");
    json!({ "status": {
        "agentStatus": [{
            "type": "MemberAgent",
            "conditions": [
                conditions::new(c::JOINED, Status::True, c::REASON_AGENT_JOINED, "simulated", generation),
                conditions::new(c::HEALTHY, Status::True, c::REASON_AGENT_HEALTHY, "simulated", generation),
            ],
            "lastReceivedHeartbeat": now.to_string(),
        }],
        "properties": {"kubernetes-fleet.io/node-count": {"value": "2", "observationTime": now.to_string()}},
    }})
}

impl SimulatedMembers {
    /// Creates `count` members named `<prefix>-NNN` and keeps them heartbeating
    /// every `period`; returns once all have joined.
    pub async fn join(hub: Client, prefix: &str, count: usize, period: Duration) -> anyhow::Result<Self> {
        use apis::cluster::MemberClusterSpec;
        let names: Vec<String> = (1..=count).map(|i| format!("{prefix}-{i:03}")).collect();
        let creates = names.iter().map(|n| {
            crate::agents::create_member_cluster_with(&hub, n, MemberClusterSpec::for_user(n, period.as_secs() as i32))
        });
        futures::future::try_join_all(creates).await?;
        // Until every InternalMemberCluster exists and took a heartbeat.
        crate::wait::until("simulated members to get their InternalMemberClusters", Duration::from_secs(120), || {
            let (hub, names) = (hub.clone(), names.clone());
            async move { Ok((beat(hub, names).await == count).then_some(())) }
        })
        .await?;
        for n in &names {
            crate::agents::wait_joined(&hub, n, Duration::from_secs(120)).await?;
        }
        let task = {
            let (hub, names) = (hub.clone(), names.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(period).await;
                    beat(hub.clone(), names.clone()).await;
                }
            })
        };
        Ok(Self { names, task })
    }
}

/// One heartbeat from every simulated member; how many landed.
async fn beat(hub: Client, names: Vec<String>) -> usize {
    use apis::cluster::{InternalMemberCluster, member_namespace};
    let beats = names.into_iter().map(|n| {
        let api: Api<InternalMemberCluster> = Api::namespaced(hub.clone(), &member_namespace(&n));
        async move {
            let Ok(Some(imc)) = api.get_opt(&n).await else { return false };
            let patch = heartbeat_status(imc.metadata.generation);
            api.patch_status(&n, &PatchParams::default(), &Patch::Merge(&patch)).await.is_ok()
        }
    });
    futures::stream::iter(beats).buffer_unordered(16).filter(|ok| futures::future::ready(*ok)).count().await
}
