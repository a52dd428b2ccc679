//! Placement on real API servers: a ClusterResourcePlacement or
//! ResourcePlacement becomes snapshots, bindings and Works on the hub, chosen
//! by the scheduler and rolled out by the strategy. Tests that schedule start
//! their own extra members (agents with their own names and labels) and
//! confine their placements to them with a label, so they do not see each
//! other's clusters. Those extra agents share an API server with a real
//! member, so they apply nothing; a simulated reporter stands in for their
//! Applied/Available reports where a test needs them.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use apis::{
    cluster::{MemberCluster, MemberClusterSpec},
    conditions::{self, placement as p},
    labels,
    placement::{
        ClusterResourceBinding, ClusterResourcePlacement, ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot,
        ResourcePlacement, Work,
    },
};
use fleet::{agents, kwok, shared::fleet, simulated, wait};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Node};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::{Value, json};

use crate::support::{
    TIMEOUT, condition, config_map, create_crp, create_namespace, crp, namespace_selector, wait_condition,
    wait_works_on, works,
};

async fn hub() -> Client {
    fleet().hub.client().await
}

/// Extra members for one test: each an agent (on an existing member's API
/// server) under its own name, with `labels` and `taints`, joined.
async fn members(specs: &[(&str, usize, Value, Value)]) -> Vec<agents::RunningAgent> {
    let f = fleet();
    let client = hub().await;
    let mut running = Vec::new();
    for (name, on, labels, taints) in specs {
        let mut spec = MemberClusterSpec::for_user(name, f.agent_options.heartbeat_period_seconds);
        spec.taints = serde_json::from_value(taints.clone()).unwrap();
        let mut mc = MemberCluster::new(name, spec);
        let mut l: BTreeMap<String, String> = serde_json::from_value(labels.clone()).unwrap();
        l.insert("cluster-name".into(), name.to_string());
        mc.metadata.labels = Some(l);
        Api::<MemberCluster>::all(client.clone()).create(&PostParams::default(), &mc).await.unwrap();
        running.push(
            agents::start_virtual_member_agent(&f.hub_endpoint, name, &f.members[*on].kubeconfig, &f.dir).unwrap(),
        );
    }
    for (name, ..) in specs {
        agents::wait_joined(&client, name, TIMEOUT).await.unwrap();
    }
    running
}

/// Required affinity on `key=value`: the test's own clusters only.
fn only(key: &str, value: &str) -> Value {
    json!({"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {key: value}}}]}}})
}

fn manifest_names(works: &[Work]) -> BTreeSet<String> {
    works
        .iter()
        .flat_map(|w| &w.spec.workload.manifests)
        .map(|m| format!("{}/{}", m.0["kind"].as_str().unwrap(), m.0["metadata"]["name"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn pick_all_places_a_namespace_everywhere_and_edits_reach_every_work() {
    let client = hub().await;
    create_namespace(&client, "it-all").await;
    config_map(&client, "it-all", "settings", json!({"color": "blue"})).await;
    let placement = crp(
        "it-all",
        json!({"resourceSelectors": namespace_selector("it-all"), "policy": {"placementType": "PickAll",
            "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [
                {"labelSelector": {"matchExpressions": [{"key": "cluster-name", "operator": "In",
                    "values": ["member-1", "member-2", "member-3"]}]}}]}}}}}),
    );
    create_crp(&client, &placement).await;
    let placed = wait_works_on(&client, "it-all", &["member-1", "member-2", "member-3"]).await;
    for (cluster, w) in &placed {
        assert_eq!(w.len(), 1, "one Work per cluster");
        assert_eq!(w[0].name_any(), "it-all-work");
        assert_eq!(
            manifest_names(w),
            BTreeSet::from(["Namespace/it-all".into(), "ConfigMap/settings".into()]),
            "{cluster}"
        );
        let m = &w[0].spec.workload.manifests;
        assert_eq!(m[0].0["kind"], "Namespace", "namespaces first");
        assert!(
            m.iter().all(|m| m.0["metadata"].get("uid").is_none() && m.0["metadata"].get("resourceVersion").is_none())
        );
        let l = w[0].metadata.labels.as_ref().unwrap();
        assert_eq!(l[labels::PARENT_RESOURCE_SNAPSHOT_INDEX], "0");
        assert!(l[labels::PARENT_BINDING].starts_with(&format!("it-all-{cluster}-")));
    }

    let c = wait_condition(&client, "it-all", p::CRP_WORK_SYNCHRONIZED, "True").await;
    assert_eq!(condition(&c, p::CRP_SCHEDULED).unwrap().reason, p::REASON_SCHEDULING_POLICY_FULFILLED);
    let st = c.status.unwrap();
    assert_eq!(st.observed_resource_index, "0");
    assert_eq!(st.placement_statuses.len(), 3);
    let selected: Vec<String> = st.selected_resources.iter().map(|r| format!("{}/{}", r.kind, r.name)).collect();
    assert_eq!(selected, ["Namespace/it-all", "ConfigMap/settings"]);
    Api::<ClusterResourceSnapshot>::all(client.clone()).get("it-all-0-snapshot").await.unwrap();
    Api::<ClusterSchedulingPolicySnapshot>::all(client.clone()).get("it-all-0").await.unwrap();

    // An edit on the hub: a new snapshot, and every Work carries it.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "it-all");
    cms.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"color": "green"}}))).await.unwrap();
    wait::until("the edit in every Work", TIMEOUT, || async {
        let w = works(&client, "it-all").await;
        let updated = w.values().flatten().filter(|w| {
            w.spec.workload.manifests.iter().any(|m| m.0["data"]["color"] == "green")
                && w.labels()[labels::PARENT_RESOURCE_SNAPSHOT_INDEX] == "1"
        });
        Ok((updated.count() == 3).then_some(()))
    })
    .await
    .unwrap();
    let crs = Api::<ClusterResourceSnapshot>::all(client.clone()).get("it-all-1-snapshot").await.unwrap();
    assert_eq!(crs.labels()[labels::IS_LATEST_SNAPSHOT], "true");
    let old = Api::<ClusterResourceSnapshot>::all(client.clone()).get("it-all-0-snapshot").await.unwrap();
    assert_eq!(old.labels()[labels::IS_LATEST_SNAPSHOT], "false");

    // A change that changes nothing placed rewrites no Work: a new generation
    // (revisionHistoryLimit) is reported in the status once its pass is done.
    let versions = |w: &BTreeMap<String, Vec<Work>>| -> Vec<String> {
        w.values().flatten().map(|w| w.resource_version().unwrap()).collect()
    };
    wait_condition(&client, "it-all", p::CRP_WORK_SYNCHRONIZED, "True").await;
    let before = versions(&works(&client, "it-all").await);
    Api::<ClusterResourcePlacement>::all(client.clone())
        .patch("it-all", &PatchParams::default(), &Patch::Merge(json!({"spec": {"revisionHistoryLimit": 5}})))
        .await
        .unwrap();
    let c = wait_condition(&client, "it-all", p::CRP_WORK_SYNCHRONIZED, "True").await;
    assert_eq!(c.metadata.generation, Some(2));
    assert_eq!(versions(&works(&client, "it-all").await), before, "no Work rewritten");
}

#[tokio::test]
async fn pick_n_follows_label_affinity_scales_and_ignores_label_changes_during_execution() {
    let client = hub().await;
    let _agents = members(&[
        ("it-pick-n-a", 0, json!({"test": "it-pick-n", "env": "prod"}), json!([])),
        ("it-pick-n-b", 1, json!({"test": "it-pick-n", "env": "prod"}), json!([])),
        ("it-pick-n-c", 2, json!({"test": "it-pick-n", "env": "dev"}), json!([])),
    ])
    .await;
    // Removing a cluster waits for the others to be available (maxUnavailable):
    // members report their Works available.
    let _reporter = simulated::WorkReporter::start(client.clone(), Duration::ZERO, |w| {
        w.labels().get(labels::PLACEMENT_TRACKING).is_some_and(|p| p == "it-pick-n")
    });
    create_namespace(&client, "it-pick-n").await;
    let affinity = json!({"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"test": "it-pick-n", "env": "prod"}}}]}}});
    let spec = |n: i32| {
        json!({"resourceSelectors": namespace_selector("it-pick-n"),
               "policy": {"placementType": "PickN", "numberOfClusters": n, "affinity": affinity}})
    };
    create_crp(&client, &crp("it-pick-n", spec(2))).await;
    wait_works_on(&client, "it-pick-n", &["it-pick-n-a", "it-pick-n-b"]).await;
    wait_condition(&client, "it-pick-n", p::CRP_SCHEDULED, "True").await;

    // Three wanted, two match: unfulfilled, and the status says so.
    let api: Api<ClusterResourcePlacement> = Api::all(client.clone());
    api.patch("it-pick-n", &PatchParams::default(), &Patch::Merge(json!({"spec": spec(3)}))).await.unwrap();
    let c = wait_condition(&client, "it-pick-n", p::CRP_SCHEDULED, "False").await;
    assert_eq!(condition(&c, p::CRP_SCHEDULED).unwrap().reason, p::REASON_SCHEDULING_POLICY_UNFULFILLED);
    let failed: Vec<_> =
        c.status.unwrap().placement_statuses.into_iter().filter(|s| s.cluster_name.is_empty()).collect();
    assert_eq!(failed.len(), 1, "one cluster could not be found");
    assert_eq!(failed[0].conditions[0].reason, p::REASON_SCHEDULE_FAILED);
    // Scaling kept the policy snapshot: only N changed.
    let csps = Api::<ClusterSchedulingPolicySnapshot>::all(client.clone()).get("it-pick-n-0").await.unwrap();
    assert_eq!(csps.annotations()[labels::NUMBER_OF_CLUSTERS], "3");

    // A label change on a picked cluster does not evict it.
    let mcs: Api<MemberCluster> = Api::all(client.clone());
    mcs.patch("it-pick-n-b", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"env": "dev"}}})))
        .await
        .unwrap();
    // Scale down to one: one Work goes.
    api.patch("it-pick-n", &PatchParams::default(), &Patch::Merge(json!({"spec": spec(1)}))).await.unwrap();
    wait::until("one cluster left", TIMEOUT, || async {
        let w = works(&client, "it-pick-n").await;
        let bindings = Api::<ClusterResourceBinding>::all(client.clone())
            .list(&ListParams::default().labels(&format!("{}=it-pick-n", labels::PLACEMENT_TRACKING)))
            .await?;
        Ok((w.len() == 1 && bindings.items.len() == 1).then_some(()))
    })
    .await
    .unwrap();
    let c = wait_condition(&client, "it-pick-n", p::CRP_SCHEDULED, "True").await;
    let left = &c.status.unwrap().placement_statuses[0].cluster_name;
    assert!(left == "it-pick-n-a" || left == "it-pick-n-b", "{left}");
}

#[tokio::test]
async fn pick_n_by_node_count_property() {
    let f = fleet();
    let client = hub().await;
    // member-3 gets a third node; the agent on it reports 3, the one on member-2 reports 2.
    let nodes: Api<Node> = Api::all(f.members[2].client().await);
    nodes.create(&PostParams::default(), &kwok::node("it-extra-node", "2", "8Gi")).await.unwrap();
    let _agents = members(&[
        ("it-nodes-small", 1, json!({"test": "it-nodes"}), json!([])),
        ("it-nodes-big", 2, json!({"test": "it-nodes"}), json!([])),
    ])
    .await;
    wait::until("it-nodes-big to report 3 nodes", TIMEOUT, || async {
        let mc = Api::<MemberCluster>::all(client.clone()).get("it-nodes-big").await?;
        let count = mc.status.and_then(|s| s.properties.get("kubernetes-fleet.io/node-count").map(|p| p.value.clone()));
        Ok((count.as_deref() == Some("3")).then_some(()))
    })
    .await
    .unwrap();
    create_namespace(&client, "it-nodes").await;
    create_crp(
        &client,
        &crp(
            "it-nodes",
            json!({"resourceSelectors": namespace_selector("it-nodes"), "policy": {"placementType": "PickN", "numberOfClusters": 1,
                "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [{
                    "labelSelector": {"matchLabels": {"test": "it-nodes"}},
                    "propertySelector": {"matchExpressions": [
                        {"name": "kubernetes-fleet.io/node-count", "operator": "Ge", "values": ["3"]}]}}]}}}}}),
        ),
    )
    .await;
    wait_works_on(&client, "it-nodes", &["it-nodes-big"]).await;
    nodes.delete("it-extra-node", &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn pick_fixed_reports_a_missing_cluster() {
    let client = hub().await;
    create_namespace(&client, "it-fixed").await;
    create_crp(
        &client,
        &crp(
            "it-fixed",
            json!({"resourceSelectors": namespace_selector("it-fixed"),
                   "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "it-no-such-cluster"]}}),
        ),
    )
    .await;
    wait_works_on(&client, "it-fixed", &["member-1"]).await;
    let c = wait_condition(&client, "it-fixed", p::CRP_SCHEDULED, "False").await;
    let csps = Api::<ClusterSchedulingPolicySnapshot>::all(client.clone()).get("it-fixed-0").await.unwrap();
    let decisions = csps.status.unwrap().cluster_decisions;
    let missing =
        decisions.iter().find(|d| d.cluster_name == "it-no-such-cluster").expect("a decision for the missing name");
    assert!(!missing.selected);
    assert!(missing.reason.contains("not found"), "{}", missing.reason);
    let statuses = c.status.unwrap().placement_statuses;
    assert!(statuses.iter().any(|s| s.cluster_name.is_empty() && s.conditions[0].reason == p::REASON_SCHEDULE_FAILED));
}

#[tokio::test]
async fn spread_across_regions() {
    let client = hub().await;
    let _agents = members(&[
        ("it-spread-e1", 0, json!({"test": "it-spread", "region": "east"}), json!([])),
        ("it-spread-e2", 1, json!({"test": "it-spread", "region": "east"}), json!([])),
        ("it-spread-w1", 2, json!({"test": "it-spread", "region": "west"}), json!([])),
        ("it-spread-w2", 0, json!({"test": "it-spread", "region": "west"}), json!([])),
    ])
    .await;
    create_namespace(&client, "it-spread").await;
    create_crp(
        &client,
        &crp(
            "it-spread",
            json!({"resourceSelectors": namespace_selector("it-spread"), "policy": {"placementType": "PickN", "numberOfClusters": 2,
                "affinity": only("test", "it-spread"),
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "region", "whenUnsatisfiable": "DoNotSchedule"}]}}),
        ),
    )
    .await;
    let placed = wait::until("two clusters picked", TIMEOUT, || async {
        let w = works(&client, "it-spread").await;
        Ok((w.len() == 2).then_some(w))
    })
    .await
    .unwrap();
    let regions: BTreeSet<bool> = placed.keys().map(|c| c.contains("-e")).collect();
    assert_eq!(regions.len(), 2, "one per region: {:?}", placed.keys());
}

#[tokio::test]
async fn a_taint_keeps_placements_out_unless_tolerated() {
    let client = hub().await;
    let _agents = members(&[
        ("it-taint-plain", 0, json!({"test": "it-taint"}), json!([])),
        (
            "it-taint-gpu",
            1,
            json!({"test": "it-taint"}),
            json!([{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
        ),
    ])
    .await;
    create_namespace(&client, "it-taint").await;
    let spec = |tolerations: Value| {
        json!({"resourceSelectors": namespace_selector("it-taint"),
               "policy": {"placementType": "PickAll", "affinity": only("test", "it-taint"), "tolerations": tolerations}})
    };
    create_crp(&client, &crp("it-taint", spec(json!([])))).await;
    wait_works_on(&client, "it-taint", &["it-taint-plain"]).await;
    // Tolerating the taint is a new policy: a new policy snapshot, and both clusters.
    Api::<ClusterResourcePlacement>::all(client.clone())
        .patch(
            "it-taint",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": spec(json!([{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]))})),
        )
        .await
        .unwrap();
    wait_works_on(&client, "it-taint", &["it-taint-gpu", "it-taint-plain"]).await;
    Api::<ClusterSchedulingPolicySnapshot>::all(client.clone()).get("it-taint-1").await.unwrap();
}

#[tokio::test]
async fn a_rolling_update_never_has_more_than_max_unavailable_clusters_out() {
    let client = hub().await;
    let clusters = ["it-roll-1", "it-roll-2", "it-roll-3", "it-roll-4"];
    let _agents = members(&[
        (clusters[0], 0, json!({"test": "it-roll"}), json!([])),
        (clusters[1], 1, json!({"test": "it-roll"}), json!([])),
        (clusters[2], 2, json!({"test": "it-roll"}), json!([])),
        (clusters[3], 0, json!({"test": "it-roll"}), json!([])),
    ])
    .await;
    // Members "apply" each Work 300 ms after it changes.
    let _reporter = simulated::WorkReporter::start(client.clone(), Duration::from_millis(300), |w| {
        w.labels().get(labels::PLACEMENT_TRACKING).is_some_and(|p| p == "it-roll")
    });
    create_namespace(&client, "it-roll").await;
    config_map(&client, "it-roll", "settings", json!({"v": "1"})).await;
    create_crp(
        &client,
        &crp(
            "it-roll",
            json!({"resourceSelectors": namespace_selector("it-roll"),
                   "policy": {"placementType": "PickAll", "affinity": only("test", "it-roll")},
                   "strategy": {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0, "unavailablePeriodSeconds": 1}}}),
        ),
    )
    .await;
    let c = wait_condition(&client, "it-roll", p::CRP_AVAILABLE, "True").await;
    assert_eq!(
        condition(&c, p::CRP_AVAILABLE).unwrap().message,
        "The selected resources in 4 cluster(s) are available now"
    );

    // Watch every Work of the placement; "out" = its current spec is not yet available.
    let out_max = Arc::new(Mutex::new(0usize));
    let watch = {
        let (client, out_max) = (client.clone(), out_max.clone());
        tokio::spawn(async move {
            let cfg = watcher::Config::default().labels(&format!("{}=it-roll", labels::PLACEMENT_TRACKING));
            let mut state: BTreeMap<String, bool> = BTreeMap::new();
            let mut events = std::pin::pin!(watcher(Api::<Work>::all(client), cfg).default_backoff().applied_objects());
            while let Some(ev) = events.next().await {
                let Ok(w) = ev else { continue };
                state.insert(w.namespace().unwrap(), simulated::available(&w));
                let out = state.values().filter(|a| !**a).count();
                let mut m = out_max.lock().unwrap();
                *m = (*m).max(out);
            }
        })
    };
    Api::<ConfigMap>::namespaced(client.clone(), "it-roll")
        .patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}})))
        .await
        .unwrap();
    wait::until("every cluster on the new version and available", TIMEOUT, || async {
        let w = works(&client, "it-roll").await;
        let done = w
            .values()
            .flatten()
            .filter(|w| simulated::available(w) && w.spec.workload.manifests.iter().any(|m| m.0["data"]["v"] == "2"));
        Ok((done.count() == 4).then_some(()))
    })
    .await
    .unwrap();
    watch.abort();
    let max = *out_max.lock().unwrap();
    assert_eq!(max, 1, "at most maxUnavailable=1 cluster out at once, and the update did go through one at a time");
}

#[tokio::test]
async fn a_resource_placement_places_objects_of_its_namespace() {
    let client = hub().await;
    create_namespace(&client, "it-rp").await;
    config_map(&client, "it-rp", "picked", json!({"k": "v"})).await;
    config_map(&client, "it-rp", "left-out", json!({"k": "v"})).await;
    let rp: ResourcePlacement = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement",
        "metadata": {"name": "web", "namespace": "it-rp"},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "picked"}],
                 "policy": {"placementType": "PickFixed", "clusterNames": ["member-2"]}}}))
    .unwrap();
    Api::<ResourcePlacement>::namespaced(client.clone(), "it-rp").create(&PostParams::default(), &rp).await.unwrap();
    let placed = wait_works_on(&client, "web", &["member-2"]).await;
    let w = &placed["member-2"][0];
    assert_eq!(w.name_any(), "it-rp.web-work");
    assert_eq!(w.labels()[labels::PARENT_NAMESPACE], "it-rp");
    // A ResourceBinding cannot own a Work in another namespace (the garbage
    // collector would delete it): the Work has no owner.
    assert!(w.metadata.owner_references.as_ref().is_none_or(|o| o.is_empty()));
    assert_eq!(manifest_names(&placed["member-2"]), BTreeSet::from(["ConfigMap/picked".to_string()]));
    wait::until("the RP's status", TIMEOUT, || async {
        let rp = Api::<ResourcePlacement>::namespaced(client.clone(), "it-rp").get("web").await?;
        let ok = rp.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, p::RP_WORK_SYNCHRONIZED));
        Ok(ok.then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn an_envelope_configmap_is_unwrapped_into_its_own_work() {
    let client = hub().await;
    create_namespace(&client, "it-envelope").await;
    let envelope: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "envelope-configmap", "namespace": "it-envelope",
                     "annotations": {"kubernetes-fleet.io/envelope-configmap": "true"}},
        "data": {"nginx-deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx-deployment\n  namespace: it-envelope\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: nginx\n  template:\n    metadata:\n      labels:\n        app: nginx\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.16.1\n"}}))
    .unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), "it-envelope")
        .create(&PostParams::default(), &envelope)
        .await
        .unwrap();
    create_crp(
        &client,
        &crp(
            "it-envelope",
            json!({"resourceSelectors": namespace_selector("it-envelope"),
                                   "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}),
        ),
    )
    .await;
    let w = wait::until("two Works", TIMEOUT, || async {
        let w = works(&client, "it-envelope").await;
        Ok(w.get("member-1").filter(|w| w.len() == 2).cloned())
    })
    .await
    .unwrap();
    let (env, main): (Vec<Work>, Vec<Work>) =
        w.into_iter().partition(|w| w.labels().contains_key(labels::ENVELOPE_TYPE));
    assert_eq!(
        manifest_names(&main),
        BTreeSet::from(["Namespace/it-envelope".to_string()]),
        "the envelope itself is not placed"
    );
    assert_eq!(manifest_names(&env), BTreeSet::from(["Deployment/nginx-deployment".to_string()]));
    assert_eq!(env[0].labels()[labels::ENVELOPE_NAME], "envelope-configmap");
    assert!(env[0].name_any().starts_with("it-envelope-work-configmap-"));
    // The hub never runs what is wrapped.
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), "it-envelope");
    assert!(deployments.get_opt("nginx-deployment").await.unwrap().is_none());
}

#[tokio::test]
async fn a_selector_whose_kind_goes_away_becomes_a_condition_and_what_was_placed_stays() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let client = hub().await;
    // Admission refuses a kind the hub does not serve; one that stops being
    // served afterwards (its CRD deleted) is the controller's to report.
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "widgets.it-invalid.example.com"},
        "spec": {"group": "it-invalid.example.com", "scope": "Cluster",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}}))
    .unwrap();
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let selectors = json!({"resourceSelectors": [{"group": "it-invalid.example.com", "version": "v1", "kind": "Widget"}],
                           "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}});
    let placements = Api::<ClusterResourcePlacement>::all(client.clone());
    wait::until("the Widget kind served and admitted", TIMEOUT, || async {
        Ok(placements.create(&PostParams::default(), &crp("it-invalid", selectors.clone())).await.ok())
    })
    .await
    .unwrap();
    let placed = wait_works_on(&client, "it-invalid", &["member-1"]).await;
    crds.delete("widgets.it-invalid.example.com", &DeleteParams::default()).await.unwrap();
    let c = wait_condition(&client, "it-invalid", p::CRP_SCHEDULED, "False").await;
    let cond = condition(&c, p::CRP_SCHEDULED).unwrap();
    assert_eq!(cond.reason, p::REASON_INVALID_RESOURCE_SELECTORS);
    assert!(cond.message.contains("it-invalid.example.com/v1 Widget"), "{}", cond.message);
    // What was placed stays as it was.
    let after = works(&client, "it-invalid").await;
    let names = |w: &BTreeMap<String, Vec<Work>>| -> Vec<(String, Option<i64>)> {
        w.values().flatten().map(|w| (w.name_any(), w.metadata.generation)).collect()
    };
    assert_eq!(names(&after), names(&placed));
}

#[tokio::test]
async fn deleting_a_placement_removes_its_works_bindings_and_snapshots() {
    let client = hub().await;
    create_namespace(&client, "it-delete").await;
    create_crp(
        &client,
        &crp(
            "it-delete",
            json!({"resourceSelectors": namespace_selector("it-delete"),
                                 "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "member-2"]},
                                 "strategy": {"deleteStrategy": {"propagationPolicy": "Abandon"}}}),
        ),
    )
    .await;
    let placed = wait_works_on(&client, "it-delete", &["member-1", "member-2"]).await;
    assert_eq!(placed["member-1"][0].annotations()[labels::DELETE_PROPAGATION_POLICY], "Abandon");
    Api::<ClusterResourcePlacement>::all(client.clone()).delete("it-delete", &DeleteParams::default()).await.unwrap();
    let by_label = ListParams::default().labels(&format!("{}=it-delete", labels::PLACEMENT_TRACKING));
    wait::until("everything of it-delete gone", TIMEOUT, || async {
        let crp = Api::<ClusterResourcePlacement>::all(client.clone()).get_opt("it-delete").await?;
        let bindings = Api::<ClusterResourceBinding>::all(client.clone()).list(&by_label).await?.items.len();
        let snapshots = Api::<ClusterResourceSnapshot>::all(client.clone()).list(&by_label).await?.items.len();
        let w = works(&client, "it-delete").await.len();
        Ok((crp.is_none() && bindings == 0 && snapshots == 0 && w == 0).then_some(()))
    })
    .await
    .unwrap();
}
