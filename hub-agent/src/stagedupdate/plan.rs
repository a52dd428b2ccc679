//! An update run's stages, as KubeFleet initializes them: the placement's
//! bindings under the latest policy snapshot are sorted into the selected
//! clusters and those to delete; each stage takes the selected clusters its
//! label selector matches (none for no selector, all for `{}`), in the order
//! of their `sortingLabelKey` value, then by name; a cluster in two stages or
//! in none stops the run. Errors carry KubeFleet's messages. Pure.

use std::collections::BTreeMap;

use apis::placement::{BindingState, StageConfig, UpdateStrategySpec};

use crate::scheduler::label_selector;

/// One of the placement's bindings.
pub struct Binding<'a> {
    pub cluster: &'a str,
    pub state: BindingState,
    /// It follows the latest policy snapshot.
    pub current: bool,
}

/// One member cluster.
pub struct Cluster<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
}

#[derive(Debug, PartialEq)]
pub struct Plan {
    /// Each stage's clusters, in update order.
    pub stages: Vec<(String, Vec<String>)>,
    /// Clusters the placement no longer selects, by name.
    pub deletion: Vec<String>,
}

/// The clusters the latest policy snapshot selects and those to delete.
pub fn scheduled(bindings: &[Binding]) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut selected, mut delete) = (Vec::new(), Vec::new());
    for b in bindings {
        match (b.current, b.state) {
            (_, BindingState::Unscheduled) => delete.push(b.cluster.to_string()),
            (true, _) => selected.push(b.cluster.to_string()),
            (false, state) => {
                return Err(format!(
                    "binding for cluster `{}` has state {state:?}, we might observe a transient state, need retry",
                    b.cluster
                ));
            }
        }
    }
    selected.sort();
    delete.sort();
    Ok((selected, delete))
}

fn stage_clusters(stage: &StageConfig, selected: &[String], clusters: &[Cluster]) -> Result<Vec<String>, String> {
    let Some(selector) = &stage.label_selector else { return Ok(vec![]) };
    let mut picked: Vec<(Option<i64>, String)> = Vec::new();
    for c in clusters.iter().filter(|c| selected.iter().any(|s| s == c.name)) {
        if !label_selector::matches(selector, c.labels)? {
            continue;
        }
        let order = match &stage.sorting_label_key {
            None => None,
            Some(key) => {
                let value = c.labels.get(key).map(String::as_str).unwrap_or_default();
                Some(value.parse::<i64>().map_err(|e| {
                    format!("the sorting label `{key}:{value}` on cluster `{}` is not valid: {e}", c.name)
                })?)
            }
        };
        picked.push((order, c.name.to_string()));
    }
    picked.sort();
    Ok(picked.into_iter().map(|(_, n)| n).collect())
}

/// The run's stages from `strategy` over the `selected` clusters.
pub fn stages(
    strategy: &UpdateStrategySpec,
    selected: &[String],
    clusters: &[Cluster],
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut placed: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for stage in &strategy.stages {
        let mine = stage_clusters(stage, selected, clusters)?;
        for c in &mine {
            if placed.insert(c.clone(), stage.name.clone()).is_some() {
                return Err(format!("cluster `{c}` appears in more than one stages"));
            }
        }
        out.push((stage.name.clone(), mine));
    }
    let missing: Vec<&String> = selected.iter().filter(|c| !placed.contains_key(*c)).collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).map(|s| s.as_str()).collect();
        return Err(format!(
            "some clusters are not placed in any stage, total {}, showing up to 10: {}",
            missing.len(),
            shown.join(", ")
        ));
    }
    Ok(out)
}

pub fn plan(strategy: &UpdateStrategySpec, bindings: &[Binding], clusters: &[Cluster]) -> Result<Plan, String> {
    if bindings.is_empty() {
        return Err("no scheduled or to-be-deleted bindings found for the latest policy snapshot".into());
    }
    let (selected, deletion) = scheduled(bindings)?;
    Ok(Plan { stages: stages(strategy, &selected, clusters)?, deletion })
}

/// A run's status once initialized: its stages and clusters (each with the
/// override snapshots its binding will carry), the strategy and apply
/// strategy as they are now, and the snapshot indices it rolls.
pub struct Initial<'a> {
    pub generation: Option<i64>,
    pub plan: Plan,
    pub strategy: &'a UpdateStrategySpec,
    pub apply_strategy: Option<apis::placement::ApplyStrategy>,
    pub policy_snapshot_index: String,
    pub observed_cluster_count: i64,
    pub resource_snapshot_index: String,
    pub overrides: &'a BTreeMap<String, crate::overrides::applicable::Lists>,
}

pub fn initial_status(i: Initial) -> apis::placement::UpdateRunStatus {
    use apis::{
        conditions::{self, placement as p},
        placement::{ClusterUpdatingStatus, StageUpdatingStatus, UpdateRunStatus},
    };
    let cluster = |name: String| {
        let lists = i.overrides.get(&name).cloned().unwrap_or_default();
        ClusterUpdatingStatus {
            cluster_name: name,
            resource_override_snapshots: lists.namespaced,
            cluster_resource_override_snapshots: lists.cluster,
            conditions: vec![],
        }
    };
    let stage = |name: String, clusters: Vec<String>| StageUpdatingStatus {
        stage_name: name,
        clusters: clusters.into_iter().map(cluster).collect(),
        ..Default::default()
    };
    let mut strategy = i.strategy.clone();
    // As KubeFleet: an Approval's waitTime means nothing.
    for s in &mut strategy.stages {
        for t in s.after_stage_tasks.iter_mut().chain(s.before_stage_tasks.iter_mut()) {
            if t.type_ == apis::placement::StageTaskType::Approval {
                t.wait_time = None;
            }
        }
    }
    UpdateRunStatus {
        policy_snapshot_index_used: i.policy_snapshot_index,
        policy_observed_cluster_count: Some(i.observed_cluster_count),
        resource_snapshot_index_used: i.resource_snapshot_index,
        applied_strategy: i.apply_strategy,
        staged_update_strategy_snapshot: Some(strategy),
        stages_status: i.plan.stages.into_iter().map(|(n, cs)| stage(n, cs)).collect(),
        deletion_stage_status: Some(stage(DELETE_STAGE.to_string(), i.plan.deletion)),
        conditions: vec![conditions::new(
            p::RUN_INITIALIZED,
            true,
            p::REASON_RUN_INITIALIZED,
            "The UpdateRun initialized successfully",
            i.generation,
        )],
    }
}

/// The deletion stage's name, KubeFleet's.
pub const DELETE_STAGE: &str = "kubernetes-fleet.io/deleteStage";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strategy(v: serde_json::Value) -> UpdateStrategySpec {
        serde_json::from_value(v).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn bound(cluster: &str) -> Binding<'_> {
        Binding { cluster, state: BindingState::Scheduled, current: true }
    }

    #[test]
    fn clusters_fall_into_stages_in_label_order_then_by_name() {
        let s = strategy(json!({"stages": [
            {"name": "canary", "labelSelector": {"matchLabels": {"env": "canary"}}},
            {"name": "prod", "labelSelector": {"matchLabels": {"env": "prod"}}, "sortingLabelKey": "order"},
            {"name": "empty"},
        ]}));
        let (a, b, c, d) = (
            labels(&[("env", "prod"), ("order", "2")]),
            labels(&[("env", "prod"), ("order", "1")]),
            labels(&[("env", "canary")]),
            labels(&[("env", "prod"), ("order", "1")]),
        );
        let clusters = [
            Cluster { name: "a", labels: &a },
            Cluster { name: "b", labels: &b },
            Cluster { name: "c", labels: &c },
            Cluster { name: "d", labels: &d },
        ];
        let mut gone = bound("z");
        gone.state = BindingState::Unscheduled;
        let p = plan(&s, &[bound("a"), bound("b"), bound("c"), bound("d"), gone], &clusters).unwrap();
        assert_eq!(
            p.stages,
            [
                ("canary".to_string(), vec!["c".to_string()]),
                ("prod".to_string(), vec!["b".into(), "d".into(), "a".into()]),
                ("empty".to_string(), vec![]),
            ]
        );
        assert_eq!(p.deletion, ["z"]);
    }

    #[test]
    fn overlapping_missing_and_badly_sorted_clusters_stop_the_run() {
        let (prod, bad) = (labels(&[("env", "prod")]), labels(&[("env", "prod"), ("order", "x")]));
        let all =
            strategy(json!({"stages": [{"name": "one", "labelSelector": {}}, {"name": "two", "labelSelector": {}}]}));
        let clusters = [Cluster { name: "a", labels: &prod }];
        assert_eq!(plan(&all, &[bound("a")], &clusters).unwrap_err(), "cluster `a` appears in more than one stages");
        let canary =
            strategy(json!({"stages": [{"name": "one", "labelSelector": {"matchLabels": {"env": "canary"}}}]}));
        let e = plan(&canary, &[bound("a")], &clusters).unwrap_err();
        assert_eq!(e, "some clusters are not placed in any stage, total 1, showing up to 10: a");
        let sorted = strategy(json!({"stages": [{"name": "one", "labelSelector": {}, "sortingLabelKey": "order"}]}));
        let e = plan(&sorted, &[bound("a")], &[Cluster { name: "a", labels: &bad }]).unwrap_err();
        assert!(e.starts_with("the sorting label `order:x` on cluster `a` is not valid"), "{e}");
        assert!(plan(&all, &[], &clusters).unwrap_err().starts_with("no scheduled or to-be-deleted bindings"));
    }
}
