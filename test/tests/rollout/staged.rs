//! Staged update runs: a placement with the External strategy, rolled
//! stage by stage (canary → east → west) with an approval and a wait.

use std::collections::BTreeMap;

use apis::{
    conditions::{self, placement as p},
    labels,
    placement::{
        ApprovalRequest, ClusterApprovalRequest, ClusterResourceBinding, ClusterResourcePlacement,
        ClusterStagedUpdateRun, ResourceBinding, StagedUpdateRun,
    },
};
use fleet::wait;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};

use crate::{
    apply, hub, label_member, members,
    support::{
        TIMEOUT, condition, config_map, create_crp, create_namespace, crp, namespace_selector, wait_condition, works,
    },
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

/// Waits until the scheduler has bound `placement` to `count` clusters: a
/// run initializes against the scheduler's decision, and one of a placement
/// with no bindings yet fails for good, as KubeFleet's does.
async fn wait_scheduled<K>(bindings: &Api<K>, placement: &str, count: usize)
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let tracked = kube::api::ListParams::default().labels(&format!("{}={placement}", labels::PLACEMENT_TRACKING));
    wait::until(&format!("{placement} scheduled on {count} clusters"), TIMEOUT, || async {
        Ok((bindings.list(&tracked).await?.items.len() == count).then_some(()))
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
    wait_scheduled(&Api::<ClusterResourceBinding>::all(client.clone()), "it-staged", 4).await;
    // External: nothing is placed, and no version taken, until a run says so;
    // the placement says the runs tell its rollout (KubeFleet's status).
    let pending = wait_condition(&client, "it-staged", p::CRP_ROLLOUT_STARTED, "Unknown").await;
    let c = condition(&pending, p::CRP_ROLLOUT_STARTED).unwrap();
    assert_eq!(c.reason, p::REASON_ROLLOUT_CONTROLLED_BY_EXTERNAL_CONTROLLER);
    assert!(c.message.contains("check the ClusterStagedUpdateRun resources"), "{}", c.message);
    assert!(works(&client, "it-staged").await.is_empty(), "Works before any run");
    let snapshots: Api<apis::placement::ClusterResourceSnapshot> = Api::all(client.clone());
    let tracked = kube::api::ListParams::default().labels(&format!("{}=it-staged", labels::PLACEMENT_TRACKING));
    assert!(snapshots.list(&tracked).await.unwrap().items.is_empty(), "a resource snapshot before any run");

    // The first version everywhere at once.
    apply(&client, run("it-staged-1", "it-all-at-once")).await;
    wait_run(&client, "it-staged-1", p::RUN_SUCCEEDED, "True").await;
    let v0 = "it-staged-0-snapshot".to_string();
    let all = |v: &String| -> BTreeMap<String, String> { sim.names.iter().map(|n| (n.clone(), v.clone())).collect() };
    wait_versions(&client, "it-staged", &all(&v0)).await;
    let done = wait_condition(&client, "it-staged", p::CRP_AVAILABLE, "True").await;
    assert_eq!(done.status.unwrap().observed_resource_index, "0");

    // An edit on the hub takes no new version by itself: a pass after it (a
    // new generation) still finds only the run's snapshot.
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client.clone(), "it-staged")
        .patch("app", &PatchParams::default(), &Patch::Merge(json!({"data": {"version": "2"}})))
        .await
        .unwrap();
    Api::<ClusterResourcePlacement>::all(client.clone())
        .patch("it-staged", &PatchParams::default(), &Patch::Merge(json!({"spec": {"revisionHistoryLimit": 5}})))
        .await
        .unwrap();
    wait_condition(&client, "it-staged", p::CRP_AVAILABLE, "True").await;
    let names: Vec<String> = snapshots.list(&tracked).await.unwrap().items.iter().map(|s| s.name_any()).collect();
    assert_eq!(names, std::slice::from_ref(&v0), "an External placement's edit took a version by itself");

    // A run with no resourceSnapshotIndex takes the resources as they are
    // now, through canary → (approval) → east → (2 s) → west.
    let v1 = "it-staged-1-snapshot".to_string();
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
    let taken = snapshots.get(&v1).await.unwrap();
    let run2_uid = Api::<ClusterStagedUpdateRun>::all(client.clone()).get("it-staged-2").await.unwrap().uid();
    assert_eq!(taken.annotations().get(labels::RESOURCE_SNAPSHOT_ANSWERS), run2_uid.as_ref(), "taken for the run");
    // Clusters on two versions: the placement leaves the story to the run.
    let mixed = wait_condition(&client, "it-staged", p::CRP_ROLLOUT_STARTED, "Unknown").await;
    let c = condition(&mixed, p::CRP_ROLLOUT_STARTED).unwrap();
    assert!(c.message.contains("different resource snapshot versions"), "{}", c.message);
    assert_eq!(mixed.status.unwrap().observed_resource_index, "");
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
    wait::until("the placement to report version 1 Available", TIMEOUT, || async {
        let c = Api::<ClusterResourcePlacement>::all(client.clone()).get("it-staged").await?;
        let available = condition(&c, p::CRP_AVAILABLE).is_some_and(|x| x.status == "True");
        Ok((available && c.status.is_some_and(|s| s.observed_resource_index == "1")).then_some(()))
    })
    .await
    .unwrap();
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
    wait_scheduled(&Api::<ClusterResourceBinding>::all(client.clone()), "it-staged-join", 2).await;
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

/// The namespaced family: a ResourcePlacement rolled by a StagedUpdateRun
/// with a StagedUpdateStrategy and ApprovalRequests of its namespace; then a
/// run deleted while it waits leaves every cluster where it got to.
#[tokio::test]
async fn a_namespaced_run_rolls_a_resource_placement_and_deleting_it_mid_way_leaves_clusters_where_they_are() {
    let client = hub().await;
    let ns = "it-staged-ns";
    let (sim, _reporter) = members(&client, "stn", 2).await;
    let [first, second] = [&sim.names[0], &sim.names[1]];
    for (m, group) in [(first, "one"), (second, "two")] {
        label_member(&client, m, "it-stage-ns", group).await;
        label_member(&client, m, "it-staged-ns", "yes").await;
    }
    create_namespace(&client, ns).await;
    config_map(&client, ns, "app", json!({"version": "1"})).await;
    let policy = json!({"placementType": "PickAll", "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"it-staged-ns": "yes"}}}]}}}});
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement",
               "metadata": {"name": "web-staged", "namespace": ns},
               "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "app"}],
                        "policy": policy, "strategy": {"type": "External"}}}),
    )
    .await;
    let stage = |name: &str, tasks: Value| json!({"name": name, "labelSelector": {"matchLabels": {"it-stage-ns": name}}, "afterStageTasks": tasks});
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "StagedUpdateStrategy",
               "metadata": {"name": "one-then-two", "namespace": ns},
               "spec": {"stages": [stage("one", json!([{"type": "Approval"}])), stage("two", json!([]))]}}),
    )
    .await;
    let ns_run = |name: &str| {
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "StagedUpdateRun",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"placementName": "web-staged", "stagedRolloutStrategyName": "one-then-two", "state": "Run"}})
    };
    let runs: Api<StagedUpdateRun> = Api::namespaced(client.clone(), ns);
    let requests: Api<ApprovalRequest> = Api::namespaced(client.clone(), ns);
    let approve = |name: &'static str| {
        let requests = requests.clone();
        async move {
            let r = wait::until(&format!("approval request {name}"), TIMEOUT, || async {
                Ok(requests.get_opt(name).await?)
            })
            .await
            .unwrap();
            assert_eq!(r.spec.target_stage, "one");
            let c = conditions::new(p::APPROVAL_APPROVED, true, "Approved", "lgtm", r.metadata.generation);
            requests
                .patch_status(name, &PatchParams::default(), &Patch::Merge(json!({"status": {"conditions": [c]}})))
                .await
                .unwrap();
        }
    };
    let wait_ns_run = |name: &'static str| {
        let runs = runs.clone();
        async move {
            wait::until(&format!("run {ns}/{name} Succeeded"), TIMEOUT, || async {
                let st = runs.get(name).await?.status.unwrap_or_default();
                Ok(conditions::is_true(&st.conditions, p::RUN_SUCCEEDED).then_some(()))
            })
            .await
            .unwrap()
        }
    };

    wait_scheduled(&Api::<ResourceBinding>::namespaced(client.clone(), ns), "web-staged", 2).await;
    // The first version: stage one, the approval, stage two.
    apply(&client, ns_run("first")).await;
    let v0 = "web-staged-0-snapshot".to_string();
    wait_versions(&client, "web-staged", &BTreeMap::from([(first.clone(), v0.clone())])).await;
    approve("first-after-one").await;
    wait_ns_run("first").await;
    let both = |a: &String, b: &String| BTreeMap::from([(first.clone(), a.clone()), (second.clone(), b.clone())]);
    wait_versions(&client, "web-staged", &both(&v0, &v0)).await;
    let accepted = requests.get("first-after-one").await.unwrap().status.unwrap();
    assert!(conditions::is_true(&accepted.conditions, p::APPROVAL_ACCEPTED), "the run accepted the approval");

    // A second version reaches stage one; the run is deleted while it waits.
    Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client.clone(), ns)
        .patch("app", &PatchParams::default(), &Patch::Merge(json!({"data": {"version": "2"}})))
        .await
        .unwrap();
    let v1 = "web-staged-1-snapshot".to_string();
    apply(&client, ns_run("second")).await;
    wait::until("the second run waiting for approval", TIMEOUT, || async {
        let st = runs.get("second").await?.status.unwrap_or_default();
        let waiting = conditions::find(&st.conditions, p::RUN_PROGRESSING).is_some_and(|c| c.status == "False");
        Ok((waiting && requests.get_opt("second-after-one").await?.is_some()).then_some(()))
    })
    .await
    .unwrap();
    wait_versions(&client, "web-staged", &both(&v1, &v0)).await;
    runs.delete("second", &Default::default()).await.unwrap();
    wait::until("the run and its approval request gone", TIMEOUT, || async {
        Ok((runs.get_opt("second").await?.is_none() && requests.get_opt("second-after-one").await?.is_none())
            .then_some(()))
    })
    .await
    .unwrap();
    // Nothing rolled back or forward: the bindings still say what the run left.
    let bindings = Api::<ResourceBinding>::namespaced(client.clone(), ns)
        .list(&kube::api::ListParams::default().labels(&format!("{}=web-staged", labels::PLACEMENT_TRACKING)))
        .await
        .unwrap();
    let mut left: Vec<(String, String, String)> = bindings
        .items
        .iter()
        .map(|b| (b.spec.target_cluster.clone(), format!("{:?}", b.spec.state), b.spec.resource_snapshot_name.clone()))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [(first.clone(), "Bound".into(), v1.clone()), (second.clone(), "Bound".into(), v0.clone())],
        "each binding where the deleted run left it"
    );
    assert_eq!(versions(&client, "web-staged").await, both(&v1, &v0));
    // The earlier run's approval is its own, untouched by the deletion.
    assert!(requests.get_opt("first-after-one").await.unwrap().is_some());
}

/// Runs that cannot start say why in Initialized=False (KubeFleet's
/// messages), for good, and place nothing.
#[tokio::test]
async fn a_run_naming_a_missing_placement_strategy_or_snapshot_or_overlapping_stages_is_refused_and_places_nothing() {
    let client = hub().await;
    let (sim, _reporter) = members(&client, "stb", 2).await;
    for m in &sim.names {
        label_member(&client, m, "it-staged-bad", "yes").await;
    }
    create_namespace(&client, "it-staged-bad").await;
    config_map(&client, "it-staged-bad", "app", json!({"version": "1"})).await;
    let policy = json!({"placementType": "PickAll", "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"it-staged-bad": "yes"}}}]}}}});
    create_crp(
        &client,
        &crp("it-staged-bad", json!({"resourceSelectors": namespace_selector("it-staged-bad"), "policy": policy, "strategy": {"type": "External"}})),
    )
    .await;
    let bindings: Api<ClusterResourceBinding> = Api::all(client.clone());
    wait_scheduled(&bindings, "it-staged-bad", 2).await;
    let all = json!({"matchLabels": {"it-staged-bad": "yes"}});
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateStrategy",
               "metadata": {"name": "it-overlap"},
               "spec": {"stages": [{"name": "a", "labelSelector": all}, {"name": "b", "labelSelector": all}]}}),
    )
    .await;
    apply(
        &client,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterStagedUpdateStrategy",
               "metadata": {"name": "it-bad-ok"}, "spec": {"stages": [{"name": "all", "labelSelector": all}]}}),
    )
    .await;
    let cases = [
        ("it-bad-placement", "it-no-such-placement", "it-bad-ok", "", "parent placement not found".to_string()),
        (
            "it-bad-strategy",
            "it-staged-bad",
            "it-no-such-strategy",
            "",
            "referenced updateStrategy not found: `it-no-such-strategy`".into(),
        ),
        (
            "it-bad-snapshot",
            "it-staged-bad",
            "it-bad-ok",
            "7",
            "no resourceSnapshots with index `7` found for placement `it-staged-bad`".into(),
        ),
        ("it-bad-overlap", "it-staged-bad", "it-overlap", "", "appears in more than one stages".into()),
    ];
    for (name, placement, strategy, index, _) in &cases {
        let mut r = run(name, strategy);
        r["spec"]["placementName"] = json!(placement);
        r["spec"]["resourceSnapshotIndex"] = json!(index);
        apply(&client, r).await;
    }
    for (name, _, _, _, message) in &cases {
        wait_run(&client, name, p::RUN_INITIALIZED, "False").await;
        let r = Api::<ClusterStagedUpdateRun>::all(client.clone()).get(name).await.unwrap();
        let st = r.status.unwrap();
        let c = conditions::find(&st.conditions, p::RUN_INITIALIZED).unwrap();
        assert_eq!(c.reason, p::REASON_RUN_INITIALIZE_FAILED, "{name}");
        assert!(c.message.contains(message.as_str()), "{name}: {}", c.message);
        assert!(st.stages_status.is_empty(), "{name} planned no stage");
    }
    // The placement's bindings stay as the scheduler made them: none bound.
    let tracked = kube::api::ListParams::default().labels(&format!("{}=it-staged-bad", labels::PLACEMENT_TRACKING));
    let listed = bindings.list(&tracked).await.unwrap();
    assert!(
        listed.items.iter().all(|b| b.spec.state != apis::placement::BindingState::Bound),
        "a refused run bound nothing"
    );
    assert!(works(&client, "it-staged-bad").await.is_empty(), "a refused run placed nothing");
}
