//! One pass of a migration: from what the controller observed (`Facts`) to
//! the status it writes and what it makes true (`Action`s, each idempotent:
//! the controller writes only what differs). The phases:
//!
//! - **Pending**: checked once: the placement, clusters, backend, cleanup
//!   policy, and no other migration of the placement running. A refusal is
//!   `Accepted=False` with a reason; nothing moves, and it is checked again
//!   as things change.
//! - **Placing**: the export weights pinned at 0 % for the targets first
//!   (so a target never takes traffic unverified), the sources tainted for
//!   this placement, the targets added (PickFixed) or awaited (PickAll).
//! - **Verifying** (steps at 0 %) and **Shifting** (above 0 %): per step the
//!   weights are written, the data plane must serve them, every gate must
//!   pass, then the step's pause; a failing gate or a step past its timeout
//!   rolls back when automatic.
//! - **Draining**: `drain.minSeconds` and no request in flight to a source
//!   (at most `maxConnectionAgeSeconds`).
//! - **RetiringSource**: never while no target is Available; then per
//!   `sourceCleanup`: evictions (PickAll), the names removed (PickFixed), or
//!   the MemberCluster deleted (LeaveFleet).
//! - **RollingBack**: the sources get all the traffic back first, then the
//!   targets are evicted (and tainted, for PickAll) and the sources' taints
//!   removed. Pure.

use std::{collections::BTreeMap, time::Duration};

use apis::{
    conditions::{self, Status, placement as p},
    placement::{
        MigrationCluster, MigrationPhase, MigrationRole, MigrationSpec, MigrationStatus, PhaseRecord,
        SourceCleanupPolicy,
    },
};
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};

use super::{
    clusters::Resolved,
    gates::{self, Observed, Verdict},
    weights,
};

/// A placement's type, as far as a migration cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    PickAll,
    PickFixed,
    PickN,
}

/// A cluster the placement is bound to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placed {
    pub applied: bool,
    pub available: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    pub kind: Kind,
    /// Bound clusters.
    pub clusters: BTreeMap<String, Placed>,
}

/// The backend's side.
#[derive(Clone, Debug, PartialEq)]
pub enum Traffic {
    /// The migration shifts no traffic.
    None,
    /// The backend (or profile) is not there: why.
    Missing(String),
    Found {
        /// Each cluster's export weight as the backend's endpoints show it
        /// (a cluster at weight 0 is no endpoint).
        served: BTreeMap<String, i64>,
        /// The weights the override holds once its snapshot is taken (a
        /// placement made now carries them); None while it is not.
        pinned: Option<BTreeMap<String, i64>>,
    },
}

/// An eviction the migration made, by cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Eviction {
    /// Not decided yet, or blocked (a budget): why.
    Waiting(String),
    Executed,
    /// Refused for good: why.
    Invalid(String),
}

pub struct Facts<'a> {
    pub spec: &'a MigrationSpec,
    pub status: &'a MigrationStatus,
    pub generation: Option<i64>,
    pub now: Timestamp,
    pub deleting: bool,
    pub placement: Option<Placement>,
    /// The clusters as the spec selects them now (used while Pending).
    pub resolved: Result<Resolved, String>,
    pub traffic: Traffic,
    pub observed: Observed,
    pub evictions: BTreeMap<String, Eviction>,
    /// Another migration of the same placement that came first and is not done.
    pub competing: Option<String>,
    /// Requests in flight to each cluster's endpoints.
    pub in_flight: BTreeMap<String, i64>,
    /// For LeaveFleet: the MemberClusters still there, and the other placements bound on each.
    pub members: BTreeMap<String, Vec<String>>,
}

/// What the controller makes true; each is idempotent.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The weight override holds these export weights.
    Weights(Vec<(String, i64)>),
    /// The weight override is gone (the exports' own weights apply again).
    RemoveWeights,
    /// These clusters carry the migration taint for this placement (and only they).
    Taint(Vec<String>),
    /// A PickFixed placement names these clusters, added or removed.
    AddNames(Vec<String>),
    RemoveNames(Vec<String>),
    /// A ClusterResourcePlacementEviction of the placement from this cluster.
    Evict(String),
    /// The migration's eviction from this cluster is withdrawn unless it already executed.
    CancelEviction(String),
    /// The MemberCluster is deleted.
    LeaveFleet(String),
    /// The step's ApprovalRequest exists.
    RequestApproval(usize),
    /// From now on the data plane's latencies are the move's, not the baseline.
    Moving,
}

#[derive(Debug, PartialEq)]
pub struct Plan {
    pub status: MigrationStatus,
    pub actions: Vec<Action>,
    /// Look again after this long (a pause, a drain, a timeout); watches wake it otherwise.
    pub requeue: Option<Duration>,
    /// The finalizer may go (deleting, and everything is cleaned up).
    pub release: bool,
}

fn secs(n: i32) -> Duration {
    Duration::from_secs(n.max(0) as u64)
}

fn elapsed(since: Option<&Time>, now: Timestamp) -> Duration {
    since.and_then(|t| Duration::try_from(now - t.0).ok()).unwrap_or_default()
}

fn list(s: &str) -> Vec<String> {
    s.split(',').filter(|c| !c.is_empty()).map(String::from).collect()
}

struct Pass<'a> {
    f: &'a Facts<'a>,
    status: MigrationStatus,
    actions: Vec<Action>,
    requeue: Option<Duration>,
    from: Vec<String>,
    to: Vec<String>,
}

impl Pass<'_> {
    fn condition(&mut self, type_: &str, status: impl Into<Status>, reason: &str, message: impl Into<String>) {
        let mut c = conditions::new(type_, status, reason, message, self.f.generation);
        c.last_transition_time = Time(self.f.now);
        conditions::set(&mut self.status.conditions, c);
    }

    fn enter(&mut self, phase: MigrationPhase) {
        if self.status.phase != Some(phase) {
            self.status.phase = Some(phase);
            self.status.phases.push(PhaseRecord { phase, time: Time(self.f.now) });
        }
    }

    fn entered(&self, phase: MigrationPhase) -> Option<&Time> {
        self.status.phases.iter().rev().find(|r| r.phase == phase).map(|r| &r.time)
    }

    fn wake_in(&mut self, d: Duration) {
        let d = d.max(Duration::from_millis(50));
        self.requeue = Some(self.requeue.map_or(d, |r| r.min(d)));
    }

    fn hold(&mut self, reason: &str, message: impl Into<String>) {
        self.condition(p::MIGRATION_PROGRESSING, false, reason, message);
    }

    fn progressing(&mut self, message: impl Into<String>) {
        self.condition(p::MIGRATION_PROGRESSING, true, p::REASON_MIGRATION_PROGRESSING, message);
    }

    fn kind(&self) -> Option<Kind> {
        self.f.placement.as_ref().map(|p| p.kind)
    }

    fn bound(&self, c: &str) -> Option<&Placed> {
        self.f.placement.as_ref().and_then(|p| p.clusters.get(c))
    }

    fn with_traffic(&self) -> bool {
        self.f.spec.traffic.is_some()
    }

    /// The weights giving the targets `percent`, or nothing without traffic.
    fn weights(&mut self, percent: i32) {
        if self.with_traffic() {
            self.actions.push(Action::Weights(weights::export_weights(percent, &self.from, &self.to)));
        }
        self.status.target_weight = Some(percent);
    }

    /// Whether the override holds `percent`'s weights, its snapshot taken
    /// (trivially, without traffic).
    fn pinned(&self, percent: i32) -> bool {
        match &self.f.traffic {
            Traffic::Found { pinned, .. } => {
                let want: BTreeMap<String, i64> =
                    weights::export_weights(percent, &self.from, &self.to).into_iter().collect();
                pinned.as_ref() == Some(&want)
            }
            _ => !self.with_traffic(),
        }
    }

    /// Whether the data plane serves `percent` (trivially, without traffic).
    fn served(&self, percent: i32) -> bool {
        match &self.f.traffic {
            Traffic::Found { served, .. } => {
                self.pinned(percent)
                    && weights::export_weights(percent, &self.from, &self.to)
                        .iter()
                        .all(|(c, w)| served.get(c).copied().unwrap_or(0) == *w)
            }
            _ => !self.with_traffic(),
        }
    }

    /// Whether no target is an endpoint (trivially, without traffic), and
    /// the override, if there is one, gives them 0.
    fn targets_off(&self) -> bool {
        match &self.f.traffic {
            Traffic::Found { served, pinned } => {
                let zero = |m: &BTreeMap<String, i64>| self.to.iter().all(|c| m.get(c).copied().unwrap_or(0) == 0);
                pinned.as_ref().is_none_or(zero) && zero(served)
            }
            _ => true,
        }
    }

    fn steps(&self) -> Vec<i32> {
        match &self.f.spec.traffic {
            Some(t) => t.steps.iter().map(|s| s.weight).collect(),
            None => vec![100],
        }
    }

    fn pause(&self, step: usize) -> Duration {
        self.f.spec.traffic.as_ref().and_then(|t| t.steps.get(step)).map_or(Duration::ZERO, |s| secs(s.pause_seconds))
    }

    fn timeout(&self) -> Duration {
        secs(self.f.spec.rollback.step_timeout_seconds)
    }

    /// A step that cannot go on: roll back when automatic, else hold.
    fn failed(&mut self, reason: &str, message: String) {
        if self.f.spec.rollback.automatic {
            self.start_rollback(reason, message);
        } else {
            self.hold(reason, format!("{message}; rollback is not automatic: set abort to roll back"));
        }
    }

    fn start_rollback(&mut self, reason: &str, message: String) {
        self.condition(p::MIGRATION_PROGRESSING, false, reason, message.clone());
        self.condition(p::MIGRATION_SUCCEEDED, false, p::REASON_MIGRATION_ROLLING_BACK, message);
        self.enter(MigrationPhase::RollingBack);
        self.status.step_started = None;
        self.status.step_served = None;
        self.status.step_passed = None;
        self.rolling_back();
    }

    fn pending(&mut self) {
        let refuse = |s: &mut Self, reason: &str, message: String| {
            s.condition(p::MIGRATION_ACCEPTED, false, reason, message);
        };
        let f = self.f;
        if let Some(other) = &f.competing {
            return refuse(
                self,
                p::REASON_MIGRATION_ALREADY_RUNNING,
                format!("migration {other} of placement {} is under way", f.spec.placement_name),
            );
        }
        let Some(placement) = &f.placement else {
            return refuse(
                self,
                p::REASON_MIGRATION_PLACEMENT_NOT_FOUND,
                format!("placementName: placement {} not found", f.spec.placement_name),
            );
        };
        if placement.kind == Kind::PickN {
            return refuse(
                self,
                p::REASON_MIGRATION_PLACEMENT_NOT_SUPPORTED,
                "placementName: a PickN placement cannot be migrated yet (its scheduler, not the migration, picks the clusters); use PickAll or PickFixed".into(),
            );
        }
        let resolved = match &f.resolved {
            Ok(r) => r,
            Err(e) => return refuse(self, p::REASON_MIGRATION_INVALID_CLUSTERS, e.clone()),
        };
        if let Some(c) = resolved.from.iter().find(|c| !placement.clusters.contains_key(*c)) {
            return refuse(
                self,
                p::REASON_MIGRATION_SOURCE_NOT_PLACED,
                format!("from: placement {} is not on cluster {c}", f.spec.placement_name),
            );
        }
        if let Traffic::Missing(why) = &f.traffic {
            return refuse(self, p::REASON_MIGRATION_BACKEND_NOT_FOUND, why.clone());
        }
        let policy = f.spec.source_cleanup.policy;
        if matches!(policy, SourceCleanupPolicy::ScaleDownThenEvict | SourceCleanupPolicy::Abandon) {
            return refuse(
                self,
                p::REASON_MIGRATION_CLEANUP_NOT_SUPPORTED,
                format!("sourceCleanup.policy: {policy:?} is not supported yet; use Evict or LeaveFleet"),
            );
        }
        self.from = resolved.from.clone();
        self.to = resolved.to.clone();
        self.status.from_clusters = self.from.join(",");
        self.status.to_clusters = self.to.join(",");
        self.condition(
            p::MIGRATION_ACCEPTED,
            true,
            p::REASON_MIGRATION_ACCEPTED,
            format!(
                "moving placement {} from {} to {}",
                f.spec.placement_name,
                self.from.join(", "),
                self.to.join(", ")
            ),
        );
        self.condition(p::MIGRATION_SUCCEEDED, Status::Unknown, p::REASON_MIGRATION_PROGRESSING, "under way");
        self.enter(MigrationPhase::Placing);
        self.placing();
    }

    fn placing(&mut self) {
        let kind = self.kind().expect("checked while pending");
        self.weights(0);
        if kind == Kind::PickAll {
            self.actions.push(Action::Taint(self.from.clone()));
        }
        if !self.pinned(0) {
            let since = elapsed(self.entered(MigrationPhase::Placing), self.f.now);
            let message = "pinning the targets' export weights at 0 first".to_string();
            return self.wait_or_time_out(since, message);
        }
        if kind == Kind::PickFixed {
            self.actions.push(Action::AddNames(self.to.clone()));
        }
        let not_ready: Vec<String> = self
            .to
            .iter()
            .filter_map(|c| match self.bound(c) {
                None if kind == Kind::PickAll => {
                    Some(format!("{c} (not placed: is it selected by the placement's policy?)"))
                }
                None => Some(format!("{c} (not placed yet)")),
                Some(p) if !p.applied => Some(format!("{c} (not applied yet)")),
                Some(_) => None,
            })
            .collect();
        if not_ready.is_empty() {
            return self.next_step(0);
        }
        let since = elapsed(self.entered(MigrationPhase::Placing), self.f.now);
        let message = format!("waiting for the targets: {}", not_ready.join(", "));
        if since >= self.timeout() {
            return self.failed(p::REASON_MIGRATION_TIMED_OUT, format!("{message}, for {}s", since.as_secs()));
        }
        self.hold(p::REASON_MIGRATION_WAITING, message);
        self.wake_in(self.timeout() - since);
    }

    fn next_step(&mut self, step: usize) {
        let steps = self.steps();
        if step >= steps.len() {
            self.enter(MigrationPhase::Draining);
            return self.draining();
        }
        self.status.current_step = Some(step as i32);
        self.status.step_started = Some(Time(self.f.now));
        self.status.step_served = None;
        self.status.step_passed = None;
        self.shifting();
    }

    fn shifting(&mut self) {
        let step = self.status.current_step.unwrap_or(0).max(0) as usize;
        let steps = self.steps();
        let percent = steps.get(step).copied().unwrap_or(100);
        self.enter(if percent == 0 { MigrationPhase::Verifying } else { MigrationPhase::Shifting });
        if self.kind() == Some(Kind::PickAll) {
            self.actions.push(Action::Taint(self.from.clone()));
        }
        if self.kind() == Some(Kind::PickFixed) {
            self.actions.push(Action::AddNames(self.to.clone()));
        }
        self.weights(percent);
        if percent > 0 {
            self.actions.push(Action::Moving);
        }
        let now = self.f.now;
        let since = elapsed(self.status.step_started.as_ref(), now);
        let at = format!("step {} of {} ({percent} % to the targets)", step + 1, steps.len());
        if self.status.step_served.is_none() {
            if !self.served(percent) {
                let message = format!("{at}: waiting for the data plane to serve the weights");
                return self.wait_or_time_out(since, message);
            }
            self.status.step_served = Some(Time(now));
        }
        if self.f.spec.health_gates.iter().any(|g| g.type_ == apis::placement::HealthGateType::Approval) {
            self.actions.push(Action::RequestApproval(step));
        }
        match gates::verdict(&self.f.spec.health_gates, &self.f.observed, percent) {
            Verdict::Fail(why) => self.failed(p::REASON_MIGRATION_GATE_FAILED, format!("{at}: {why}")),
            Verdict::Wait(why) => {
                // The gates had passed: the wait starts now, not when the step did.
                if self.status.step_passed.take().is_some() {
                    self.status.step_started = Some(Time(now));
                }
                let since = elapsed(self.status.step_started.as_ref(), now);
                self.wait_or_time_out(since, format!("{at}: {why}"));
            }
            Verdict::Pass => {
                let passed = self.status.step_passed.get_or_insert(Time(now)).clone();
                let held = elapsed(Some(&passed), now);
                let pause = self.pause(step);
                if self.f.spec.suspend {
                    return self.hold(p::REASON_MIGRATION_SUSPENDED, format!("{at}: suspended"));
                }
                if held >= pause {
                    return self.next_step(step + 1);
                }
                self.progressing(format!("{at}: gates pass; holding {}s", pause.as_secs()));
                self.wake_in(pause - held);
            }
        }
    }

    fn wait_or_time_out(&mut self, since: Duration, message: String) {
        if since >= self.timeout() {
            return self.failed(p::REASON_MIGRATION_TIMED_OUT, format!("{message}, for {}s", since.as_secs()));
        }
        self.hold(p::REASON_MIGRATION_WAITING, message);
        self.wake_in(self.timeout() - since);
    }

    fn draining(&mut self) {
        self.weights(100);
        if self.kind() == Some(Kind::PickAll) {
            self.actions.push(Action::Taint(self.from.clone()));
        }
        let drain = self.f.spec.traffic.as_ref().and_then(|t| t.drain.clone()).unwrap_or_default();
        let since = elapsed(self.entered(MigrationPhase::Draining), self.f.now);
        let min = secs(drain.min_seconds);
        let in_flight: i64 = self.from.iter().map(|c| self.f.in_flight.get(c).copied().unwrap_or(0).max(0)).sum();
        // Requests in flight are waited for at most this long (by default, a step's timeout).
        let aged = since >= drain.max_connection_age_seconds.map_or(self.timeout(), secs);
        if since < min {
            self.progressing(format!("draining the sources for {}s", min.as_secs()));
            return self.wake_in(min - since);
        }
        if in_flight > 0 && !aged {
            self.progressing(format!("draining: {in_flight} requests in flight to the sources"));
            return self.wake_in(Duration::from_millis(200));
        }
        self.enter(MigrationPhase::RetiringSource);
        self.retiring();
    }

    fn retiring(&mut self) {
        self.weights(100);
        let kind = self.kind();
        if kind == Some(Kind::PickAll) {
            self.actions.push(Action::Taint(self.from.clone()));
        }
        let available = self.to.iter().any(|c| self.bound(c).is_some_and(|p| p.available));
        let policy = self.f.spec.source_cleanup.policy;
        let mut waiting = Vec::new();
        for c in self.from.clone() {
            match policy {
                SourceCleanupPolicy::LeaveFleet => {
                    let Some(others) = self.f.members.get(&c) else {
                        // Gone, its objects kept: a PickFixed placement stops naming it.
                        if kind == Some(Kind::PickFixed) {
                            self.actions.push(Action::RemoveNames(vec![c.clone()]));
                        }
                        continue;
                    };
                    if !others.is_empty() {
                        waiting.push(format!(
                            "{c} leaves the fleet once no other placement is on it ({})",
                            others.join(", ")
                        ));
                    } else if available {
                        self.actions.push(Action::LeaveFleet(c.clone()));
                        waiting.push(format!("{c} leaving the fleet"));
                    }
                }
                _ => {
                    if self.bound(&c).is_none() {
                        continue;
                    }
                    if !available {
                        continue;
                    }
                    if kind == Some(Kind::PickFixed) {
                        self.actions.push(Action::RemoveNames(vec![c.clone()]));
                        waiting.push(format!("{c} removed from the placement's clusterNames"));
                        continue;
                    }
                    self.actions.push(Action::Evict(c.clone()));
                    match self.f.evictions.get(&c) {
                        Some(Eviction::Waiting(why)) => waiting.push(format!("evicting {c}: {why}")),
                        Some(Eviction::Invalid(why)) => waiting.push(format!("evicting {c} refused: {why}")),
                        _ => waiting.push(format!("evicting {c}")),
                    }
                }
            }
        }
        if !available {
            return self.hold(p::REASON_MIGRATION_WAITING, "no target is Available: the sources stay until one is");
        }
        if waiting.is_empty() {
            self.enter(MigrationPhase::Succeeded);
            self.actions.retain(|a| !matches!(a, Action::Weights(_)));
            self.actions.push(Action::RemoveWeights);
            self.condition(p::MIGRATION_PROGRESSING, false, p::REASON_MIGRATION_SUCCEEDED, "done");
            let message = format!("placement {} moved to {}", self.f.spec.placement_name, self.to.join(", "));
            return self.condition(p::MIGRATION_SUCCEEDED, true, p::REASON_MIGRATION_SUCCEEDED, message);
        }
        self.hold(p::REASON_MIGRATION_WAITING, waiting.join("; "));
    }

    fn rolling_back(&mut self) {
        self.weights(0);
        let kind = self.kind();
        // The sources stay: an eviction of one still waiting (a budget) is withdrawn,
        // and a PickFixed placement names them again.
        for c in self.from.clone() {
            self.actions.push(Action::CancelEviction(c));
        }
        if kind == Some(Kind::PickFixed) {
            self.actions.push(Action::AddNames(self.from.clone()));
        }
        // What must hold before the targets leave: none of them is an endpoint
        // any more. The sources' own weights need not be served first (their
        // rollout may be what is stuck, behind an unavailable target).
        if !self.targets_off() {
            return self.hold(p::REASON_MIGRATION_ROLLING_BACK, "giving the sources all the traffic back");
        }
        let mut waiting = Vec::new();
        match kind {
            Some(Kind::PickFixed) => {
                self.actions.push(Action::RemoveNames(self.to.clone()));
                waiting.extend(self.to.iter().filter(|c| self.bound(c).is_some()).map(|c| format!("{c} unplacing")));
            }
            Some(_) => {
                // The targets keep away (the placement's policy would bring it back) and are evicted.
                self.actions.push(Action::Taint(self.to.clone()));
                for c in self.to.clone() {
                    if self.bound(&c).is_some() {
                        self.actions.push(Action::Evict(c.clone()));
                        match self.f.evictions.get(&c) {
                            Some(Eviction::Waiting(why)) => waiting.push(format!("evicting {c}: {why}")),
                            _ => waiting.push(format!("evicting {c}")),
                        }
                    }
                }
            }
            None => {}
        }
        if !waiting.is_empty() {
            return self.hold(p::REASON_MIGRATION_ROLLING_BACK, waiting.join("; "));
        }
        self.enter(MigrationPhase::RolledBack);
        self.actions.retain(|a| !matches!(a, Action::Weights(_)));
        self.actions.push(Action::RemoveWeights);
        self.status.target_weight = Some(0);
        let why = conditions::find(&self.status.conditions, p::MIGRATION_SUCCEEDED)
            .map(|c| c.message.clone())
            .unwrap_or_default();
        self.condition(p::MIGRATION_SUCCEEDED, false, p::REASON_MIGRATION_ROLLED_BACK, why);
        self.condition(
            p::MIGRATION_PROGRESSING,
            false,
            p::REASON_MIGRATION_ROLLED_BACK,
            format!("rolled back: {} serves the application", self.from.join(", ")),
        );
    }

    /// What a finished (or never started) migration leaves: its taints
    /// stay only on the sources of a success, the override goes.
    fn finished(&mut self) {
        let phase = self.status.phase;
        if phase != Some(MigrationPhase::Succeeded) && phase != Some(MigrationPhase::RolledBack) || self.f.deleting {
            let keep = if phase == Some(MigrationPhase::Succeeded) { self.from.clone() } else { vec![] };
            self.actions.push(Action::Taint(keep));
        }
        if phase == Some(MigrationPhase::RolledBack) && self.kind() == Some(Kind::PickAll) && !self.f.deleting {
            self.actions.push(Action::Taint(self.to.clone()));
        }
        if self.with_traffic() && !self.actions.contains(&Action::RemoveWeights) {
            self.actions.push(Action::RemoveWeights);
        }
    }

    fn clusters(&mut self) {
        let role = |c: &String| if self.to.contains(c) { MigrationRole::Target } else { MigrationRole::Source };
        let served = match &self.f.traffic {
            Traffic::Found { served, .. } => Some(served),
            _ => None,
        };
        self.status.clusters = self
            .from
            .iter()
            .chain(&self.to)
            .map(|c| {
                let placed = self.bound(c).cloned().unwrap_or_default();
                MigrationCluster {
                    cluster_name: c.clone(),
                    role: role(c),
                    applied: placed.applied,
                    available: placed.available,
                    ready_replicas: None,
                    desired_replicas: None,
                    weight: served.map(|s| s.get(c).copied().unwrap_or(0)),
                }
            })
            .collect();
    }
}

/// The migration's next status and actions.
pub fn step(f: &Facts) -> Plan {
    let mut pass = Pass {
        f,
        status: f.status.clone(),
        actions: Vec::new(),
        requeue: None,
        from: list(&f.status.from_clusters),
        to: list(&f.status.to_clusters),
    };
    pass.status.observed_generation = f.generation;
    let phase = f.status.phase.unwrap_or(MigrationPhase::Pending);
    let terminal = matches!(phase, MigrationPhase::Succeeded | MigrationPhase::RolledBack | MigrationPhase::Failed);
    let started = phase != MigrationPhase::Pending;
    let retired = phase == MigrationPhase::RetiringSource
        && pass.from.iter().any(|c| pass.bound(c).is_none() || f.evictions.get(c) == Some(&Eviction::Executed));
    if started && !terminal && f.placement.is_none() {
        pass.condition(
            p::MIGRATION_SUCCEEDED,
            false,
            p::REASON_MIGRATION_PLACEMENT_DELETED,
            format!("placement {} was deleted during the move", f.spec.placement_name),
        );
        pass.hold(p::REASON_MIGRATION_PLACEMENT_DELETED, "the placement was deleted");
        pass.enter(MigrationPhase::Failed);
    } else if started && !terminal && phase != MigrationPhase::RollingBack && (f.spec.abort || f.deleting) {
        if retired {
            pass.hold(
                p::REASON_MIGRATION_ABORTED,
                "a source is already retired: nothing to roll back to; the move finishes",
            );
            pass.retiring();
        } else {
            let (reason, why) = if f.deleting {
                (p::REASON_MIGRATION_DELETED, "the migration was deleted mid-way")
            } else {
                (p::REASON_MIGRATION_ABORTED, "abort was set")
            };
            pass.start_rollback(reason, why.into());
        }
    } else {
        match phase {
            MigrationPhase::Pending if f.deleting => {}
            MigrationPhase::Pending if f.spec.abort => {
                pass.hold(p::REASON_MIGRATION_ABORTED, "aborted before it started: nothing moved")
            }
            MigrationPhase::Pending => pass.pending(),
            MigrationPhase::Placing => pass.placing(),
            MigrationPhase::Verifying | MigrationPhase::Shifting => pass.shifting(),
            MigrationPhase::Draining => pass.draining(),
            MigrationPhase::RetiringSource => pass.retiring(),
            MigrationPhase::RollingBack => pass.rolling_back(),
            MigrationPhase::Succeeded | MigrationPhase::RolledBack | MigrationPhase::Failed => {}
        }
    }
    let now_terminal = matches!(
        pass.status.phase,
        Some(MigrationPhase::Succeeded | MigrationPhase::RolledBack | MigrationPhase::Failed)
    );
    // What a finished migration leaves is made so once, as it finishes (or is deleted).
    if now_terminal && !terminal
        || f.deleting && (now_terminal || pass.status.phase.is_none_or(|p| p == MigrationPhase::Pending))
    {
        pass.finished();
    }
    if !pass.from.is_empty() {
        pass.clusters();
    }
    let release = f.deleting && (now_terminal || pass.status.phase.is_none_or(|p| p == MigrationPhase::Pending));
    Plan { status: pass.status, actions: pass.actions, requeue: pass.requeue, release }
}

#[cfg(test)]
mod tests {
    use apis::placement::{HealthGate, MigrationTraffic, SourceClusters, TargetClusters, TrafficRef, TrafficStep};

    use super::*;

    fn v(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn spec(steps: &[i32], gates: Vec<HealthGate>) -> MigrationSpec {
        MigrationSpec {
            placement_name: "web".into(),
            from: SourceClusters { cluster_names: Some(v(&["m1"])), cluster_selector: None },
            to: TargetClusters { cluster_names: Some(v(&["m2"])), ..Default::default() },
            traffic: Some(MigrationTraffic {
                backend_ref: TrafficRef { name: "b".into(), namespace: "ns".into(), ..Default::default() },
                steps: steps.iter().map(|w| TrafficStep { weight: *w, pause_seconds: 0 }).collect(),
                drain: None,
            }),
            health_gates: gates,
            ..Default::default()
        }
    }

    /// A fleet that does at once what it is asked: weights are pinned and
    /// served, names added, evictions executed, members leave.
    struct World {
        kind: Kind,
        bound: BTreeMap<String, Placed>,
        pinned: Option<BTreeMap<String, i64>>,
        tainted: Vec<String>,
        evictions: BTreeMap<String, Eviction>,
        /// Clusters that become Available when placed.
        healthy: Vec<String>,
        /// Every weight map served, in order.
        history: Vec<BTreeMap<String, i64>>,
        /// Actions seen, in order.
        log: Vec<Action>,
        budget_blocks: bool,
        /// The MemberClusters still in the fleet.
        members: Vec<String>,
    }

    impl World {
        fn new(kind: Kind) -> Self {
            World {
                kind,
                bound: [("m1".to_string(), Placed { applied: true, available: true })].into(),
                pinned: None,
                tainted: vec![],
                evictions: BTreeMap::new(),
                healthy: v(&["m1", "m2"]),
                history: vec![],
                log: vec![],
                budget_blocks: false,
                members: v(&["m1", "m2"]),
            }
        }

        fn place(&mut self, c: &str) {
            let ok = self.healthy.contains(&c.to_string());
            self.bound.insert(c.into(), Placed { applied: true, available: ok });
        }

        fn apply(&mut self, actions: &[Action]) {
            for a in actions {
                self.log.push(a.clone());
                match a {
                    Action::Weights(w) => {
                        let w: BTreeMap<String, i64> = w.iter().cloned().collect();
                        if self.pinned.as_ref() != Some(&w) {
                            self.history.push(w.clone());
                        }
                        self.pinned = Some(w);
                    }
                    Action::RemoveWeights => self.pinned = None,
                    Action::Taint(c) => self.tainted = c.clone(),
                    Action::AddNames(c) => c.iter().for_each(|c| self.place(c)),
                    Action::RemoveNames(c) => c.iter().for_each(|c| {
                        self.bound.remove(c);
                    }),
                    Action::Evict(c) if self.budget_blocks => {
                        self.evictions.insert(c.clone(), Eviction::Waiting("budget".into()));
                    }
                    Action::Evict(c) => {
                        self.bound.remove(c);
                        self.evictions.insert(c.clone(), Eviction::Executed);
                    }
                    Action::LeaveFleet(c) => {
                        self.bound.remove(c);
                        self.members.retain(|m| m != c);
                    }
                    Action::CancelEviction(c) => {
                        if self.evictions.get(c) != Some(&Eviction::Executed) {
                            self.evictions.remove(c);
                        }
                    }
                    Action::RequestApproval(_) | Action::Moving => {}
                }
            }
            // A waiting eviction executes by itself once the budget allows (as Flotilla's do).
            if !self.budget_blocks {
                for (c, e) in self.evictions.iter_mut() {
                    if matches!(e, Eviction::Waiting(_)) {
                        self.bound.remove(c);
                        *e = Eviction::Executed;
                    }
                }
            }
            // PickAll places every untainted cluster by itself.
            if self.kind == Kind::PickAll {
                for c in ["m1", "m2"] {
                    if !self.tainted.contains(&c.to_string())
                        && !self.bound.contains_key(c)
                        && !self.evictions.contains_key(c)
                    {
                        self.place(c);
                    }
                }
            }
        }

        fn traffic(&self) -> Traffic {
            let served = self
                .pinned
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|(c, w)| *w > 0 && self.bound.contains_key(c))
                .collect();
            Traffic::Found { served, pinned: self.pinned.clone() }
        }
    }

    struct Run {
        spec: MigrationSpec,
        status: MigrationStatus,
        world: World,
        now: Timestamp,
        observed: Observed,
    }

    impl Run {
        fn new(kind: Kind, spec: MigrationSpec) -> Self {
            let world = World::new(kind);
            Run {
                spec,
                status: MigrationStatus::default(),
                world,
                now: Timestamp::from_second(1_000_000).unwrap(),
                observed: Observed::default(),
            }
        }

        fn pass(&mut self) -> Plan {
            let f = Facts {
                spec: &self.spec,
                status: &self.status,
                generation: Some(1),
                now: self.now,
                deleting: false,
                placement: Some(Placement { kind: self.world.kind, clusters: self.world.bound.clone() }),
                resolved: Ok(Resolved { from: v(&["m1"]), to: v(&["m2"]) }),
                traffic: self.world.traffic(),
                observed: Observed {
                    targets_available: self.world.bound.get("m2").is_some_and(|p| p.available),
                    ..self.observed.clone()
                },
                evictions: self.world.evictions.clone(),
                competing: None,
                in_flight: BTreeMap::new(),
                members: self.world.members.iter().map(|m| (m.clone(), vec![])).collect(),
            };
            let plan = step(&f);
            self.world.apply(&plan.actions);
            self.status = plan.status.clone();
            self.now += k8s_openapi::jiff::SignedDuration::from_secs(1);
            plan
        }

        /// Passes until the phase is `want` (at most 50).
        fn until(&mut self, want: MigrationPhase) {
            for _ in 0..50 {
                if self.status.phase == Some(want) {
                    return;
                }
                self.pass();
            }
            panic!("never reached {want:?}: {:?}\n{:?}", self.status, self.world.log);
        }

        fn phases(&self) -> Vec<MigrationPhase> {
            self.status.phases.iter().map(|r| r.phase).collect()
        }
    }

    fn w(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(c, w)| (c.to_string(), *w)).collect()
    }

    #[test]
    fn a_pick_all_move_walks_every_phase_and_the_targets_get_traffic_only_step_by_step() {
        let mut run = Run::new(Kind::PickAll, spec(&[0, 10, 50, 100], vec![HealthGate::default()]));
        run.until(MigrationPhase::Succeeded);
        use MigrationPhase::*;
        assert_eq!(run.phases(), [Placing, Verifying, Shifting, Draining, RetiringSource, Succeeded]);
        assert_eq!(
            run.world.history,
            [
                w(&[("m1", 1000), ("m2", 0)]),
                w(&[("m1", 900), ("m2", 100)]),
                w(&[("m1", 500), ("m2", 500)]),
                w(&[("m1", 0), ("m2", 1000)])
            ]
        );
        assert_eq!(run.world.tainted, v(&["m1"]), "the source stays tainted for this placement");
        assert!(!run.world.bound.contains_key("m1"), "the source was evicted");
        assert_eq!(run.world.pinned, None, "the weight override is gone");
        assert_eq!(run.status.target_weight, Some(100));
        assert!(conditions::is_true(&run.status.conditions, p::MIGRATION_SUCCEEDED));
        let evict = run.world.log.iter().position(|a| *a == Action::Evict("m1".into())).unwrap();
        let full = run
            .world
            .log
            .iter()
            .position(|a| *a == Action::Weights(vec![("m1".into(), 0), ("m2".into(), 1000)]))
            .unwrap();
        assert!(full < evict, "the source is evicted only after its traffic is gone");
        let cluster = |c: &str| run.status.clusters.iter().find(|x| x.cluster_name == c).cloned().unwrap();
        assert_eq!(cluster("m2").role, MigrationRole::Target);
        assert_eq!(cluster("m1").role, MigrationRole::Source);
    }

    #[test]
    fn a_pick_fixed_target_is_added_only_once_its_weight_is_pinned_at_zero() {
        let mut run = Run::new(Kind::PickFixed, spec(&[50, 100], vec![]));
        run.until(MigrationPhase::Succeeded);
        let pin = run.world.log.iter().position(|a| matches!(a, Action::Weights(_))).unwrap();
        let add = run.world.log.iter().position(|a| matches!(a, Action::AddNames(_))).unwrap();
        assert!(pin < add, "{:?}", run.world.log);
        assert!(run.world.log.contains(&Action::RemoveNames(v(&["m1"]))), "PickFixed retires by name, not eviction");
        assert!(!run.world.log.iter().any(|a| matches!(a, Action::Evict(_))));
        assert!(!run.world.log.iter().any(|a| matches!(a, Action::Taint(x) if !x.is_empty())));
    }

    #[test]
    fn a_failing_gate_rolls_back_weights_first_then_evicts_and_taints_the_targets() {
        let probe = HealthGate {
            type_: apis::placement::HealthGateType::Probe,
            probe: Some(apis::placement::ProbeGate {
                url: "/".into(),
                min_success_ratio: "0.9".into(),
                window_seconds: 1,
            }),
            ..Default::default()
        };
        let mut run = Run::new(Kind::PickAll, spec(&[0, 50, 100], vec![probe]));
        run.observed.probes = Some((10, 10));
        run.until(MigrationPhase::Shifting);
        run.observed.probes = Some((1, 10));
        run.until(MigrationPhase::RolledBack);
        assert_eq!(run.world.history.last(), Some(&w(&[("m1", 1000), ("m2", 0)])), "the source has all the traffic");
        let back = run
            .world
            .log
            .iter()
            .rposition(|a| *a == Action::Weights(vec![("m1".into(), 1000), ("m2".into(), 0)]))
            .unwrap();
        let evict = run.world.log.iter().position(|a| *a == Action::Evict("m2".into())).unwrap();
        assert!(back < evict, "weights go back before the target leaves");
        assert!(run.world.bound.contains_key("m1") && !run.world.bound.contains_key("m2"));
        assert_eq!(run.world.tainted, v(&["m2"]), "the target keeps away; the source is untainted");
        let c = conditions::find(&run.status.conditions, p::MIGRATION_SUCCEEDED).unwrap();
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", p::REASON_MIGRATION_ROLLED_BACK));
        assert!(c.message.contains("probes succeeded 1 of 10"), "{}", c.message);
        assert!(!run.world.log.contains(&Action::Evict("m1".into())), "the source is never evicted");
    }

    #[test]
    fn abort_mid_way_rolls_back_and_a_step_past_its_timeout_does_too() {
        let mut run = Run::new(
            Kind::PickAll,
            spec(
                &[0, 50, 100],
                vec![HealthGate { type_: apis::placement::HealthGateType::Approval, ..Default::default() }],
            ),
        );
        run.observed.approved = Some(true);
        run.until(MigrationPhase::Shifting);
        run.spec.abort = true;
        run.until(MigrationPhase::RolledBack);
        assert!(conditions::find(&run.status.conditions, p::MIGRATION_SUCCEEDED).unwrap().message.contains("abort"));

        // A target that never becomes Available: the PlacementAvailable gate waits until the timeout.
        let mut s = spec(&[0, 100], vec![HealthGate::default()]);
        s.rollback.step_timeout_seconds = 5;
        let mut run = Run::new(Kind::PickAll, s);
        run.world.healthy = v(&["m1"]);
        run.until(MigrationPhase::RolledBack);
        let c = conditions::find(&run.status.conditions, p::MIGRATION_SUCCEEDED).unwrap();
        assert!(c.message.contains("not yet Available on every target") && c.message.contains("for 5s"), "{c:?}");
        assert!(run.world.history.iter().all(|w| w["m2"] == 0), "the target never got traffic");

        // Not automatic: it holds, saying so.
        let mut s = spec(&[0, 100], vec![HealthGate::default()]);
        s.rollback = apis::placement::RollbackPolicy { automatic: false, step_timeout_seconds: 2 };
        let mut run = Run::new(Kind::PickAll, s);
        run.world.healthy = v(&["m1"]);
        for _ in 0..10 {
            run.pass();
        }
        assert_eq!(run.status.phase, Some(MigrationPhase::Verifying));
        assert!(
            conditions::find(&run.status.conditions, p::MIGRATION_PROGRESSING).unwrap().message.contains("set abort")
        );
    }

    #[test]
    fn a_budget_holds_the_eviction_and_no_source_leaves_while_no_target_is_available() {
        let mut run = Run::new(Kind::PickAll, spec(&[100], vec![]));
        run.world.budget_blocks = true;
        run.until(MigrationPhase::RetiringSource);
        for _ in 0..3 {
            run.pass();
        }
        assert_eq!(run.status.phase, Some(MigrationPhase::RetiringSource));
        assert!(conditions::find(&run.status.conditions, p::MIGRATION_PROGRESSING).unwrap().message.contains("budget"));
        run.world.budget_blocks = false;
        run.world.evictions.clear();
        run.until(MigrationPhase::Succeeded);

        // No gates, and the target never Available: the source stays.
        let mut run = Run::new(Kind::PickAll, spec(&[100], vec![]));
        run.world.healthy = v(&["m1"]);
        run.until(MigrationPhase::RetiringSource);
        for _ in 0..5 {
            run.pass();
        }
        assert_eq!(run.status.phase, Some(MigrationPhase::RetiringSource));
        assert!(!run.world.log.iter().any(|a| matches!(a, Action::Evict(_))));
    }

    #[test]
    fn bad_input_is_refused_with_a_reason_and_nothing_moves() {
        let s = spec(&[100], vec![]);
        let status = MigrationStatus::default();
        let base = || Facts {
            spec: &s,
            status: &status,
            generation: Some(1),
            now: Timestamp::from_second(1_000_000).unwrap(),
            deleting: false,
            placement: Some(Placement {
                kind: Kind::PickAll,
                clusters: [("m1".to_string(), Placed::default())].into(),
            }),
            resolved: Ok(Resolved { from: v(&["m1"]), to: v(&["m2"]) }),
            traffic: Traffic::Found { served: BTreeMap::new(), pinned: None },
            observed: Observed::default(),
            evictions: BTreeMap::new(),
            competing: None,
            in_flight: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        let refused = |f: Facts| {
            let plan = step(&f);
            assert!(plan.actions.is_empty(), "{:?}", plan.actions);
            assert_eq!(plan.status.phase, None);
            let c = conditions::find(&plan.status.conditions, p::MIGRATION_ACCEPTED).unwrap().clone();
            assert_eq!(c.status, "False");
            (c.reason, c.message)
        };
        assert_eq!(refused(Facts { placement: None, ..base() }).0, p::REASON_MIGRATION_PLACEMENT_NOT_FOUND);
        let pick_n = Placement { kind: Kind::PickN, clusters: BTreeMap::new() };
        assert_eq!(refused(Facts { placement: Some(pick_n), ..base() }).0, p::REASON_MIGRATION_PLACEMENT_NOT_SUPPORTED);
        let (r, m) = refused(Facts { resolved: Err("to: cluster m2 is also in from".into()), ..base() });
        assert_eq!((r.as_str(), m.as_str()), (p::REASON_MIGRATION_INVALID_CLUSTERS, "to: cluster m2 is also in from"));
        let (r, m) = refused(Facts { traffic: Traffic::Missing("traffic.backendRef: not found".into()), ..base() });
        assert_eq!(r, p::REASON_MIGRATION_BACKEND_NOT_FOUND);
        assert!(m.starts_with("traffic.backendRef"));
        assert_eq!(refused(Facts { competing: Some("first".into()), ..base() }).0, p::REASON_MIGRATION_ALREADY_RUNNING);
        let elsewhere = Placement { kind: Kind::PickAll, clusters: [("m3".to_string(), Placed::default())].into() };
        assert_eq!(refused(Facts { placement: Some(elsewhere), ..base() }).0, p::REASON_MIGRATION_SOURCE_NOT_PLACED);
        let accepted = step(&base());
        assert_eq!(accepted.status.phase, Some(MigrationPhase::Placing));
    }

    #[test]
    fn leave_fleet_waits_for_the_sources_other_placements() {
        let mut s = spec(&[100], vec![]);
        s.source_cleanup.policy = SourceCleanupPolicy::LeaveFleet;
        let mut run = Run::new(Kind::PickAll, s);
        run.until(MigrationPhase::RetiringSource);
        let f = |members: BTreeMap<String, Vec<String>>, run: &Run| {
            step(&Facts {
                spec: &run.spec,
                status: &run.status,
                generation: Some(1),
                now: run.now,
                deleting: false,
                placement: Some(Placement { kind: Kind::PickAll, clusters: run.world.bound.clone() }),
                resolved: Ok(Resolved { from: v(&["m1"]), to: v(&["m2"]) }),
                traffic: run.world.traffic(),
                observed: Observed { targets_available: true, ..Default::default() },
                evictions: BTreeMap::new(),
                competing: None,
                in_flight: BTreeMap::new(),
                members,
            })
        };
        let held = f([("m1".to_string(), v(&["db"]))].into(), &run);
        assert!(!held.actions.iter().any(|a| matches!(a, Action::LeaveFleet(_))));
        assert!(conditions::find(&held.status.conditions, p::MIGRATION_PROGRESSING).unwrap().message.contains("db"));
        let leaving = f([("m1".to_string(), vec![])].into(), &run);
        assert!(leaving.actions.contains(&Action::LeaveFleet("m1".into())));
        assert!(!leaving.actions.iter().any(|a| matches!(a, Action::Evict(_))), "its objects stay on it");
        let gone = f(BTreeMap::new(), &run);
        assert_eq!(gone.status.phase, Some(MigrationPhase::Succeeded));
    }

    #[test]
    fn a_rollback_removes_the_targets_once_they_are_off_even_if_the_sources_weights_are_not_served() {
        let s = spec(&[0, 100], vec![]);
        let status = MigrationStatus {
            phase: Some(MigrationPhase::RollingBack),
            from_clusters: "m1".into(),
            to_clusters: "m2".into(),
            ..Default::default()
        };
        let facts = |served: BTreeMap<String, i64>| Facts {
            spec: &s,
            status: &status,
            generation: Some(1),
            now: Timestamp::from_second(1_000_000).unwrap(),
            deleting: false,
            placement: Some(Placement {
                kind: Kind::PickFixed,
                clusters: [("m1".to_string(), Placed::default()), ("m2".to_string(), Placed::default())].into(),
            }),
            resolved: Ok(Resolved { from: v(&["m1"]), to: v(&["m2"]) }),
            // The sources' rollout is stuck behind the unavailable target: m1 still at its old weight.
            traffic: Traffic::Found { served, pinned: Some(w(&[("m1", 1000), ("m2", 0)])) },
            observed: Observed::default(),
            evictions: BTreeMap::new(),
            competing: None,
            in_flight: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        let plan = step(&facts(w(&[("m1", 1)])));
        assert!(plan.actions.contains(&Action::RemoveNames(v(&["m2"]))), "{:?}", plan.actions);
        let held = step(&facts(w(&[("m1", 1), ("m2", 5)])));
        assert!(!held.actions.iter().any(|a| matches!(a, Action::RemoveNames(_))), "m2 still takes traffic");
    }

    #[test]
    fn abort_while_a_budget_holds_the_source_eviction_withdraws_it_and_the_source_stays() {
        let mut run = Run::new(Kind::PickAll, spec(&[100], vec![]));
        run.world.budget_blocks = true;
        run.until(MigrationPhase::RetiringSource);
        run.pass();
        assert_eq!(run.world.evictions.get("m1"), Some(&Eviction::Waiting("budget".into())));
        run.spec.abort = true;
        run.world.budget_blocks = false;
        run.until(MigrationPhase::RolledBack);
        assert!(run.world.log.contains(&Action::CancelEviction("m1".into())));
        assert!(run.world.bound.contains_key("m1"), "the source stays: {:?}", run.world.bound);
        assert!(!run.world.evictions.contains_key("m1"), "its eviction was withdrawn before the budget let it run");
    }
}
