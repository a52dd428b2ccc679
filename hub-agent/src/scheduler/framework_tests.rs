//! One test per scheduling rule; clusters and bindings built in memory.

use apis::{
    cluster::{AgentStatus, AgentType, MemberCluster, MemberClusterSpec, MemberClusterStatus, Taint, TaintEffect},
    conditions::{self, cluster as c},
    placement::{
        Affinity, BindingState, ClusterAffinity, ClusterDecision, ClusterSelector, ClusterSelectorTerm,
        PlacementPolicy, PlacementType, PreferredClusterSelector, TopologySpreadConstraint,
        UnsatisfiableConstraintAction,
    },
};
use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::{LabelSelector, Time},
    jiff::Timestamp,
};

use super::*;
use crate::{membership::eligibility, scheduler::score};

const NOW: i64 = 1_000_000;

fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

/// A joined, healthy cluster with fresh heartbeats and these labels.
fn cluster(name: &str, labels: &[(&str, &str)]) -> MemberCluster {
    let mut mc = MemberCluster::new(name, MemberClusterSpec::for_user(name, 60));
    mc.metadata.labels = Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    mc.status = Some(MemberClusterStatus {
        agent_status: vec![AgentStatus {
            type_: AgentType::MemberAgent,
            conditions: vec![
                conditions::new(c::JOINED, true, "r", "", None),
                conditions::new(c::HEALTHY, true, "r", "", None),
            ],
            last_received_heartbeat: Some(Time(now())),
        }],
        ..Default::default()
    });
    mc
}

fn stale(mut mc: MemberCluster) -> MemberCluster {
    mc.status.as_mut().unwrap().agent_status[0].last_received_heartbeat =
        Some(Time(Timestamp::from_second(NOW - 3600).unwrap()));
    mc
}

fn binding(name: &str, cluster: &str, state: BindingState, current: bool) -> Binding {
    Binding {
        name: name.into(),
        cluster: cluster.into(),
        state,
        current,
        deleting: false,
        decision: score::selected(cluster, Score::default()),
        previous_state: None,
    }
}

fn policy(t: PlacementType) -> PlacementPolicy {
    PlacementPolicy { placement_type: t, ..Default::default() }
}

fn run(policy: Option<&PlacementPolicy>, n: usize, clusters: &[MemberCluster], bindings: &[Binding]) -> Plan {
    schedule(&Input {
        policy,
        number_of_clusters: n,
        clusters,
        bindings,
        now: now(),
        eligibility: eligibility::Policy::default(),
        placement: "p",
    })
    .unwrap()
}

fn names(ds: &[ClusterDecision]) -> Vec<&str> {
    ds.iter().map(|d| d.cluster_name.as_str()).collect()
}

fn required(labels: &[(&str, &str)]) -> Option<Affinity> {
    Some(Affinity {
        cluster_affinity: Some(ClusterAffinity {
            required_during_scheduling_ignored_during_execution: Some(ClusterSelector {
                cluster_selector_terms: vec![ClusterSelectorTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }),
    })
}

#[test]
fn pick_all_selects_every_passing_cluster_and_reports_the_others() {
    let mut p = policy(PlacementType::PickAll);
    p.affinity = required(&[("env", "prod")]);
    let clusters = [
        cluster("b", &[("env", "prod")]),
        cluster("a", &[("env", "prod")]),
        cluster("c", &[("env", "dev")]),
        stale(cluster("d", &[("env", "prod")])),
    ];
    let plan = run(Some(&p), 0, &clusters, &[]);
    assert_eq!(names(&plan.create), ["a", "b"], "name order");
    let status = plan.status.unwrap();
    assert!(status.fulfilled && status.found == 2);
    assert_eq!(names(&status.decisions), ["a", "b", "c", "d"]);
    assert_eq!(
        status.decisions[2].reason,
        "ClusterUnschedulable, cluster does not match with any of the required cluster affinity terms"
    );
    assert!(status.decisions[3].reason.contains("no recent heartbeat signals"), "{}", status.decisions[3].reason);
    assert_eq!(
        status.decisions[0].reason,
        "Successfully scheduled resources for placement in \"a\" (affinity score: 0, topology spread score: 0): picked by scheduling policy"
    );
    // No policy at all is PickAll too: every eligible cluster.
    assert_eq!(names(&run(None, 0, &clusters, &[]).create), ["a", "b", "c"]);
}

#[test]
fn a_label_change_does_not_evict_but_a_deleted_cluster_does() {
    let mut p = policy(PlacementType::PickAll);
    p.affinity = required(&[("env", "prod")]);
    let mut gone = cluster("gone", &[("env", "prod")]);
    gone.metadata.deletion_timestamp = Some(Time(now()));
    let clusters = [cluster("a", &[("env", "dev")]), gone];
    let bindings =
        [binding("b-a", "a", BindingState::Bound, true), binding("b-gone", "gone", BindingState::Bound, true)];
    let plan = run(Some(&p), 0, &clusters, &bindings);
    assert_eq!(plan.unschedule, ["b-gone"], "only the leaving cluster loses its binding");
    assert!(plan.create.is_empty() && plan.patch.is_empty());
    let status = plan.status.unwrap();
    assert_eq!(names(&status.decisions)[0], "a", "still selected through its binding");
    assert!(status.decisions[0].selected);
    assert_eq!(status.decisions.iter().filter(|d| d.cluster_name == "a").count(), 1, "no filtered duplicate");
}

#[test]
fn a_new_policy_snapshot_moves_obsolete_bindings_or_unschedules_them() {
    let mut p = policy(PlacementType::PickAll);
    p.affinity = required(&[("env", "prod")]);
    let clusters = [cluster("a", &[("env", "prod")]), cluster("b", &[("env", "dev")])];
    let bindings = [binding("b-a", "a", BindingState::Bound, false), binding("b-b", "b", BindingState::Bound, false)];
    let plan = run(Some(&p), 0, &clusters, &bindings);
    assert_eq!(plan.patch.len(), 1);
    assert_eq!((plan.patch[0].0.as_str(), plan.patch[0].1), ("b-a", BindingState::Bound), "state kept");
    assert_eq!(plan.unschedule, ["b-b"]);
}

#[test]
fn an_unscheduled_binding_picked_again_comes_back_in_its_previous_state() {
    let clusters = [cluster("a", &[])];
    let mut b = binding("b-a", "a", BindingState::Unscheduled, true);
    b.previous_state = Some(BindingState::Bound);
    let plan = run(None, 0, &clusters, &[b.clone()]);
    assert_eq!(plan.patch[0].1, BindingState::Bound);
    assert!(plan.create.is_empty());
    b.previous_state = None;
    let err = schedule(&Input {
        policy: None,
        number_of_clusters: 0,
        clusters: &clusters,
        bindings: &[b],
        now: now(),
        eligibility: Default::default(),
        placement: "p",
    });
    assert!(err.unwrap_err().contains("without a previous state"));
}

#[test]
fn taints_keep_new_placements_away_unless_tolerated() {
    let mut tainted = cluster("a", &[]);
    tainted.spec.taints =
        vec![Taint { key: "dedicated".into(), value: Some("gpu".into()), effect: TaintEffect::NoSchedule }];
    let clusters = [tainted, cluster("b", &[])];
    let plan = run(None, 0, &clusters, &[]);
    assert_eq!(names(&plan.create), ["b"]);
    let mut p = policy(PlacementType::PickAll);
    p.tolerations =
        vec![apis::placement::Toleration { key: "dedicated".into(), value: "gpu".into(), ..Default::default() }];
    assert_eq!(names(&run(Some(&p), 0, &clusters, &[]).create), ["a", "b"]);
}

#[test]
fn pick_n_picks_the_best_scores_with_ties_to_the_larger_name() {
    let mut p = policy(PlacementType::PickN);
    p.affinity = Some(Affinity {
        cluster_affinity: Some(ClusterAffinity {
            preferred_during_scheduling_ignored_during_execution: vec![PreferredClusterSelector {
                weight: 20,
                preference: ClusterSelectorTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some([("tier".into(), "gold".into())].into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            }],
            ..Default::default()
        }),
    });
    let clusters = [cluster("a", &[("tier", "gold")]), cluster("b", &[]), cluster("c", &[]), cluster("d", &[])];
    let plan = run(Some(&p), 2, &clusters, &[]);
    assert_eq!(names(&plan.create), ["a", "d"], "gold first, then the largest name among ties");
    let status = plan.status.unwrap();
    assert!(status.fulfilled);
    assert_eq!(plan.create[0].cluster_score.unwrap().affinity_score, Some(20));
    let not_picked: Vec<_> = status.decisions.iter().filter(|d| !d.selected).collect();
    assert_eq!(names(&not_picked.into_iter().cloned().collect::<Vec<_>>()), ["c", "b"]);
    assert!(status.decisions[2].reason.starts_with("Cluster \"c\" does not score high enough"));
}

#[test]
fn pick_n_scales_up_without_moving_and_reports_unfulfilled() {
    let p = policy(PlacementType::PickN);
    let clusters = [cluster("a", &[]), cluster("b", &[]), stale(cluster("c", &[]))];
    let bindings = [binding("b-a", "a", BindingState::Bound, true)];
    let plan = run(Some(&p), 3, &clusters, &bindings);
    assert_eq!(names(&plan.create), ["b"], "a keeps its binding; c is ineligible");
    let status = plan.status.unwrap();
    assert!(!status.fulfilled);
    assert_eq!(status.found, 2);
    assert_eq!(
        status.message(),
        "could not find all clusters needed as specified by the scheduling policy, found 2 cluster(s) instead"
    );
}

#[test]
fn pick_n_scales_down_scheduled_before_bound_and_lowest_score_first() {
    let p = policy(PlacementType::PickN);
    let clusters = [cluster("a", &[]), cluster("b", &[]), cluster("c", &[]), cluster("d", &[])];
    let mut high = binding("b-c", "c", BindingState::Scheduled, true);
    high.decision = score::selected("c", Score { affinity: 50, ..Default::default() });
    let bindings = [
        binding("b-a", "a", BindingState::Bound, true),
        binding("b-b", "b", BindingState::Scheduled, true),
        high,
        binding("b-d", "d", BindingState::Bound, true),
    ];
    let plan = run(Some(&p), 1, &clusters, &bindings);
    assert_eq!(plan.unschedule, ["b-b", "b-c", "b-a"], "Scheduled (low score first), then Bound by name");
    assert!(plan.status.unwrap().fulfilled);
}

#[test]
fn topology_spread_picks_one_cluster_per_batch_and_requeues() {
    let mut p = policy(PlacementType::PickN);
    p.topology_spread_constraints = vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "region".into(),
        when_unsatisfiable: UnsatisfiableConstraintAction::DoNotSchedule,
    }];
    let clusters = [
        cluster("1", &[("region", "east")]),
        cluster("2", &[("region", "east")]),
        cluster("6", &[("region", "west")]),
        cluster("7", &[("region", "west")]),
    ];
    let first = run(Some(&p), 2, &clusters, &[]);
    assert_eq!(names(&first.create), ["7"]);
    assert!(first.requeue && first.status.is_none(), "no status until the last batch");
    let bindings = [binding("b-7", "7", BindingState::Scheduled, true)];
    let second = run(Some(&p), 2, &clusters, &bindings);
    assert_eq!(names(&second.create), ["2"], "west is full; the larger name in east");
    assert!(!second.requeue);
    let status = second.status.unwrap();
    assert!(
        status
            .decisions
            .iter()
            .any(|d| d.cluster_name == "6" && d.reason.contains("violated doNotSchedule topology spread constraint"))
    );
}

#[test]
fn pick_fixed_places_named_clusters_ignoring_taints_and_reports_missing_and_ineligible() {
    let mut p = policy(PlacementType::PickFixed);
    p.cluster_names = vec!["a".into(), "b".into(), "c".into()];
    let mut tainted = cluster("a", &[]);
    tainted.spec.taints = vec![Taint { key: "k".into(), value: None, effect: TaintEffect::NoSchedule }];
    let clusters = [tainted, stale(cluster("b", &[]))];
    let plan = run(Some(&p), 0, &clusters, &[]);
    assert_eq!(names(&plan.create), ["a"]);
    assert_eq!(
        plan.create[0].reason,
        "Successfully scheduled resources for placement in \"a\": picked by scheduling policy"
    );
    let status = plan.status.unwrap();
    assert!(!status.fulfilled);
    assert_eq!(status.found, 1);
    assert!(
        status.decisions[1]
            .reason
            .starts_with("Cluster \"b\" is not eligible for resource placement yet: cluster is not connected")
    );
    assert_eq!(status.decisions[2].reason, "Specified cluster \"c\" is not found");
    // An empty list places nowhere (KubeFleet's scale to zero): what a
    // previous policy placed is unscheduled, and the policy is fulfilled.
    let mut empty = policy(PlacementType::PickFixed);
    empty.cluster_names.clear();
    let placed = [binding("p-a-aaaaa", "a", BindingState::Bound, false)];
    let plan = run(Some(&empty), 0, &clusters, &placed);
    assert_eq!(plan.unschedule, ["p-a-aaaaa"]);
    assert!(plan.create.is_empty());
    let status = plan.status.unwrap();
    assert!(status.fulfilled && status.found == 0 && status.decisions.is_empty());
}

#[test]
fn a_second_binding_for_one_cluster_is_unscheduled_and_the_bound_one_kept() {
    let clusters = [cluster("a", &[])];
    let bindings = [
        binding("p-a-aaaaa", "a", BindingState::Scheduled, true),
        binding("p-a-zzzzz", "a", BindingState::Bound, true),
    ];
    let plan = run(Some(&policy(PlacementType::PickAll)), 0, &clusters, &bindings);
    assert_eq!(plan.unschedule, ["p-a-aaaaa"]);
    assert!(plan.create.is_empty(), "the cluster keeps its bound binding");
}
