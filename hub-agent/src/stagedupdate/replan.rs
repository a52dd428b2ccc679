//! A running run fitted to the clusters its placement selects now. KubeFleet
//! fails a run when a cluster joins or leaves mid-way (its issue #733);
//! Flotilla re-plans: a cluster that left is dropped from its stage unless
//! it already finished there; one that joined goes into its stage if that
//! stage is still to finish, else into the stage running now; one the
//! placement dropped joins the deletion stage. What changed is said in words
//! for the run's status. Pure.

use apis::{
    conditions::{self, placement as p},
    placement::{ClusterUpdatingStatus, UpdateRunStatus},
};

fn done(c: &ClusterUpdatingStatus) -> bool {
    conditions::is_true(&c.conditions, p::RUN_SUCCEEDED)
}

fn fresh(name: &str) -> ClusterUpdatingStatus {
    ClusterUpdatingStatus { cluster_name: name.to_string(), ..Default::default() }
}

/// Fits `status` to `planned` (each stage's clusters now, in order) and
/// `deletion`; returns what changed.
pub fn replan(status: &mut UpdateRunStatus, planned: &[(String, Vec<String>)], deletion: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    let placed = |name: &str| status_has(status, name);
    let mut homeless: Vec<(String, String)> = Vec::new();
    let joined: Vec<(String, String)> = planned
        .iter()
        .flat_map(|(stage, cs)| cs.iter().map(move |c| (stage.clone(), c.clone())))
        .filter(|(_, c)| !placed(c))
        .collect();
    // Still selected anywhere: it stays where the run put it (a cluster
    // whose labels moved it to another stage mid-run is not moved).
    let selected = |c: &str| planned.iter().any(|(_, cs)| cs.iter().any(|x| x == c));
    for stage in &mut status.stages_status {
        let before = stage.clusters.len();
        stage.clusters.retain(|c| done(c) || selected(&c.cluster_name));
        if stage.clusters.len() != before {
            notes.push(format!("{} cluster(s) left stage {}", before - stage.clusters.len(), stage.stage_name));
        }
    }
    for (stage_name, cluster) in joined {
        let Some(stage) = status.stages_status.iter_mut().find(|s| s.stage_name == stage_name) else { continue };
        if conditions::is_true(&stage.conditions, p::RUN_SUCCEEDED) {
            homeless.push((stage_name, cluster));
        } else {
            stage.clusters.push(fresh(&cluster));
            notes.push(format!("cluster {cluster} joined stage {stage_name}"));
        }
    }
    for (finished, cluster) in homeless {
        match status.stages_status.iter_mut().find(|s| !conditions::is_true(&s.conditions, p::RUN_SUCCEEDED)) {
            Some(now) => {
                notes.push(format!(
                    "cluster {cluster} joined stage {finished}, which had finished: it is updated in stage {}",
                    now.stage_name
                ));
                now.clusters.push(fresh(&cluster));
            }
            None => notes.push(format!("cluster {cluster} joined after every stage finished: a later run updates it")),
        }
    }
    if let Some(del) = status.deletion_stage_status.as_mut() {
        for c in deletion {
            if !del.clusters.iter().any(|d| d.cluster_name == *c) {
                del.clusters.push(fresh(c));
                notes.push(format!("cluster {c} is no longer selected: it joins the deletion stage"));
            }
        }
    }
    notes
}

fn status_has(status: &UpdateRunStatus, name: &str) -> bool {
    status.stages_status.iter().flat_map(|s| &s.clusters).any(|c| c.cluster_name == name)
}

#[cfg(test)]
mod tests {
    use apis::placement::StageUpdatingStatus;

    use super::*;

    fn stage(name: &str, clusters: &[(&str, bool)], finished: bool) -> StageUpdatingStatus {
        let ok = |b: bool| if b { vec![conditions::new(p::RUN_SUCCEEDED, true, "R", "", Some(1))] } else { vec![] };
        StageUpdatingStatus {
            stage_name: name.into(),
            clusters: clusters
                .iter()
                .map(|(c, d)| ClusterUpdatingStatus {
                    cluster_name: c.to_string(),
                    conditions: ok(*d),
                    ..Default::default()
                })
                .collect(),
            conditions: ok(finished),
            ..Default::default()
        }
    }

    fn names(s: &StageUpdatingStatus) -> Vec<&str> {
        s.clusters.iter().map(|c| c.cluster_name.as_str()).collect()
    }

    #[test]
    fn joins_and_leaves_are_re_planned_not_failed() {
        let mut st = UpdateRunStatus {
            stages_status: vec![
                stage("canary", &[("a", true)], true),
                stage("west", &[("b", true), ("c", false)], false),
            ],
            deletion_stage_status: Some(stage("kubernetes-fleet.io/deleteStage", &[], false)),
            ..Default::default()
        };
        // c left, d joined west, e joined canary (finished), f dropped by the placement.
        let planned = vec![
            ("canary".to_string(), vec!["a".into(), "e".into()]),
            ("west".to_string(), vec!["b".into(), "d".into()]),
        ];
        let notes = replan(&mut st, &planned, &["f".into()]);
        assert_eq!(names(&st.stages_status[0]), ["a"]);
        assert_eq!(names(&st.stages_status[1]), ["b", "d", "e"]);
        assert_eq!(names(st.deletion_stage_status.as_ref().unwrap()), ["f"]);
        assert_eq!(
            notes,
            [
                "1 cluster(s) left stage west",
                "cluster d joined stage west",
                "cluster e joined stage canary, which had finished: it is updated in stage west",
                "cluster f is no longer selected: it joins the deletion stage",
            ]
        );
        assert!(replan(&mut st, &planned, &["f".into()]).is_empty(), "a second look changes nothing");
    }

    #[test]
    fn a_cluster_that_finished_stays_in_the_record_after_it_leaves() {
        let mut st = UpdateRunStatus {
            stages_status: vec![stage("all", &[("a", true), ("b", false)], false)],
            ..Default::default()
        };
        replan(&mut st, &[("all".to_string(), vec![])], &[]);
        assert_eq!(names(&st.stages_status[0]), ["a"]);
    }
}
