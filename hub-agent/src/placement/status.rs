//! A placement's status: its conditions and per-cluster statuses, from the
//! latest policy snapshot's decisions and the bindings' conditions, with
//! KubeFleet's reasons and messages. Pure.

use apis::{
    conditions::{self, Status, placement as p},
    placement::{
        BindingState, ClusterDecision, PerClusterPlacementStatus, PlacementPolicy, PlacementReports, PlacementStatus,
        PlacementType, ResourceBindingSpec, ResourceBindingStatus, ResourceIdentifier, SchedulingPolicySnapshotStatus,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// A binding made for the latest policy snapshot, as the status needs it.
pub struct BindingView<'a> {
    pub spec: &'a ResourceBindingSpec,
    pub status: Option<&'a ResourceBindingStatus>,
    pub generation: i64,
}

pub struct Input<'a> {
    /// The placement's condition types, Scheduled first.
    pub types: [&'static str; 6],
    /// The placement's DiffReported condition type, which follows
    /// WorkSynchronized instead of Applied and Available under ReportDiff.
    pub diff_reported_type: &'static str,
    /// The apply strategy is ReportDiff.
    pub report_diff: bool,
    pub generation: i64,
    pub policy: Option<&'a PlacementPolicy>,
    pub selected: Vec<ResourceIdentifier>,
    /// The latest master resource snapshot: name and index.
    pub latest_snapshot: Option<(&'a str, &'a str)>,
    /// The latest policy snapshot's status and the generation it was made for.
    pub schedule: Option<&'a SchedulingPolicySnapshotStatus>,
    pub bindings: Vec<BindingView<'a>>,
    /// The status written last time, for transition times.
    pub previous: Option<&'a PlacementStatus>,
    /// An External placement whose clusters do not agree on one version:
    /// why its rollout's state is up to the runs (see `external`).
    pub external_unknown: Option<String>,
}

/// What an External placement's selected clusters are bound to.
#[derive(Debug, PartialEq)]
pub enum ExternalVersion<'a> {
    /// Every one to this resource snapshot: the placement reports on it.
    One(&'a str),
    /// Different ones: a run is under way.
    Several,
    /// None yet.
    Unbound,
}

/// The version an External placement's `bindings` (those of the latest
/// policy snapshot) are bound to.
pub fn external_version<'a>(bindings: &[BindingView<'a>]) -> ExternalVersion<'a> {
    let mut names = bindings
        .iter()
        .filter(|b| b.spec.state != BindingState::Unscheduled)
        .map(|b| if b.spec.state == BindingState::Bound { b.spec.resource_snapshot_name.as_str() } else { "" });
    let Some(first) = names.next() else { return ExternalVersion::Unbound };
    match (names.all(|n| n == first), first.is_empty()) {
        (false, _) => ExternalVersion::Several,
        (true, true) => ExternalVersion::Unbound,
        (true, false) => ExternalVersion::One(first),
    }
}

/// KubeFleet's RolloutStarted message for an External placement whose
/// clusters agree on no one version; `run_kind` is the kind of run that rolls it.
pub fn external_unknown(version: &ExternalVersion, run_kind: &str) -> Option<String> {
    match version {
        ExternalVersion::One(_) => None,
        ExternalVersion::Several => Some(
            "Rollout is controlled by an external controller and different resource snapshot versions are observed across clusters".into(),
        ),
        ExternalVersion::Unbound => Some(format!(
            "Rollout is controlled by an external controller and no resource snapshot name is observed across clusters. To determine rollout status, check the {run_kind} resources with spec.placementName matching this placement"
        )),
    }
}

/// The per-cluster stages after Scheduled, in order, with the placement-level
/// reasons and messages for True, False and Unknown.
struct Stage {
    per_cluster: &'static str,
    true_: (&'static str, &'static str),
    false_: (&'static str, &'static str),
    unknown: (&'static str, &'static str),
    /// What a cluster's status says while the stage has not reported.
    pending: &'static str,
}

const STAGES: [Stage; 5] = [
    Stage {
        per_cluster: p::ROLLOUT_STARTED,
        true_: (p::REASON_ROLLOUT_STARTED, "All {n} cluster(s) start rolling out the latest resource"),
        false_: (
            p::REASON_ROLLOUT_NOT_STARTED_YET,
            "The rollout is being blocked by the rollout strategy in {n} cluster(s)",
        ),
        unknown: (
            p::REASON_ROLLOUT_STARTED_UNKNOWN,
            "There are still {n} cluster(s) in the process of deciding whether to roll out the latest resources or not",
        ),
        pending: "In the process of deciding whether to roll out the latest resources or not",
    },
    Stage {
        per_cluster: p::OVERRIDDEN,
        true_: (p::REASON_OVERRIDDEN_SUCCEEDED, "The selected resources are successfully overridden in {n} cluster(s)"),
        false_: (p::REASON_OVERRIDDEN_FAILED, "Failed to override resources in {n} cluster(s)"),
        unknown: (
            p::REASON_OVERRIDDEN_PENDING,
            "There are still {n} cluster(s) in the process of overriding the selected resources if there is any override defined",
        ),
        pending: "In the process of overriding the selected resources if there is any override defined",
    },
    Stage {
        per_cluster: p::WORK_SYNCHRONIZED,
        true_: (
            p::REASON_WORK_SYNCHRONIZED,
            "Work(s) are successfully created or updated in {n} target cluster(s)' namespaces",
        ),
        false_: (
            p::REASON_WORK_NOT_SYNCHRONIZED_YET,
            "There are {n} cluster(s) which have not finished creating or updating work(s) yet",
        ),
        unknown: (
            p::REASON_WORK_SYNCHRONIZED_UNKNOWN,
            "There are still {n} cluster(s) in the process of creating or updating the work object(s) in the hub cluster",
        ),
        pending: "In the process of creating or updating the work object(s) in the hub cluster",
    },
    Stage {
        per_cluster: p::APPLIED,
        true_: (p::REASON_APPLY_SUCCEEDED, "The selected resources are successfully applied to {n} cluster(s)"),
        false_: (
            p::REASON_APPLY_FAILED,
            "Failed to apply resources to {n} cluster(s), please check the `failedPlacements` status",
        ),
        unknown: (
            p::REASON_APPLY_PENDING,
            "There are still {n} cluster(s) in the process of applying the resources on the member cluster",
        ),
        pending: "In the process of applying the resources on the member cluster",
    },
    Stage {
        per_cluster: p::AVAILABLE,
        true_: (p::REASON_AVAILABLE, "The selected resources in {n} cluster(s) are available now"),
        false_: (p::REASON_NOT_AVAILABLE_YET, "The selected resources in {n} cluster(s) are still not available yet"),
        unknown: (
            p::REASON_AVAILABLE_UNKNOWN,
            "There are still {n} cluster(s) in the process of checking the availability of the selected resources",
        ),
        pending: "In the process of checking the availability of the selected resources",
    },
];

/// Under ReportDiff, the stage after WorkSynchronized.
const DIFF_STAGE: Stage = Stage {
    per_cluster: p::DIFF_REPORTED,
    true_: (p::REASON_DIFF_REPORTING_COMPLETED, "Diff reporting in {n} cluster(s) has been completed"),
    false_: (
        p::REASON_DIFF_REPORTING_INCOMPLETE_OR_FAILED,
        "Diff reporting in {n} cluster(s) is still in progress or has failed",
    ),
    unknown: (
        p::REASON_DIFF_REPORTING_PENDING,
        "There are still {n} cluster(s) in the process of reporting differences",
    ),
    pending: "In the process of reporting differences",
};

/// The per-cluster stages, each with its placement condition type.
fn stages(input: &Input) -> Vec<(&'static Stage, &'static str)> {
    let mut out: Vec<(&'static Stage, &'static str)> = STAGES.iter().zip(input.types[1..].iter().copied()).collect();
    if input.report_diff {
        out.truncate(3);
        out.push((&DIFF_STAGE, input.diff_reported_type));
    }
    out
}

/// Keeps each condition's transition time from `old` when its status is unchanged.
pub fn keep_transition_times(old: &[Condition], new: &mut [Condition]) {
    for c in new {
        if let Some(o) = conditions::find(old, &c.type_).filter(|o| o.status == c.status) {
            c.last_transition_time = o.last_transition_time.clone();
        }
    }
}

/// The Scheduled condition: the policy snapshot's, once the scheduler has
/// seen this generation.
fn scheduled(input: &Input) -> Condition {
    let fresh = input.schedule.filter(|s| s.observed_crp_generation >= input.generation);
    match fresh.and_then(|s| conditions::find(&s.conditions, p::SCHEDULED)).filter(|c| c.status != "Unknown") {
        Some(c) => {
            conditions::new(input.types[0], status_of(&c.status), &c.reason, c.message.clone(), Some(input.generation))
        }
        None => conditions::new(
            input.types[0],
            Status::Unknown,
            p::REASON_SCHEDULE_PENDING,
            "Scheduling has not completed",
            Some(input.generation),
        ),
    }
}

fn status_of(s: &str) -> Status {
    match s {
        "True" => Status::True,
        "False" => Status::False,
        _ => Status::Unknown,
    }
}

fn per_cluster(input: &Input, decision: &ClusterDecision) -> PerClusterPlacementStatus {
    let g = Some(input.generation);
    let mut s = PerClusterPlacementStatus { cluster_name: decision.cluster_name.clone(), ..Default::default() };
    s.conditions.push(conditions::new(p::SCHEDULED, Status::True, p::REASON_SCHEDULED, decision.reason.clone(), g));
    let binding = input.bindings.iter().find(|b| b.spec.target_cluster == decision.cluster_name);
    let Some(b) = binding else {
        s.conditions.push(conditions::new(
            p::ROLLOUT_STARTED,
            Status::Unknown,
            p::REASON_ROLLOUT_STARTED_UNKNOWN,
            STAGES[0].pending,
            g,
        ));
        return s;
    };
    let binding_conditions = b.status.map(|s| s.conditions.as_slice()).unwrap_or_default();
    let current =
        |t: &str| conditions::find(binding_conditions, t).filter(|c| c.observed_generation == Some(b.generation));
    let latest = input.latest_snapshot.map(|(name, _)| name);
    if b.spec.state != BindingState::Bound || Some(b.spec.resource_snapshot_name.as_str()) != latest {
        let blocked = current(p::ROLLOUT_STARTED).is_some_and(|c| c.status == "False");
        s.conditions.push(if blocked {
            conditions::new(
                p::ROLLOUT_STARTED,
                Status::False,
                p::REASON_ROLLOUT_NOT_STARTED_YET,
                "The rollout is being blocked by the rollout strategy",
                g,
            )
        } else {
            conditions::new(
                p::ROLLOUT_STARTED,
                Status::Unknown,
                p::REASON_ROLLOUT_STARTED_UNKNOWN,
                STAGES[0].pending,
                g,
            )
        });
        return s;
    }
    s.observed_resource_index = input.latest_snapshot.map(|(_, i)| i.to_string()).unwrap_or_default();
    s.applicable_cluster_resource_overrides = b.spec.cluster_resource_override_snapshots.clone();
    s.applicable_resource_overrides = b.spec.resource_override_snapshots.clone();
    for (stage, _) in stages(input) {
        match current(stage.per_cluster) {
            None => {
                s.conditions.push(conditions::new(
                    stage.per_cluster,
                    Status::Unknown,
                    stage.unknown.0,
                    stage.pending,
                    g,
                ));
                break;
            }
            Some(c) => {
                s.conditions.push(conditions::new(
                    stage.per_cluster,
                    status_of(&c.status),
                    &c.reason,
                    c.message.clone(),
                    g,
                ));
                if c.status != "True" {
                    break;
                }
            }
        }
    }
    let failed_stage =
        s.conditions.iter().any(|c| (c.type_ == p::APPLIED || c.type_ == p::AVAILABLE) && c.status == "False");
    if let Some(status) = b.status {
        let diffs = failed_stage || input.report_diff;
        s.reports = PlacementReports {
            failed_placements: if failed_stage { status.reports.failed_placements.clone() } else { vec![] },
            drifted_placements: status.reports.drifted_placements.clone(),
            diffed_placements: if diffs { status.reports.diffed_placements.clone() } else { vec![] },
        };
    }
    s
}

fn message(template: &str, n: usize) -> String {
    template.replace("{n}", &n.to_string())
}

/// The whole status.
pub fn status(input: &Input) -> PlacementStatus {
    let g = Some(input.generation);
    let scheduled = scheduled(input);
    let mut out = PlacementStatus {
        selected_resources: input.selected.clone(),
        observed_resource_index: input.latest_snapshot.map(|(_, i)| i.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let pending = scheduled.status == "Unknown";
    out.conditions.push(scheduled);
    if !pending {
        let decisions: &[ClusterDecision] = input.schedule.map(|s| s.cluster_decisions.as_slice()).unwrap_or_default();
        let (selected, unselected): (Vec<_>, Vec<_>) = decisions.iter().partition(|d| d.selected);
        out.placement_statuses = selected.iter().map(|d| per_cluster(input, d)).collect();

        let n = selected.len();
        let wanted = match input.policy {
            Some(pol) if pol.placement_type == PlacementType::PickN => {
                pol.number_of_clusters.unwrap_or(0).max(0) as usize
            }
            Some(pol) if pol.placement_type == PlacementType::PickFixed => pol.cluster_names.len(),
            _ => n,
        };
        for d in unselected.iter().take(wanted.saturating_sub(n)) {
            out.placement_statuses.push(PerClusterPlacementStatus {
                conditions: vec![conditions::new(
                    p::SCHEDULED,
                    Status::False,
                    p::REASON_SCHEDULE_FAILED,
                    d.reason.clone(),
                    g,
                )],
                ..Default::default()
            });
        }

        if let Some(m) = input.external_unknown.as_ref().filter(|_| n > 0) {
            // Which version is rolling out is up to the runs: say so, and nothing more.
            out.observed_resource_index = String::new();
            out.selected_resources = Vec::new();
            out.conditions.push(conditions::new(
                input.types[1],
                Status::Unknown,
                p::REASON_ROLLOUT_CONTROLLED_BY_EXTERNAL_CONTROLLER,
                m.clone(),
                g,
            ));
        } else if n > 0 {
            let clusters = &out.placement_statuses[..n];
            for (stage, type_) in stages(input) {
                let count = |st: &str| {
                    clusters
                        .iter()
                        .filter(|c| conditions::find(&c.conditions, stage.per_cluster).is_none_or(|x| x.status == st))
                        .count()
                };
                let (unknown, failed) = (count("Unknown"), count("False"));
                let c = if unknown > 0 {
                    conditions::new(type_, Status::Unknown, stage.unknown.0, message(stage.unknown.1, unknown), g)
                } else if failed > 0 {
                    conditions::new(type_, Status::False, stage.false_.0, message(stage.false_.1, failed), g)
                } else if stage.per_cluster == p::OVERRIDDEN
                    && clusters.iter().all(|c| {
                        c.applicable_cluster_resource_overrides.is_empty() && c.applicable_resource_overrides.is_empty()
                    })
                {
                    conditions::new(
                        type_,
                        Status::True,
                        p::REASON_NO_OVERRIDE_SPECIFIED,
                        "No override rules are configured for the selected resources",
                        g,
                    )
                } else {
                    conditions::new(type_, Status::True, stage.true_.0, message(stage.true_.1, n), g)
                };
                let stop = c.status != "True";
                out.conditions.push(c);
                if stop {
                    break;
                }
            }
        }
    }
    if let Some(prev) = input.previous {
        keep_transition_times(&prev.conditions, &mut out.conditions);
        for s in &mut out.placement_statuses {
            if let Some(old) = prev.placement_statuses.iter().find(|o| o.cluster_name == s.cluster_name) {
                keep_transition_times(&old.conditions, &mut s.conditions);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use apis::placement::ClusterDecision;

    use super::*;

    const TYPES: [&str; 6] = p::CRP_CONDITION_TYPES;

    fn decision(cluster: &str, selected: bool) -> ClusterDecision {
        ClusterDecision {
            cluster_name: cluster.into(),
            selected,
            cluster_score: None,
            reason: format!("reason {cluster}"),
        }
    }

    fn schedule(decisions: Vec<ClusterDecision>) -> SchedulingPolicySnapshotStatus {
        SchedulingPolicySnapshotStatus {
            observed_crp_generation: 1,
            conditions: vec![conditions::new(
                p::SCHEDULED,
                Status::True,
                p::REASON_SCHEDULING_POLICY_FULFILLED,
                "found",
                Some(1),
            )],
            cluster_decisions: decisions,
        }
    }

    fn spec(cluster: &str, state: BindingState, snapshot: &str) -> ResourceBindingSpec {
        ResourceBindingSpec {
            state,
            resource_snapshot_name: snapshot.into(),
            resource_override_snapshots: vec![],
            cluster_resource_override_snapshots: vec![],
            scheduling_policy_snapshot_name: "crp-0".into(),
            target_cluster: cluster.into(),
            cluster_decision: decision(cluster, true),
            apply_strategy: None,
        }
    }

    fn binding_status(stages: &[(&str, &str)]) -> ResourceBindingStatus {
        ResourceBindingStatus {
            reports: Default::default(),
            conditions: stages
                .iter()
                .map(|(t, s)| {
                    let mut c = conditions::new(t, Status::True, "R", "m", Some(1));
                    c.status = s.to_string();
                    c
                })
                .collect(),
        }
    }

    fn types(s: &PlacementStatus) -> Vec<(String, String)> {
        s.conditions.iter().map(|c| (c.type_.clone(), c.status.clone())).collect()
    }

    const ALL_TRUE: [(&str, &str); 5] = [
        (p::ROLLOUT_STARTED, "True"),
        (p::OVERRIDDEN, "True"),
        (p::WORK_SYNCHRONIZED, "True"),
        (p::APPLIED, "True"),
        (p::AVAILABLE, "True"),
    ];

    #[test]
    fn an_external_placement_reports_the_version_its_clusters_agree_on_else_defers_to_the_runs() {
        let st = binding_status(&ALL_TRUE);
        let view = |s| BindingView { spec: s, status: Some(&st), generation: 1 };
        let (a0, b0) =
            (spec("m1", BindingState::Bound, "crp-0-snapshot"), spec("m2", BindingState::Bound, "crp-0-snapshot"));
        let (b1, c_) = (spec("m2", BindingState::Bound, "crp-1-snapshot"), spec("m3", BindingState::Scheduled, ""));
        let gone = spec("m4", BindingState::Unscheduled, "crp-1-snapshot");
        assert_eq!(external_version(&[view(&a0), view(&b0), view(&gone)]), ExternalVersion::One("crp-0-snapshot"));
        assert_eq!(external_version(&[view(&a0), view(&b1)]), ExternalVersion::Several);
        assert_eq!(external_version(&[view(&a0), view(&c_)]), ExternalVersion::Several);
        assert_eq!(external_version(&[view(&c_)]), ExternalVersion::Unbound);
        assert_eq!(external_version(&[]), ExternalVersion::Unbound);
        assert_eq!(external_unknown(&ExternalVersion::One("x"), "ClusterStagedUpdateRun"), None);

        // Mid-run: only Scheduled and RolloutStarted Unknown, no version.
        let sched = schedule(vec![decision("m1", true), decision("m2", true)]);
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 1,
            policy: None,
            selected: vec![ResourceIdentifier::default()],
            latest_snapshot: Some(("crp-1-snapshot", "1")),
            schedule: Some(&sched),
            bindings: vec![view(&a0), view(&b1)],
            previous: None,
            external_unknown: external_unknown(&ExternalVersion::Several, "ClusterStagedUpdateRun"),
        };
        let s = status(&input);
        assert_eq!(
            types(&s),
            [(TYPES[0].to_string(), "True".to_string()), (TYPES[1].to_string(), "Unknown".to_string())]
        );
        assert_eq!(s.conditions[1].reason, p::REASON_ROLLOUT_CONTROLLED_BY_EXTERNAL_CONTROLLER);
        assert!(s.conditions[1].message.contains("different resource snapshot versions"));
        assert_eq!((s.observed_resource_index.as_str(), s.selected_resources.len()), ("", 0));
        assert_eq!(s.placement_statuses.len(), 2, "each cluster still says where it is");
    }

    #[test]
    fn pending_schedule_shows_only_scheduled_unknown() {
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 2,
            policy: None,
            selected: vec![],
            latest_snapshot: None,
            schedule: Some(&schedule(vec![])),
            bindings: vec![],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        assert_eq!(types(&s), [(TYPES[0].to_string(), "Unknown".to_string())]);
        assert_eq!(s.conditions[0].reason, p::REASON_SCHEDULE_PENDING);
    }

    #[test]
    fn everything_true_across_two_clusters() {
        let sched = schedule(vec![decision("m1", true), decision("m2", true)]);
        let (s1, s2) =
            (spec("m1", BindingState::Bound, "crp-0-snapshot"), spec("m2", BindingState::Bound, "crp-0-snapshot"));
        let st = binding_status(&ALL_TRUE);
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 1,
            policy: None,
            selected: vec![],
            latest_snapshot: Some(("crp-0-snapshot", "0")),
            schedule: Some(&sched),
            bindings: vec![
                BindingView { spec: &s1, status: Some(&st), generation: 1 },
                BindingView { spec: &s2, status: Some(&st), generation: 1 },
            ],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        assert!(s.conditions.iter().all(|c| c.status == "True"), "{:?}", types(&s));
        assert_eq!(s.conditions.len(), 6);
        assert_eq!(s.conditions[2].reason, p::REASON_NO_OVERRIDE_SPECIFIED);
        assert_eq!(s.conditions[5].message, "The selected resources in 2 cluster(s) are available now");
        assert_eq!(s.placement_statuses.len(), 2);
        assert_eq!(s.placement_statuses[0].observed_resource_index, "0");
        assert_eq!(s.observed_resource_index, "0");
    }

    #[test]
    fn report_diff_ends_with_diff_reported_and_lists_the_diffs() {
        let sched = schedule(vec![decision("m1", true)]);
        let s1 = spec("m1", BindingState::Bound, "crp-0-snapshot");
        let mut st = binding_status(&[
            (p::ROLLOUT_STARTED, "True"),
            (p::OVERRIDDEN, "True"),
            (p::WORK_SYNCHRONIZED, "True"),
            (p::DIFF_REPORTED, "True"),
        ]);
        st.reports.diffed_placements = vec![apis::placement::DiffedResourcePlacement {
            resource: ResourceIdentifier {
                version: "v1".into(),
                kind: "ConfigMap".into(),
                name: "c".into(),
                ..Default::default()
            },
            observation_time: st.conditions[0].last_transition_time.clone(),
            target_cluster_observed_generation: Some(1),
            first_diffed_observed_time: st.conditions[0].last_transition_time.clone(),
            observed_diffs: vec![],
        }];
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: true,
            generation: 1,
            policy: None,
            selected: vec![],
            latest_snapshot: Some(("crp-0-snapshot", "0")),
            schedule: Some(&sched),
            bindings: vec![BindingView { spec: &s1, status: Some(&st), generation: 1 }],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        let want: Vec<(String, String)> = [TYPES[0], TYPES[1], TYPES[2], TYPES[3], p::CRP_DIFF_REPORTED]
            .iter()
            .map(|t| (t.to_string(), "True".to_string()))
            .collect();
        assert_eq!(types(&s), want, "no Applied or Available under ReportDiff");
        assert_eq!(s.conditions[4].reason, p::REASON_DIFF_REPORTING_COMPLETED);
        assert_eq!(
            s.placement_statuses[0].reports.diffed_placements.len(),
            1,
            "diffs are listed though nothing failed"
        );
    }

    #[test]
    fn a_blocked_cluster_stops_the_conditions_at_rollout_started() {
        let sched = schedule(vec![decision("m1", true), decision("m2", true)]);
        let s1 = spec("m1", BindingState::Bound, "crp-1-snapshot");
        let s2 = spec("m2", BindingState::Bound, "crp-0-snapshot");
        let (ok, blocked) = (binding_status(&ALL_TRUE), binding_status(&[(p::ROLLOUT_STARTED, "False")]));
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 1,
            policy: None,
            selected: vec![],
            latest_snapshot: Some(("crp-1-snapshot", "1")),
            schedule: Some(&sched),
            bindings: vec![
                BindingView { spec: &s1, status: Some(&ok), generation: 1 },
                BindingView { spec: &s2, status: Some(&blocked), generation: 1 },
            ],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        assert_eq!(types(&s), [(TYPES[0].into(), "True".into()), (TYPES[1].into(), "False".into())]);
        assert_eq!(s.conditions[1].message, "The rollout is being blocked by the rollout strategy in 1 cluster(s)");
    }

    #[test]
    fn unfulfilled_pick_n_lists_the_missing_clusters_without_names() {
        let sched = schedule(vec![decision("m1", true), decision("m2", false), decision("m3", false)]);
        let policy =
            PlacementPolicy { placement_type: PlacementType::PickN, number_of_clusters: Some(2), ..Default::default() };
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 1,
            policy: Some(&policy),
            selected: vec![],
            latest_snapshot: Some(("crp-0-snapshot", "0")),
            schedule: Some(&sched),
            bindings: vec![],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        assert_eq!(s.placement_statuses.len(), 2);
        assert_eq!(s.placement_statuses[1].cluster_name, "");
        assert_eq!(s.placement_statuses[1].conditions[0].reason, p::REASON_SCHEDULE_FAILED);
        // No binding yet for m1: rollout unknown.
        assert_eq!(s.conditions[1].status, "Unknown");
    }

    #[test]
    fn a_stale_binding_condition_is_unknown() {
        let sched = schedule(vec![decision("m1", true)]);
        let s1 = spec("m1", BindingState::Bound, "crp-0-snapshot");
        let st = binding_status(&ALL_TRUE);
        let input = Input {
            types: TYPES,
            diff_reported_type: p::CRP_DIFF_REPORTED,
            report_diff: false,
            generation: 1,
            policy: None,
            selected: vec![],
            latest_snapshot: Some(("crp-0-snapshot", "0")),
            schedule: Some(&sched),
            bindings: vec![BindingView { spec: &s1, status: Some(&st), generation: 2 }],
            previous: None,
            external_unknown: None,
        };
        let s = status(&input);
        assert_eq!(s.placement_statuses[0].conditions[1].status, "Unknown");
        assert_eq!(s.conditions[1].reason, p::REASON_ROLLOUT_STARTED_UNKNOWN);
    }
}
