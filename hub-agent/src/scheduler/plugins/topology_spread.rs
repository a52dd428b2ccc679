//! Topology spread: placing on a cluster must not grow the skew between
//! topology domains (values of `topologyKey` among all clusters) beyond
//! `maxSkew`. DoNotSchedule filters a cluster that would; ScheduleAnyway
//! costs it 1000 points. Otherwise the score is minus the skew change, so
//! clusters in the emptiest domain rank first. Only current Scheduled/Bound
//! bindings count. PickN then picks one cluster per batch so each pick sees
//! the last. Pure.

use std::collections::{BTreeMap, BTreeSet};

use apis::{
    cluster::MemberCluster,
    placement::{TopologySpreadConstraint, UnsatisfiableConstraintAction},
};
use kube::ResourceExt;

const VIOLATION_PENALTY: i32 = 1000;

#[derive(Debug, Default, PartialEq)]
pub struct Evaluation {
    /// DoNotSchedule violations: cluster → reason.
    pub violations: BTreeMap<String, String>,
    /// Topology spread score of every cluster without a violation.
    pub scores: BTreeMap<String, i32>,
}

/// `(violated, skew change)` of one more binding in a domain holding `count`.
fn will_violate(count: usize, sorted_counts: &[usize], max_skew: i32) -> (bool, i32) {
    let smallest = sorted_counts[0];
    let second = *sorted_counts.get(1).unwrap_or(&smallest);
    let largest = *sorted_counts.last().expect("non-empty");
    let skew = (largest - smallest) as i32;
    if largest == smallest {
        (skew + 1 > max_skew, 1)
    } else if count == smallest && smallest != second {
        (skew - 1 > max_skew, -1)
    } else if count == largest {
        (skew + 1 > max_skew, 1)
    } else {
        (skew > max_skew, 0)
    }
}

/// Evaluates every constraint for every cluster; `holding` are the clusters
/// with a current Scheduled or Bound binding of this placement.
pub fn evaluate(
    constraints: &[TopologySpreadConstraint],
    clusters: &[MemberCluster],
    holding: &BTreeSet<String>,
) -> Evaluation {
    let mut eval = Evaluation::default();
    for c in clusters {
        eval.scores.insert(c.name_any(), 0);
    }
    let ordered = constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::DoNotSchedule)
        .chain(constraints.iter().filter(|c| c.when_unsatisfiable == UnsatisfiableConstraintAction::ScheduleAnyway));
    for constraint in ordered {
        let key = &constraint.topology_key;
        let mut per_domain: BTreeMap<&str, usize> = BTreeMap::new();
        for c in clusters {
            if let Some(v) = c.labels().get(key) {
                *per_domain.entry(v.as_str()).or_default() += usize::from(holding.contains(&c.name_any()));
            }
        }
        let mut sorted: Vec<usize> = per_domain.values().copied().collect();
        sorted.sort();
        for c in clusters {
            let name = c.name_any();
            if eval.violations.contains_key(&name) {
                continue;
            }
            let Some(domain) = c.labels().get(key) else { continue };
            let (violated, change) = will_violate(per_domain[domain.as_str()], &sorted, constraint.max_skew);
            let score = eval.scores.get_mut(&name).expect("every cluster has a score");
            match (constraint.when_unsatisfiable, violated) {
                (UnsatisfiableConstraintAction::DoNotSchedule, true) => {
                    eval.violations.insert(
                        name.clone(),
                        format!(
                            "violated doNotSchedule topology spread constraint {key:?} (max skew {})",
                            constraint.max_skew
                        ),
                    );
                    eval.scores.remove(&name);
                }
                (UnsatisfiableConstraintAction::ScheduleAnyway, true) => *score -= VIOLATION_PENALTY,
                (_, false) => *score -= change,
            }
        }
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::cluster::MemberClusterSpec;

    fn cluster(name: &str, region: Option<&str>) -> MemberCluster {
        let mut mc = MemberCluster::new(name, MemberClusterSpec::for_user(name, 60));
        mc.metadata.labels = region.map(|r| [("region".to_string(), r.to_string())].into());
        mc
    }

    fn constraint(action: UnsatisfiableConstraintAction, max_skew: i32) -> TopologySpreadConstraint {
        TopologySpreadConstraint { max_skew, topology_key: "region".into(), when_unsatisfiable: action }
    }

    fn holding(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn do_not_schedule_filters_the_fullest_domain_and_scores_the_rest() {
        // KubeFleet's worked example: east {1,2,3}, central {4,5}, west {6,7}; 7 holds the placement.
        let clusters: Vec<_> = [
            ("1", "east"),
            ("2", "east"),
            ("3", "east"),
            ("4", "central"),
            ("5", "central"),
            ("6", "west"),
            ("7", "west"),
        ]
        .iter()
        .map(|(n, r)| cluster(n, Some(r)))
        .collect();
        let e = evaluate(&[constraint(UnsatisfiableConstraintAction::DoNotSchedule, 1)], &clusters, &holding(&["7"]));
        assert!(e.violations["6"].contains("\"region\" (max skew 1)"), "{:?}", e.violations);
        assert!(!e.scores.contains_key("6"));
        for c in ["1", "2", "3", "4", "5"] {
            assert_eq!(e.scores[c], 0, "a shared minimum neither grows nor shrinks the skew: {c}");
        }
    }

    #[test]
    fn an_empty_fleet_placement_scores_minus_one_everywhere_and_unlabelled_clusters_zero() {
        let clusters = [cluster("a", Some("east")), cluster("b", Some("west")), cluster("c", None)];
        let e = evaluate(&[constraint(UnsatisfiableConstraintAction::DoNotSchedule, 1)], &clusters, &holding(&[]));
        assert_eq!((e.scores["a"], e.scores["b"], e.scores["c"]), (-1, -1, 0));
        assert!(e.violations.is_empty());
    }

    #[test]
    fn the_unique_minimum_gains_and_schedule_anyway_costs_a_thousand() {
        // east holds 2, west 1, north 0 (unique minimum).
        let clusters = [
            cluster("e1", Some("east")),
            cluster("e2", Some("east")),
            cluster("w1", Some("west")),
            cluster("w2", Some("west")),
            cluster("n1", Some("north")),
        ];
        let held = holding(&["e1", "e2", "w1"]);
        let e = evaluate(&[constraint(UnsatisfiableConstraintAction::DoNotSchedule, 1)], &clusters, &held);
        assert_eq!(e.scores["n1"], 1, "placing in the emptiest domain shrinks the skew");
        assert!(e.violations.contains_key("e1") && e.violations.contains_key("w2"), "{:?}", e.violations);
        let soft = evaluate(&[constraint(UnsatisfiableConstraintAction::ScheduleAnyway, 1)], &clusters, &held);
        assert_eq!(soft.scores["e1"], -1000);
        assert!(soft.violations.is_empty(), "ScheduleAnyway never filters");
    }
}
