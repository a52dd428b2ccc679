//! Staged update runs: a placement with the External strategy, rolled
//! stage by stage (canary → east → west) with an approval and a wait.

use std::collections::BTreeMap;

use apis::{
    conditions::{self, placement as p},
    labels,
    placement::{ClusterApprovalRequest, ClusterStagedUpdateRun},
};
use fleet::wait;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};

use crate::{
    apply, hub, label_member, members,
    support::{TIMEOUT, config_map, create_crp, create_namespace, crp, namespace_selector, works},
};

/// The resource snapshot each cluster's Work came from, by cluster.
async fn versions(client: &Client, placement: &str) -> BTreeMap<String, String> {
    works(client, placement)
        .await
        .into_iter()
        .filter_map(|(c, ws)| Some((c, ws.first()?.annotations().get(labels::PARENT_RESOURCE_SNAPSHOT_NAME)?.clone())))
        .collect()
}

async fn wait_versions(client: &Client, placement: &str, want: &BTreeMap<String, String>) {
    wait::until(&format!("{placement}'s Works at {want:?}"), TIMEOUT, || async {
        Ok((versions(client, placement).await == *want).then_some(()))
    })
    .await
    .unwrap();
}

async fn run_condition(client: &Client, run: &str, type_: &str) -> Option<(String, String)> {
    let r = Api::<ClusterStagedUpdateRun>::all(client.clone()).get(run).await.unwrap();
    let conds = r.status.map(|s| s.conditions).unwrap_or_default();
    conditions::find(&conds, type_).map(|c| (c.status.clone(), c.reason.clone()))
}

async fn wait_run(client: &Client, run: &str, type_: &str, status: &str) {
    wait::until(&format!("run {run} {type_}={status}"), TIMEOUT, || async {
        Ok(run_condition(client, run, type_).await.filter(|(s, _)| s == status).map(|_| ()))
    })
    .await
    .unwrap();
}

fn run(name: &str, strategy: &str) -> Value {
    json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateRun",
           "metadata": {"name": name},
           "spec": {"placementName": "it-staged", "stagedRolloutStrategyName": strategy, "state": "Run"}})
}

#[tokio::test]
async fn a_three_stage_run_waits_for_approval_after_canary_and_ends_with_every_cluster_on_the_new_snapshot() {
    let client = hub().await;
    let (sim, _reporter) = members(&client, "stg", 4).await;
    let [canary, east, west1, west2] = [&sim.names[0], &sim.names[1], &sim.names[2], &sim.names[3]];
    for (m, group, order) in [(canary, "canary", "1"), (east, "east", "1"), (west1, "west", "2"), (west2, "west", "1")]
    {
        label_member(&client, m, "it-staged", "yes").await;
        label_member(&client, m, "it-stage", group).await;
        label_member(&client, m, "it-order", order).await;
    }
    create_namespace(&client, "it-staged").await;
    config_map(&client, "it-staged", "app", json!({"version": "1"})).await;
    let policy = json!({"placementType": "PickAll", "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"it-staged": "yes"}}}]}}}});
    create_crp(
        &client,
        &crp("it-staged", json!({"resourceSelectors": namespace_selector("it-staged"), "policy": policy, "strategy": {"type": "External"}})),
    )
    .await;
    let stage = |name: &str, tasks: Value| json!({"name": name, "labelSelector": {"matchLabels": {"it-stage": name}}, "sortingLabelKey": "it-order", "afterStageTasks": tasks});
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateStrategy",
               "metadata": {"name": "it-canary-east-west"},
               "spec": {"stages": [stage("canary", json!([{"type": "Approval"}])),
                                   stage("east", json!([{"type": "TimedWait", "waitTime": "2s"}])),
                                   stage("west", json!([]))]}}),
    )
    .await;
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateStrategy",
               "metadata": {"name": "it-all-at-once"},
               "spec": {"stages": [{"name": "all", "labelSelector": {"matchLabels": {"it-staged": "yes"}}, "maxConcurrency": "100%"}]}}),
    )
    .await;
    // External: nothing is placed until a run says so.
    assert!(works(&client, "it-staged").await.is_empty(), "Works before any run");

    // The first version everywhere at once.
    apply(&client, run("it-staged-1", "it-all-at-once")).await;
    wait_run(&client, "it-staged-1", p::RUN_SUCCEEDED, "True").await;
    let v0 = "it-staged-0-snapshot".to_string();
    let all = |v: &String| -> BTreeMap<String, String> { sim.names.iter().map(|n| (n.clone(), v.clone())).collect() };
    wait_versions(&client, "it-staged", &all(&v0)).await;

    // A new version, through canary → (approval) → east → (2 s) → west.
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client.clone(), "it-staged")
        .patch("app", &PatchParams::default(), &Patch::Merge(json!({"data": {"version": "2"}})))
        .await
        .unwrap();
    let v1 = "it-staged-1-snapshot".to_string();
    // An empty resourceSnapshotIndex rolls the latest snapshot when the run
    // initializes: wait until the edit has one, so this run rolls it.
    let snapshots: Api<apis::placement::ClusterResourceSnapshot> = Api::all(client.clone());
    wait::until("the edit's resource snapshot", TIMEOUT, || async { Ok(snapshots.get_opt(&v1).await?) }).await.unwrap();
    apply(&client, run("it-staged-2", "it-canary-east-west")).await;
    let requests: Api<ClusterApprovalRequest> = Api::all(client.clone());
    let request = wait::until("the approval request after canary", TIMEOUT, || async {
        Ok(requests.get_opt("it-staged-2-after-canary").await?)
    })
    .await
    .unwrap();
    assert_eq!(
        (request.spec.parent_stage_rollout.as_str(), request.spec.target_stage.as_str()),
        ("it-staged-2", "canary")
    );
    let mut only_canary = all(&v0);
    only_canary.insert(canary.clone(), v1.clone());
    wait_versions(&client, "it-staged", &only_canary).await;
    // The request is created before the status saying so is written: wait for both.
    wait_run(&client, "it-staged-2", p::RUN_PROGRESSING, "False").await;
    let waiting = run_condition(&client, "it-staged-2", p::RUN_PROGRESSING).await;
    assert_eq!(waiting, Some(("False".into(), p::REASON_RUN_WAITING.into())));
    assert_eq!(versions(&client, "it-staged").await, only_canary, "nothing past canary before the approval");

    let approved = conditions::new(p::APPROVAL_APPROVED, true, "Approved", "lgtm", request.metadata.generation);
    requests
        .patch_status(
            "it-staged-2-after-canary",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"conditions": [approved]}})),
        )
        .await
        .unwrap();
    wait_run(&client, "it-staged-2", p::RUN_SUCCEEDED, "True").await;
    wait_versions(&client, "it-staged", &all(&v1)).await;
    let accepted = requests.get("it-staged-2-after-canary").await.unwrap();
    assert!(
        conditions::is_true(&accepted.status.unwrap().conditions, p::APPROVAL_ACCEPTED),
        "the run accepted the approval"
    );
    let run2 = Api::<ClusterStagedUpdateRun>::all(client.clone()).get("it-staged-2").await.unwrap().status.unwrap();
    let order: Vec<(&str, Vec<&str>)> = run2
        .stages_status
        .iter()
        .map(|s| (s.stage_name.as_str(), s.clusters.iter().map(|c| c.cluster_name.as_str()).collect()))
        .collect();
    assert_eq!(
        order,
        [
            ("canary", vec![canary.as_str()]),
            ("east", vec![east.as_str()]),
            ("west", vec![west2.as_str(), west1.as_str()])
        ],
        "stages in order, west by its it-order label"
    );
    assert_eq!(run2.resource_snapshot_index_used, "1");
}

#[tokio::test]
async fn a_cluster_that_joins_mid_run_is_re_planned_into_its_stage_and_updated() {
    let client = hub().await;
    let (sim, _reporter) = members(&client, "stj", 3).await;
    let [first, second, late] = [&sim.names[0], &sim.names[1], &sim.names[2]];
    for (m, group) in [(first, "one"), (second, "two"), (late, "two")] {
        label_member(&client, m, "it-stage-join", group).await;
    }
    for m in [first, second] {
        label_member(&client, m, "it-staged-join", "yes").await;
    }
    create_namespace(&client, "it-staged-join").await;
    config_map(&client, "it-staged-join", "app", json!({"version": "1"})).await;
    let policy = json!({"placementType": "PickAll", "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"it-staged-join": "yes"}}}]}}}});
    create_crp(
        &client,
        &crp("it-staged-join", json!({"resourceSelectors": namespace_selector("it-staged-join"), "policy": policy, "strategy": {"type": "External"}})),
    )
    .await;
    let stage = |name: &str, tasks: Value| json!({"name": name, "labelSelector": {"matchLabels": {"it-stage-join": name}}, "afterStageTasks": tasks});
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateStrategy",
               "metadata": {"name": "it-join"},
               "spec": {"stages": [stage("one", json!([{"type": "Approval"}])), stage("two", json!([]))]}}),
    )
    .await;
    let mut r = run("it-staged-join-1", "it-join");
    r["spec"]["placementName"] = json!("it-staged-join");
    apply(&client, r).await;
    let requests: Api<ClusterApprovalRequest> = Api::all(client.clone());
    let request = wait::until("the approval after stage one", TIMEOUT, || async {
        Ok(requests.get_opt("it-staged-join-1-after-one").await?)
    })
    .await
    .unwrap();

    // A third cluster joins the placement while the run waits.
    label_member(&client, late, "it-staged-join", "yes").await;
    let runs = Api::<ClusterStagedUpdateRun>::all(client.clone());
    wait::until("the run to re-plan", TIMEOUT, || async {
        let st = runs.get("it-staged-join-1").await?.status.unwrap_or_default();
        let two = st.stages_status.iter().find(|s| s.stage_name == "two").map(|s| s.clusters.len());
        Ok((two == Some(2)).then_some(()))
    })
    .await
    .unwrap();
    let approved = conditions::new(p::APPROVAL_APPROVED, true, "Approved", "lgtm", request.metadata.generation);
    requests
        .patch_status(
            "it-staged-join-1-after-one",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"conditions": [approved]}})),
        )
        .await
        .unwrap();
    wait_run(&client, "it-staged-join-1", p::RUN_SUCCEEDED, "True").await;
    let v0 = "it-staged-join-0-snapshot".to_string();
    let want: BTreeMap<String, String> = sim.names.iter().map(|n| (n.clone(), v0.clone())).collect();
    wait_versions(&client, "it-staged-join", &want).await;
    let st = runs.get("it-staged-join-1").await.unwrap().status.unwrap();
    let init = conditions::find(&st.conditions, p::RUN_INITIALIZED).unwrap();
    assert!(init.message.contains(&format!("cluster {late} joined stage two")), "{}", init.message);
}
