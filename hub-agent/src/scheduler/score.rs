//! Cluster scores and the decision texts KubeFleet users know. Pure.

use std::cmp::Ordering;

use apis::placement::{ClusterDecision, ClusterScore};

/// Compared field by field, never summed: any topology spread difference
/// outweighs any affinity difference, and a cluster already holding the
/// placement under an older policy wins only an otherwise exact tie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score {
    pub topology_spread: i32,
    pub affinity: i32,
    pub obsolete_placement: i32,
}

impl Score {
    pub fn api(&self) -> ClusterScore {
        ClusterScore { affinity_score: Some(self.affinity), topology_spread_score: Some(self.topology_spread) }
    }
}

/// Best first: higher score, and on a full tie the larger name (KubeFleet's
/// reversed sort does the same, and its tests pin it).
pub fn best_first(a: &(String, Score), b: &(String, Score)) -> Ordering {
    (b.1, &b.0).cmp(&(a.1, &a.0))
}

pub fn selected(cluster: &str, score: Score) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: true,
        cluster_score: Some(score.api()),
        reason: format!(
            "Successfully scheduled resources for placement in \"{cluster}\" (affinity score: {}, topology spread score: {}): picked by scheduling policy",
            score.affinity, score.topology_spread
        ),
    }
}

pub fn selected_fixed(cluster: &str) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: true,
        cluster_score: None,
        reason: format!("Successfully scheduled resources for placement in \"{cluster}\": picked by scheduling policy"),
    }
}

pub fn not_picked(cluster: &str, score: Score) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: false,
        cluster_score: Some(score.api()),
        reason: format!(
            "Cluster \"{cluster}\" does not score high enough (affinity score: {}, topology spread score: {})",
            score.affinity, score.topology_spread
        ),
    }
}

pub fn filtered(cluster: &str, reason: &str) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: false,
        cluster_score: None,
        reason: format!("ClusterUnschedulable, {reason}"),
    }
}

pub fn fixed_invalid(cluster: &str, reason: &str) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: false,
        cluster_score: None,
        reason: format!("Cluster \"{cluster}\" is not eligible for resource placement yet: {reason}"),
    }
}

pub fn fixed_not_found(cluster: &str) -> ClusterDecision {
    ClusterDecision {
        cluster_name: cluster.to_string(),
        selected: false,
        cluster_score: None,
        reason: format!("Specified cluster \"{cluster}\" is not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: i32, a: i32, o: i32) -> Score {
        Score { topology_spread: t, affinity: a, obsolete_placement: o }
    }

    #[test]
    fn scores_compare_topology_then_affinity_then_obsolete_and_ties_go_to_the_larger_name() {
        assert!(s(1, 0, 0) > s(0, 100, 1), "topology spread first");
        assert!(s(0, 10, 1) > s(0, 10, 0));
        let mut ranked =
            [("a".to_string(), s(0, 10, 0)), ("b".to_string(), s(0, 10, 1)), ("c".to_string(), s(0, 5, 0))];
        ranked.sort_by(best_first);
        assert_eq!(ranked.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["b", "a", "c"]);
        let mut tie = [("a".to_string(), s(0, 0, 0)), ("c".to_string(), s(0, 0, 0)), ("b".to_string(), s(0, 0, 0))];
        tie.sort_by(best_first);
        assert_eq!(tie[0].0, "c");
    }

    #[test]
    fn decision_texts_are_kubefleets() {
        assert_eq!(
            selected("member-2", Score::default()).reason,
            "Successfully scheduled resources for placement in \"member-2\" (affinity score: 0, topology spread score: 0): picked by scheduling policy"
        );
        assert_eq!(
            filtered("m", "cluster has left the fleet").reason,
            "ClusterUnschedulable, cluster has left the fleet"
        );
        assert_eq!(fixed_not_found("x").reason, "Specified cluster \"x\" is not found");
    }
}
