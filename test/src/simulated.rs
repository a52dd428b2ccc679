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
