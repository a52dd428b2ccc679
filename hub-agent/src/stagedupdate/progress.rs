//! One step of a running update run, as KubeFleet executes it: stages in
//! order; before a stage, its Approval; within it, up to `maxConcurrency`
//! clusters at a time are bound to the run's resource snapshot, each done
//! once its binding is Available at its generation; after it, a TimedWait
//! (counted from when its last cluster finished) and an Approval; last, the
//! bindings of clusters the placement no longer selects are deleted. The
//! step returns the status to write and what to do; the controller does it.
//! Pure.

use std::{collections::BTreeMap, time::Duration};

use apis::{
    conditions::{self, Status, placement as p},
    placement::{
        ClusterUpdatingStatus, StageConfig, StageTask, StageTaskStatus, StageTaskType, StageUpdatingStatus,
        UpdateRunState, UpdateRunStatus,
    },
};
use k8s_openapi::{
    apimachinery::pkg::{
        apis::meta::v1::{Condition, Time},
        util::intstr::IntOrString,
    },
    jiff::Timestamp,
};

/// What the run knows of a cluster's binding.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClusterFact {
    /// Bound to the run's resource snapshot and overrides, and Available
    /// (or DiffReported) at its generation.
    pub succeeded: bool,
}

pub struct Input<'a> {
    pub run: &'a str,
    pub generation: Option<i64>,
    pub now: Timestamp,
    pub state: UpdateRunState,
    pub status: &'a UpdateRunStatus,
    /// The placement's bindings, by cluster.
    pub clusters: &'a BTreeMap<String, ClusterFact>,
    /// Approval requests by name: whether Approved is True.
    pub approvals: &'a BTreeMap<String, bool>,
}

#[derive(Debug, PartialEq)]
pub enum Action {
    /// Bind the cluster's binding to the run's resource snapshot.
    Bind(String),
    /// Create approval request `name` for `stage` (`beforeStage`/`afterStage`).
    RequestApproval { name: String, stage: String, task_type: &'static str },
    /// Mark approval request `name` ApprovalAccepted.
    AcceptApproval(String),
    /// Delete the cluster's binding (the deletion stage).
    Unbind(String),
}

#[derive(Debug, PartialEq)]
pub struct Step {
    pub status: UpdateRunStatus,
    pub actions: Vec<Action>,
    /// When to look again without an event (a TimedWait).
    pub requeue: Option<Duration>,
}

/// `1h30m`, `45s`, `1.5h`: a Go duration as the schema allows it.
pub fn parse_wait(s: &str) -> Option<Duration> {
    let (mut total, mut number) = (0.0f64, String::new());
    for ch in s.chars() {
        match ch {
            '0'..='9' | '.' => number.push(ch),
            'h' | 'm' | 's' => {
                let n: f64 = std::mem::take(&mut number).parse().ok()?;
                total += n * match ch {
                    'h' => 3600.0,
                    'm' => 60.0,
                    _ => 1.0,
                };
            }
            _ => return None,
        }
    }
    number.is_empty().then(|| Duration::from_secs_f64(total))
}

/// `maxConcurrency` over `n` clusters: a percentage rounds down, at least 1.
pub fn concurrency(value: Option<&IntOrString>, n: usize) -> usize {
    let v = match value {
        None => 1,
        Some(IntOrString::Int(i)) => (*i).max(1) as usize,
        Some(IntOrString::String(s)) => s.trim_end_matches('%').parse::<usize>().map_or(1, |pct| pct * n / 100),
    };
    v.max(1)
}

fn is(conds: &[Condition], type_: &str) -> bool {
    conditions::is_true(conds, type_)
}

fn since(c: Option<&Condition>, now: Timestamp) -> Duration {
    c.and_then(|c| Duration::try_from(now - c.last_transition_time.0).ok()).unwrap_or_default()
}

struct Stepper<'a> {
    input: &'a Input<'a>,
    actions: Vec<Action>,
    requeue: Option<Duration>,
}

impl Stepper<'_> {
    fn cond(&self, type_: &str, status: impl Into<Status>, reason: &str, message: impl Into<String>) -> Condition {
        let mut c = conditions::new(type_, status, reason, message, self.input.generation);
        c.last_transition_time = Time(self.input.now);
        c
    }

    /// Whether every task in `tasks` is done; records their status.
    fn tasks(
        &mut self,
        stage: &str,
        when: &'static str,
        tasks: &[StageTask],
        status: &mut Vec<StageTaskStatus>,
        waited: Duration,
    ) -> bool {
        let mut done = true;
        for task in tasks {
            let i = match status.iter().position(|s| s.type_ == task.type_) {
                Some(i) => i,
                None => {
                    status.push(StageTaskStatus {
                        type_: task.type_,
                        approval_request_name: String::new(),
                        conditions: vec![],
                    });
                    status.len() - 1
                }
            };
            match task.type_ {
                StageTaskType::TimedWait => {
                    let wait = task.wait_time.as_deref().and_then(parse_wait).unwrap_or_default();
                    if waited >= wait {
                        let c = self.cond(
                            p::TASK_WAIT_TIME_ELAPSED,
                            true,
                            p::REASON_TASK_WAIT_TIME_ELAPSED,
                            "Wait time elapsed",
                        );
                        conditions::set(&mut status[i].conditions, c);
                    } else {
                        done = false;
                        let left = wait - waited;
                        self.requeue = Some(self.requeue.map_or(left, |r| r.min(left)));
                    }
                }
                StageTaskType::Approval => {
                    let name = format!(
                        "{}-{}-{stage}",
                        self.input.run,
                        if when == "beforeStage" { "before" } else { "after" }
                    );
                    status[i].approval_request_name = name.clone();
                    match self.input.approvals.get(&name) {
                        None => {
                            done = false;
                            self.actions.push(Action::RequestApproval {
                                name,
                                stage: stage.to_string(),
                                task_type: when,
                            });
                            let c = self.cond(
                                p::TASK_APPROVAL_REQUEST_CREATED,
                                true,
                                p::REASON_TASK_APPROVAL_REQUEST_CREATED,
                                "ApprovalRequest object is created",
                            );
                            conditions::set(&mut status[i].conditions, c);
                        }
                        Some(false) => done = false,
                        Some(true) => {
                            let c = self.cond(
                                p::TASK_APPROVAL_REQUEST_APPROVED,
                                true,
                                p::REASON_TASK_APPROVAL_REQUEST_APPROVED,
                                "ApprovalRequest object is approved",
                            );
                            if conditions::set(&mut status[i].conditions, c) {
                                self.actions.push(Action::AcceptApproval(name));
                            }
                        }
                    }
                }
            }
        }
        done
    }

    /// Moves `stage` on; whether it succeeded.
    fn stage(&mut self, config: &StageConfig, stage: &mut StageUpdatingStatus) -> bool {
        let now = Time(self.input.now);
        if stage.start_time.is_none() {
            if !self.tasks(
                &config.name,
                "beforeStage",
                &config.before_stage_tasks,
                &mut stage.before_stage_task_status,
                Duration::ZERO,
            ) {
                let c = self.cond(
                    p::RUN_PROGRESSING,
                    false,
                    p::REASON_STAGE_WAITING,
                    "Not all before-stage tasks are completed, waiting for approval",
                );
                conditions::set(&mut stage.conditions, c);
                return false;
            }
            stage.start_time = Some(now.clone());
            let c =
                self.cond(p::RUN_PROGRESSING, true, p::REASON_STAGE_STARTED, "Clusters in the stage started updating");
            conditions::set(&mut stage.conditions, c);
        }
        // Clusters that finished, then new ones up to the stage's concurrency.
        let facts = self.input.clusters;
        for c in stage.clusters.iter_mut() {
            let started = is(&c.conditions, p::CLUSTER_STARTED) && !is(&c.conditions, p::RUN_SUCCEEDED);
            if started && facts.get(&c.cluster_name).is_some_and(|f| f.succeeded) {
                let s = self.cond(
                    p::RUN_SUCCEEDED,
                    true,
                    p::REASON_CLUSTER_SUCCEEDED,
                    "Cluster update completed successfully",
                );
                conditions::set(&mut c.conditions, s);
            }
        }
        let max = concurrency(config.max_concurrency.as_ref(), stage.clusters.len());
        let free = max.saturating_sub(stage.clusters.iter().filter(|c| updating(c)).count());
        for c in stage.clusters.iter_mut().filter(|c| !is(&c.conditions, p::CLUSTER_STARTED)).take(free) {
            self.actions.push(Action::Bind(c.cluster_name.clone()));
            let s = self.cond(p::CLUSTER_STARTED, true, p::REASON_CLUSTER_STARTED, "Cluster update started");
            conditions::set(&mut c.conditions, s);
        }
        if !stage.clusters.iter().all(|c| is(&c.conditions, p::RUN_SUCCEEDED)) {
            return false;
        }
        // All clusters updated: the after-stage tasks, timed from now on.
        if !config.after_stage_tasks.is_empty() {
            let c = self.cond(
                p::RUN_PROGRESSING,
                false,
                p::REASON_STAGE_WAITING,
                "All clusters in the stage are updated, waiting for after-stage tasks to complete",
            );
            conditions::set(&mut stage.conditions, c);
        }
        let waited = since(conditions::find(&stage.conditions, p::RUN_PROGRESSING), self.input.now);
        if !self.tasks(
            &config.name,
            "afterStage",
            &config.after_stage_tasks,
            &mut stage.after_stage_task_status,
            waited,
        ) {
            return false;
        }
        stage.end_time = Some(now);
        let c = self.cond(p::RUN_PROGRESSING, false, p::REASON_STAGE_SUCCEEDED, "Stage update completed successfully");
        conditions::set(&mut stage.conditions, c);
        let c = self.cond(p::RUN_SUCCEEDED, true, p::REASON_STAGE_SUCCEEDED, "Stage update completed successfully");
        conditions::set(&mut stage.conditions, c);
        true
    }
}

fn updating(c: &ClusterUpdatingStatus) -> bool {
    is(&c.conditions, p::CLUSTER_STARTED) && !is(&c.conditions, p::RUN_SUCCEEDED)
}

/// The run's next step; `None` while it is not running (not initialized,
/// in state Initialize, or finished).
pub fn step(input: &Input) -> Option<Step> {
    let mut status = input.status.clone();
    let finished = conditions::find(&status.conditions, p::RUN_SUCCEEDED).is_some();
    if finished || !is(&status.conditions, p::RUN_INITIALIZED) || input.state == UpdateRunState::Initialize {
        return None;
    }
    let mut s = Stepper { input, actions: Vec::new(), requeue: None };
    if input.state == UpdateRunState::Stop {
        let c = s.cond(p::RUN_PROGRESSING, false, p::REASON_RUN_STOPPED, "The update run has been stopped");
        conditions::set(&mut status.conditions, c);
        return Some(Step { status, actions: vec![], requeue: None });
    }
    let configs = status.staged_update_strategy_snapshot.clone().unwrap_or_default().stages;
    for (config, stage) in configs.iter().zip(status.stages_status.iter_mut()) {
        if is(&stage.conditions, p::RUN_SUCCEEDED) {
            continue;
        }
        if !s.stage(config, stage) {
            let waiting = conditions::find(&stage.conditions, p::RUN_PROGRESSING)
                .is_some_and(|c| c.reason == p::REASON_STAGE_WAITING);
            let c = if waiting {
                let when = if stage.start_time.is_none() { "before-stage" } else { "after-stage" };
                let m = format!("The updateRun is waiting for {when} tasks in stage {} to complete", stage.stage_name);
                s.cond(p::RUN_PROGRESSING, false, p::REASON_RUN_WAITING, m)
            } else {
                s.cond(p::RUN_PROGRESSING, true, p::REASON_RUN_PROGRESSING, "The update run is making progress")
            };
            conditions::set(&mut status.conditions, c);
            return Some(Step { status, actions: s.actions, requeue: s.requeue });
        }
    }
    // The deletion stage: the bindings of clusters no longer selected go.
    if let Some(deletion) = status.deletion_stage_status.as_mut() {
        let mut left = false;
        for c in deletion.clusters.iter_mut() {
            if input.clusters.contains_key(&c.cluster_name) {
                left = true;
                s.actions.push(Action::Unbind(c.cluster_name.clone()));
                let started = s.cond(p::CLUSTER_STARTED, true, p::REASON_CLUSTER_STARTED, "Cluster update started");
                conditions::set(&mut c.conditions, started);
            } else {
                let done = s.cond(
                    p::RUN_SUCCEEDED,
                    true,
                    p::REASON_CLUSTER_SUCCEEDED,
                    "Cluster update completed successfully",
                );
                conditions::set(&mut c.conditions, done);
            }
        }
        if left {
            let c = s.cond(p::RUN_PROGRESSING, true, p::REASON_RUN_PROGRESSING, "The update run is making progress");
            conditions::set(&mut status.conditions, c);
            return Some(Step { status, actions: s.actions, requeue: None });
        }
        let c = s.cond(p::RUN_SUCCEEDED, true, p::REASON_STAGE_SUCCEEDED, "Stage update completed successfully");
        conditions::set(&mut deletion.conditions, c);
    }
    let c = s.cond(p::RUN_PROGRESSING, false, p::REASON_RUN_SUCCEEDED, "All stages are completed successfully");
    conditions::set(&mut status.conditions, c);
    let c = s.cond(p::RUN_SUCCEEDED, true, p::REASON_RUN_SUCCEEDED, "All stages are completed successfully");
    conditions::set(&mut status.conditions, c);
    Some(Step { status, actions: s.actions, requeue: None })
}

#[cfg(test)]
mod tests {
    use apis::placement::UpdateStrategySpec;
    use serde_json::json;

    use super::*;
    use crate::stagedupdate::plan::{Initial, Plan, initial_status};

    fn initialized(strategy: serde_json::Value, stages: &[(&str, &[&str])]) -> UpdateRunStatus {
        let strategy: UpdateStrategySpec = serde_json::from_value(strategy).unwrap();
        let plan = Plan {
            stages: stages.iter().map(|(n, cs)| (n.to_string(), cs.iter().map(|c| c.to_string()).collect())).collect(),
            deletion: vec![],
        };
        initial_status(Initial {
            generation: Some(1),
            plan,
            strategy: &strategy,
            apply_strategy: None,
            policy_snapshot_index: "0".into(),
            observed_cluster_count: 3,
            resource_snapshot_index: "1".into(),
            overrides: &BTreeMap::new(),
        })
    }

    fn run(status: &UpdateRunStatus, done: &[&str], approved: &[(&str, bool)], now: Timestamp) -> Step {
        let clusters: BTreeMap<String, ClusterFact> =
            ["a", "b", "c"].iter().map(|c| (c.to_string(), ClusterFact { succeeded: done.contains(c) })).collect();
        let approvals: BTreeMap<String, bool> = approved.iter().map(|(n, a)| (n.to_string(), *a)).collect();
        step(&Input {
            run: "r",
            generation: Some(1),
            now,
            state: UpdateRunState::Run,
            status,
            clusters: &clusters,
            approvals: &approvals,
        })
        .expect("running")
    }

    fn reason(conds: &[Condition], t: &str) -> String {
        conditions::find(conds, t).map(|c| c.reason.clone()).unwrap_or_default()
    }

    #[test]
    fn stages_run_in_order_with_an_approval_then_a_wait() {
        let t0 = Timestamp::from_second(1_000).unwrap();
        let st = initialized(
            json!({"stages": [
                {"name": "canary", "labelSelector": {}, "afterStageTasks": [{"type": "Approval"}]},
                {"name": "prod", "labelSelector": {}, "maxConcurrency": 1, "afterStageTasks": [{"type": "TimedWait", "waitTime": "1m"}]},
            ]}),
            &[("canary", &["a"]), ("prod", &["b", "c"])],
        );
        // Canary's cluster first, alone.
        let s = run(&st, &[], &[], t0);
        assert_eq!(s.actions, [Action::Bind("a".into())]);
        assert_eq!(reason(&s.status.conditions, p::RUN_PROGRESSING), p::REASON_RUN_PROGRESSING);
        // Done: an approval is requested, nothing else moves.
        let s = run(&s.status, &["a"], &[], t0);
        assert_eq!(
            s.actions,
            [Action::RequestApproval {
                name: "r-after-canary".into(),
                stage: "canary".into(),
                task_type: "afterStage"
            }]
        );
        assert_eq!(reason(&s.status.conditions, p::RUN_PROGRESSING), p::REASON_RUN_WAITING);
        let s = run(&s.status, &["a"], &[("r-after-canary", false)], t0);
        assert!(s.actions.is_empty(), "not approved yet: {:?}", s.actions);
        // Approved: accepted, and prod starts one cluster at a time.
        let s = run(&s.status, &["a"], &[("r-after-canary", true)], t0);
        assert_eq!(s.actions, [Action::AcceptApproval("r-after-canary".into()), Action::Bind("b".into())]);
        assert!(is(&s.status.stages_status[0].conditions, p::RUN_SUCCEEDED));
        let s = run(&s.status, &["a", "b"], &[("r-after-canary", true)], t0);
        assert_eq!(s.actions, [Action::Bind("c".into())]);
        // Prod done: the wait runs from then; a minute later the run succeeds.
        let s = run(&s.status, &["a", "b", "c"], &[("r-after-canary", true)], t0);
        assert_eq!(s.requeue, Some(Duration::from_secs(60)));
        let later = Timestamp::from_second(1_061).unwrap();
        let s = run(&s.status, &["a", "b", "c"], &[("r-after-canary", true)], later);
        assert!(is(&s.status.conditions, p::RUN_SUCCEEDED), "{:?}", s.status.conditions);
        assert_eq!(reason(&s.status.conditions, p::RUN_SUCCEEDED), p::REASON_RUN_SUCCEEDED);
    }

    #[test]
    fn a_before_stage_approval_holds_the_stage_and_stop_starts_nothing() {
        let t0 = Timestamp::from_second(1_000).unwrap();
        let st = initialized(
            json!({"stages": [{"name": "prod", "labelSelector": {}, "maxConcurrency": "50%", "beforeStageTasks": [{"type": "Approval"}]}]}),
            &[("prod", &["a", "b", "c"])],
        );
        let s = run(&st, &[], &[], t0);
        assert_eq!(
            s.actions,
            [Action::RequestApproval { name: "r-before-prod".into(), stage: "prod".into(), task_type: "beforeStage" }]
        );
        let s = run(&s.status, &[], &[("r-before-prod", true)], t0);
        assert_eq!(
            s.actions,
            [Action::AcceptApproval("r-before-prod".into()), Action::Bind("a".into())],
            "50% of 3 is 1"
        );
        let stopped = step(&Input {
            run: "r",
            generation: Some(1),
            now: t0,
            state: UpdateRunState::Stop,
            status: &s.status,
            clusters: &BTreeMap::new(),
            approvals: &BTreeMap::new(),
        })
        .unwrap();
        assert!(stopped.actions.is_empty());
        assert_eq!(reason(&stopped.status.conditions, p::RUN_PROGRESSING), p::REASON_RUN_STOPPED);
    }

    #[test]
    fn waits_and_concurrency_parse_as_kubefleet() {
        assert_eq!(parse_wait("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_wait("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_wait("5"), None);
        assert_eq!(concurrency(Some(&IntOrString::String("70%".into())), 3), 2);
        assert_eq!(concurrency(Some(&IntOrString::String("10%".into())), 3), 1);
        assert_eq!(concurrency(None, 3), 1);
    }
}
