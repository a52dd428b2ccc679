//! The member agent applying Works on real member clusters (kwok nodes, so
//! Deployments get running Pods): placements onto member-1 and member-2,
//! checked on the members themselves.

use std::collections::BTreeMap;

use apis::{
    conditions::{self, placement as p},
    labels,
    placement::{AppliedWork, ClusterResourcePlacement, ResourcePlacement},
};
use fleet::{shared::fleet, wait};
use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{ConfigMap, Namespace, Pod},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams},
    core::{ApiResource, GroupVersionKind},
};
use serde_json::{Value, json};

use crate::support::{
    TIMEOUT, condition, config_map, create_crp, create_namespace, crp, get_crp, namespace_selector, wait_condition,
    wait_object, works,
};

async fn hub() -> Client {
    fleet().hub.client().await
}

/// Clients for member-1 and member-2.
async fn members() -> [Client; 2] {
    let f = fleet();
    [f.members[0].client().await, f.members[1].client().await]
}

/// A CRP placing `selectors` on member-1 and member-2 with `strategy`.
fn placement(name: &str, selectors: Value, strategy: Value) -> ClusterResourcePlacement {
    placement_on(&["member-1", "member-2"], name, selectors, strategy)
}

/// A CRP placing `selectors` on `clusters` with `strategy`.
fn placement_on(clusters: &[&str], name: &str, selectors: Value, strategy: Value) -> ClusterResourcePlacement {
    crp(
        name,
        json!({"resourceSelectors": selectors,
               "policy": {"placementType": "PickFixed", "clusterNames": clusters},
               "strategy": strategy}),
    )
}

fn deployment(ns: &str, name: &str, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": image}]}}}
    }))
    .unwrap()
}

async fn create<K>(client: &Client, ns: &str, obj: &K)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), ns).create(&PostParams::default(), obj).await.unwrap();
}

/// Waits until `check` holds for the object on every client.
async fn wait_on<K, F>(clients: &[Client], ns: &str, name: &str, what: &str, check: F) -> Vec<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    F: Fn(&K) -> bool,
{
    let mut out = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let what = format!("{what} on member-{}", i + 1);
        let got = wait_object(&Api::<K>::namespaced(c.clone(), ns), name, &what, |o| o.is_some_and(&check)).await;
        out.extend(got);
    }
    out
}

/// Whether `obj` is owned by an AppliedWork.
fn owned_by_fleet(meta: &kube::api::ObjectMeta) -> bool {
    meta.owner_references.iter().flatten().any(|r| r.kind == "AppliedWork")
}

/// The manifest condition of `kind`/`name` in `placement`'s Work on `cluster`,
/// once `check` holds for it.
async fn wait_manifest(
    hub: &Client,
    placement: &str,
    cluster: &str,
    kind: &str,
    name: &str,
    check: impl Fn(&apis::placement::ManifestCondition) -> bool,
) -> apis::placement::ManifestCondition {
    wait::until(&format!("{placement}: {kind} {name} on {cluster}"), TIMEOUT, || async {
        let w = works(hub, placement).await;
        let found = w
            .get(cluster)
            .into_iter()
            .flatten()
            .flat_map(|w| w.status.iter().flat_map(|s| &s.manifest_conditions))
            .find(|m| m.identifier.kind == kind && m.identifier.name == name && check(m))
            .cloned();
        Ok(found)
    })
    .await
    .unwrap()
}

fn has(m: &apis::placement::ManifestCondition, type_: &str, status: &str, reason: &str) -> bool {
    conditions::find(&m.conditions, type_).is_some_and(|c| c.status == status && c.reason == reason)
}

#[tokio::test]
async fn a_deployment_service_and_configmap_become_available_on_both_members_and_hub_edits_roll_out() {
    let hub = hub().await;
    let members = members().await;
    let ns = "it-apply";
    create_namespace(&hub, ns).await;
    create(&hub, ns, &deployment(ns, "web", "nginx:1.27")).await;
    let svc: k8s_openapi::api::core::v1::Service = serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}
    }))
    .unwrap();
    create(&hub, ns, &svc).await;
    config_map(&hub, ns, "settings", json!({"color": "blue"})).await;
    create_crp(&hub, &placement(ns, namespace_selector(ns), json!({}))).await;

    let c = wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
    let statuses = &c.status.as_ref().unwrap().placement_statuses;
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    // On the members: every object there, owned by fleet, the Deployment's Pods running.
    let deployments: Vec<Deployment> = wait_on(&members, ns, "web", "the Deployment available", |d: &Deployment| {
        d.status.as_ref().and_then(|s| s.available_replicas) == Some(2)
    })
    .await;
    for d in &deployments {
        assert!(owned_by_fleet(&d.metadata), "{:?}", d.metadata.owner_references);
        assert!(d.annotations().contains_key(labels::MANIFEST_HASH));
    }
    wait_on(&members, ns, "web", "the Service", |s: &k8s_openapi::api::core::v1::Service| owned_by_fleet(&s.metadata))
        .await;
    wait_on(&members, ns, "settings", "the ConfigMap", |c: &ConfigMap| owned_by_fleet(&c.metadata)).await;
    let applied = Api::<AppliedWork>::all(members[0].clone()).get(&format!("{ns}-work")).await.unwrap();
    let inventory = &applied.status.unwrap().applied_resources;
    assert_eq!(inventory.len(), 4, "namespace, Deployment, Service, ConfigMap: {inventory:?}");

    // Editing the hub copies rolls out to both members.
    let cms = Api::<ConfigMap>::namespaced(hub.clone(), ns);
    cms.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"color": "green"}}))).await.unwrap();
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}});
    Api::<Deployment>::namespaced(hub.clone(), ns)
        .patch("web", &PatchParams::default(), &Patch::Strategic(image))
        .await
        .unwrap();
    wait_on(&members, ns, "settings", "the ConfigMap edited", |c: &ConfigMap| {
        c.data.as_ref().and_then(|d| d.get("color")).map(String::as_str) == Some("green")
    })
    .await;
    wait_on(&members, ns, "web", "the new image rolled out", |d: &Deployment| {
        let image = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| s.containers[0].image.clone());
        let s = d.status.clone().unwrap_or_default();
        image == Some(Some("nginx:1.28".into()))
            && s.observed_generation == d.metadata.generation
            && s.updated_replicas == Some(2)
            && s.available_replicas == Some(2)
    })
    .await;
    wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
}

#[tokio::test]
async fn a_hand_edit_is_reported_under_if_not_drifted_and_overwritten_under_always() {
    let hub = hub().await;
    let members = members().await;
    for (ns, when) in [("it-drift-keep", "IfNotDrifted"), ("it-drift-fix", "Always")] {
        create_namespace(&hub, ns).await;
        config_map(&hub, ns, "settings", json!({"color": "blue"})).await;
        let strategy = json!({"applyStrategy": {"whenToApply": when}});
        create_crp(&hub, &placement(ns, namespace_selector(ns), strategy)).await;
    }
    for ns in ["it-drift-keep", "it-drift-fix"] {
        wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
        let api = Api::<ConfigMap>::namespaced(members[0].clone(), ns);
        api.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"color": "red"}}))).await.unwrap();
    }

    // IfNotDrifted: reported with both values, and the member keeps the edit.
    let m = wait_manifest(&hub, "it-drift-keep", "member-1", "ConfigMap", "settings", |m| {
        has(m, p::APPLIED, "False", p::REASON_FOUND_DRIFTS)
    })
    .await;
    let drifts = &m.drift_details.expect("drift details").observed_drifts;
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    assert_eq!(
        (drifts[0].path.as_str(), drifts[0].value_in_member.as_str(), drifts[0].value_in_hub.as_str()),
        ("/data/color", "red", "blue")
    );
    let c = wait_condition(&hub, "it-drift-keep", p::CRP_APPLIED, "False").await;
    let drifted = &c.status.as_ref().unwrap().placement_statuses;
    assert!(
        drifted.iter().any(|s| s.cluster_name == "member-1" && !s.reports.drifted_placements.is_empty()),
        "member-1 lists its drifted object: {drifted:?}"
    );
    let kept = Api::<ConfigMap>::namespaced(members[0].clone(), "it-drift-keep").get("settings").await.unwrap();
    assert_eq!(kept.data.unwrap()["color"], "red", "IfNotDrifted leaves the drifted object alone");

    // Always: put back.
    wait_on(&members[..1], "it-drift-fix", "settings", "the hand edit overwritten", |c: &ConfigMap| {
        c.data.as_ref().and_then(|d| d.get("color")).map(String::as_str) == Some("blue")
    })
    .await;

    // A hub change still reaches the drifted object (the hub wins).
    let cms = Api::<ConfigMap>::namespaced(hub.clone(), "it-drift-keep");
    cms.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"color": "green"}}))).await.unwrap();
    wait_on(&members, "it-drift-keep", "settings", "the hub's new value", |c: &ConfigMap| {
        c.data.as_ref().and_then(|d| d.get("color")).map(String::as_str) == Some("green")
    })
    .await;
}

#[tokio::test]
async fn if_no_diff_takes_over_a_running_deployment_without_restarting_its_pods() {
    let hub = hub().await;
    let [m1, _] = members().await;
    let ns = "it-takeover";
    // Running on member-1 before the hub knows of it.
    create_namespace(&m1, ns).await;
    create(&m1, ns, &deployment(ns, "web", "nginx:1.27")).await;
    create(&m1, ns, &deployment(ns, "other", "nginx:1.27")).await;
    wait_on(std::slice::from_ref(&m1), ns, "web", "the Deployment running", |d: &Deployment| {
        d.status.as_ref().and_then(|s| s.available_replicas) == Some(2)
    })
    .await;
    let pods = || async {
        let list = Api::<Pod>::namespaced(m1.clone(), ns).list(&ListParams::default().labels("app=web")).await.unwrap();
        let mut uids: Vec<String> = list.items.iter().filter_map(|p| p.metadata.uid.clone()).collect();
        uids.sort();
        uids
    };
    let before = pods().await;
    assert_eq!(before.len(), 2);

    // The hub's copy: identical for web, a different image for other.
    create_namespace(&hub, ns).await;
    create(&hub, ns, &deployment(ns, "web", "nginx:1.27")).await;
    create(&hub, ns, &deployment(ns, "other", "nginx:1.28")).await;
    let c = placement_on(
        &["member-1"],
        ns,
        namespace_selector(ns),
        json!({"applyStrategy": {"whenToTakeOver": "IfNoDiff"}}),
    );
    create_crp(&hub, &c).await;

    wait_on(std::slice::from_ref(&m1), ns, "web", "web taken over", |d: &Deployment| owned_by_fleet(&d.metadata)).await;
    let m = wait_manifest(&hub, ns, "member-1", "Deployment", "other", |m| {
        has(m, p::APPLIED, "False", p::REASON_FAILED_TO_TAKE_OVER)
    })
    .await;
    let diffs = m.diff_details.expect("diff details").observed_diffs;
    assert!(
        diffs.iter().any(|d| d.path == "/spec/template/spec/containers/0/image"
            && d.value_in_member == "nginx:1.27"
            && d.value_in_hub == "nginx:1.28"),
        "{diffs:?}"
    );
    let other = Api::<Deployment>::namespaced(m1.clone(), ns).get("other").await.unwrap();
    assert!(!owned_by_fleet(&other.metadata), "a differing object is not taken over");
    wait_manifest(&hub, ns, "member-1", "Deployment", "web", |m| {
        has(m, p::AVAILABLE, "True", p::REASON_MANIFEST_AVAILABLE)
    })
    .await;
    assert_eq!(pods().await, before, "the taken-over Deployment's Pods kept running");
}

#[tokio::test]
async fn removing_a_resource_from_the_placement_deletes_it_from_the_members_and_nothing_else() {
    let hub = hub().await;
    let members = members().await;
    let ns = "it-gc";
    create_namespace(&hub, ns).await;
    config_map(&hub, ns, "kept", json!({"k": "v"})).await;
    config_map(&hub, ns, "dropped", json!({"k": "v"})).await;
    create_crp(&hub, &placement(ns, namespace_selector(ns), json!({}))).await;
    wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
    // Someone else's object in the same namespace on a member.
    config_map(&members[0], ns, "theirs", json!({"k": "v"})).await;

    Api::<ConfigMap>::namespaced(hub.clone(), ns).delete("dropped", &DeleteParams::default()).await.unwrap();
    for (i, m) in members.iter().enumerate() {
        let api = Api::<ConfigMap>::namespaced(m.clone(), ns);
        wait::until(&format!("dropped gone from member-{}", i + 1), TIMEOUT, || async {
            Ok(api.get_opt("dropped").await?.is_none().then_some(()))
        })
        .await
        .unwrap();
        assert!(api.get_opt("kept").await.unwrap().is_some(), "the rest stays");
    }
    let theirs = Api::<ConfigMap>::namespaced(members[0].clone(), ns).get_opt("theirs").await.unwrap();
    assert!(theirs.is_some(), "objects fleet never owned are never touched");
    let applied = Api::<AppliedWork>::all(members[0].clone()).get(&format!("{ns}-work")).await.unwrap();
    let names: Vec<String> =
        applied.status.unwrap().applied_resources.iter().map(|r| r.identifier.name.clone()).collect();
    assert!(!names.contains(&"dropped".to_string()), "the inventory forgets it: {names:?}");
}

#[tokio::test]
async fn deleting_a_placement_removes_its_objects_unless_the_delete_strategy_is_abandon() {
    let hub = hub().await;
    let members = members().await;
    for (ns, policy) in [("it-del-delete", "Delete"), ("it-del-abandon", "Abandon")] {
        create_namespace(&hub, ns).await;
        config_map(&hub, ns, "settings", json!({"k": "v"})).await;
        let strategy = json!({"deleteStrategy": {"propagationPolicy": policy}});
        create_crp(&hub, &placement(ns, namespace_selector(ns), strategy)).await;
    }
    for ns in ["it-del-delete", "it-del-abandon"] {
        wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
        Api::<ClusterResourcePlacement>::all(hub.clone()).delete(ns, &DeleteParams::default()).await.unwrap();
    }
    for (i, m) in members.iter().enumerate() {
        let api = Api::<ConfigMap>::namespaced(m.clone(), "it-del-delete");
        wait::until(&format!("it-del-delete's ConfigMap gone from member-{}", i + 1), TIMEOUT, || async {
            Ok(api.get_opt("settings").await?.is_none().then_some(()))
        })
        .await
        .unwrap();
        let applied = Api::<AppliedWork>::all(m.clone());
        wait::until("the abandoned AppliedWork gone", TIMEOUT, || async {
            Ok(applied.get_opt("it-del-abandon-work").await?.is_none().then_some(()))
        })
        .await
        .unwrap();
        let kept = Api::<ConfigMap>::namespaced(m.clone(), "it-del-abandon").get("settings").await.unwrap();
        assert!(
            !owned_by_fleet(&kept.metadata),
            "abandoned objects stay, let go: {:?}",
            kept.metadata.owner_references
        );
    }
}

#[tokio::test]
async fn report_diff_reports_differences_and_changes_nothing() {
    let hub = hub().await;
    let [m1, _] = members().await;
    let ns = "it-diff";
    create_namespace(&m1, ns).await;
    config_map(&m1, ns, "settings", json!({"color": "red"})).await;
    create_namespace(&hub, ns).await;
    config_map(&hub, ns, "settings", json!({"color": "blue"})).await;
    config_map(&hub, ns, "only-on-hub", json!({"k": "v"})).await;
    let c = placement_on(&["member-1"], ns, namespace_selector(ns), json!({"applyStrategy": {"type": "ReportDiff"}}));
    create_crp(&hub, &c).await;

    let m = wait_manifest(&hub, ns, "member-1", "ConfigMap", "settings", |m| {
        has(m, p::DIFF_REPORTED, "True", p::REASON_FOUND_DIFF)
    })
    .await;
    let diffs = m.diff_details.expect("diff details").observed_diffs;
    assert_eq!(
        diffs
            .iter()
            .map(|d| (d.path.as_str(), d.value_in_member.as_str(), d.value_in_hub.as_str()))
            .collect::<Vec<_>>(),
        [("/data/color", "red", "blue")]
    );
    assert!(conditions::find(&m.conditions, p::APPLIED).is_none(), "ReportDiff applies nothing: {:?}", m.conditions);
    let missing = wait_manifest(&hub, ns, "member-1", "ConfigMap", "only-on-hub", |m| m.diff_details.is_some()).await;
    assert_eq!(missing.diff_details.unwrap().observed_diffs[0].path, "/");
    let c = wait_condition(&hub, ns, p::CRP_DIFF_REPORTED, "True").await;
    let st = &c.status.as_ref().unwrap().placement_statuses;
    assert!(st.iter().any(|s| !s.reports.diffed_placements.is_empty()), "the CRP lists the diffed objects: {st:?}");

    let cms = Api::<ConfigMap>::namespaced(m1.clone(), ns);
    let settings = cms.get("settings").await.unwrap();
    assert_eq!(settings.data.unwrap()["color"], "red", "nothing changed");
    assert!(!owned_by_fleet(&settings.metadata));
    assert!(cms.get_opt("only-on-hub").await.unwrap().is_none(), "nothing created");
}

#[tokio::test]
async fn a_manifest_the_member_rejects_is_reported_with_the_servers_message_while_the_rest_applies() {
    let hub = hub().await;
    let [m1, _] = members().await;
    let ns = "it-reject";
    // member-1 refuses ConfigMaps labelled flotilla-test-reject (an admission policy of its own).
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "it-reject"},
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                     "operations": ["CREATE", "UPDATE"], "resources": ["configmaps"]}]},
                 "validations": [{"expression": "!has(object.metadata.labels) || !('flotilla-test-reject' in object.metadata.labels)",
                                  "message": "member-1 does not take ConfigMaps labelled flotilla-test-reject"}]}});
    let binding = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": "it-reject"},
        "spec": {"policyName": "it-reject", "validationActions": ["Deny"]}});
    for (obj, plural) in [(policy, "validatingadmissionpolicies"), (binding, "validatingadmissionpolicybindings")] {
        let gvk = GroupVersionKind::gvk("admissionregistration.k8s.io", "v1", obj["kind"].as_str().unwrap());
        let api: Api<DynamicObject> = Api::all_with(m1.clone(), &ApiResource::from_gvk_with_plural(&gvk, plural));
        api.create(&PostParams::default(), &serde_json::from_value(obj).unwrap()).await.unwrap();
    }
    let bad = |name: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns,
            "labels": {"flotilla-test-reject": "yes"}}, "data": {"k": "v"}}))
        .unwrap()
    };
    create_namespace(&m1, ns).await;
    // The policy takes effect a moment after it is created.
    wait::until("member-1's admission policy in force", TIMEOUT, || async {
        match Api::<ConfigMap>::namespaced(m1.clone(), ns)
            .create(&PostParams { dry_run: true, ..Default::default() }, &bad("probe"))
            .await
        {
            Err(kube::Error::Api(s)) if s.message.contains("flotilla-test-reject") => Ok(Some(())),
            _ => Ok(None),
        }
    })
    .await
    .unwrap();

    create_namespace(&hub, ns).await;
    create(&hub, ns, &bad("rejected")).await;
    config_map(&hub, ns, "fine", json!({"k": "v"})).await;
    let c = placement_on(&["member-1"], ns, namespace_selector(ns), json!({}));
    create_crp(&hub, &c).await;

    let m = wait_manifest(&hub, ns, "member-1", "ConfigMap", "rejected", |m| {
        has(m, p::APPLIED, "False", p::REASON_MANIFEST_APPLY_FAILED)
    })
    .await;
    let message = &conditions::find(&m.conditions, p::APPLIED).unwrap().message;
    assert!(message.contains("member-1 does not take ConfigMaps labelled flotilla-test-reject"), "{message}");
    wait_manifest(&hub, ns, "member-1", "ConfigMap", "fine", |m| {
        has(m, p::APPLIED, "True", p::REASON_MANIFEST_APPLIED)
    })
    .await;
    assert!(Api::<ConfigMap>::namespaced(m1.clone(), ns).get_opt("fine").await.unwrap().is_some());
    // The placement says which object failed, and why.
    let failed = wait::until("the CRP to list the rejected ConfigMap", TIMEOUT, || async {
        let c = get_crp(&hub, ns).await;
        let failed: Vec<_> =
            c.status.into_iter().flat_map(|s| s.placement_statuses).flat_map(|s| s.reports.failed_placements).collect();
        Ok(failed.into_iter().find(|f| f.resource.name == "rejected"))
    })
    .await
    .unwrap();
    assert!(failed.condition.message.contains("flotilla-test-reject"), "{:?}", failed.condition);
    assert_eq!(condition(&get_crp(&hub, ns).await, p::CRP_APPLIED).map(|c| c.status), Some("False".into()));
}

#[tokio::test]
async fn a_crd_and_a_custom_resource_of_it_in_one_placement_both_land() {
    let hub = hub().await;
    let members = members().await;
    let ns = "it-crd";
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "widgets.it-crd.flotilla.dev"},
        "spec": {"group": "it-crd.flotilla.dev", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}
    }))
    .unwrap();
    let crds = Api::<CustomResourceDefinition>::all(hub.clone());
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let gvk = GroupVersionKind::gvk("it-crd.flotilla.dev", "v1", "Widget");
    let widgets = ApiResource::from_gvk_with_plural(&gvk, "widgets");
    create_namespace(&hub, ns).await;
    let widget: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "it-crd.flotilla.dev/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": ns}, "spec": {"size": 3}}))
    .unwrap();
    let hub_widgets: Api<DynamicObject> = Api::namespaced_with(hub.clone(), ns, &widgets);
    wait::until("the Widget kind served on the hub", TIMEOUT, || async {
        Ok(hub_widgets.create(&PostParams::default(), &widget).await.ok().map(|_| ()))
    })
    .await
    .unwrap();
    let selectors = json!([
        {"group": "apiextensions.k8s.io", "version": "v1", "kind": "CustomResourceDefinition", "name": "widgets.it-crd.flotilla.dev"},
        {"group": "", "version": "v1", "kind": "Namespace", "name": ns}]);
    create_crp(&hub, &placement(ns, selectors, json!({}))).await;

    wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
    for (i, m) in members.iter().enumerate() {
        let api: Api<DynamicObject> = Api::namespaced_with(m.clone(), ns, &widgets);
        let w = api.get("w").await.unwrap_or_else(|e| panic!("the Widget on member-{}: {e}", i + 1));
        assert_eq!(w.data["spec"]["size"], 3);
        assert!(owned_by_fleet(&w.metadata));
    }
    let c = get_crp(&hub, ns).await;
    let per_cluster: BTreeMap<String, usize> = c
        .status
        .unwrap()
        .placement_statuses
        .into_iter()
        .map(|s| (s.cluster_name, s.reports.failed_placements.len()))
        .collect();
    assert_eq!(per_cluster, BTreeMap::from([("member-1".into(), 0), ("member-2".into(), 0)]));
}

#[tokio::test]
async fn server_side_apply_honours_force_and_two_placements_never_share_an_object() {
    let hub = hub().await;
    let [m1, _] = members().await;
    // Someone else manages a field member-1's copy also sets.
    let ns = "it-ssa";
    create_namespace(&m1, ns).await;
    let theirs = Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": ns}, "data": {"color": "red"}}));
    let cms = Api::<ConfigMap>::namespaced(m1.clone(), ns);
    cms.patch("settings", &PatchParams::apply("someone-else"), &theirs).await.unwrap();
    create_namespace(&hub, ns).await;
    config_map(&hub, ns, "settings", json!({"color": "blue"})).await;
    let strategy =
        |force: bool| json!({"applyStrategy": {"type": "ServerSideApply", "serverSideApplyConfig": {"force": force}}});
    let c = placement_on(&["member-1"], ns, namespace_selector(ns), strategy(false));
    create_crp(&hub, &c).await;

    // Without force: the API server's conflict, reported; the object unchanged.
    let m = wait_manifest(&hub, ns, "member-1", "ConfigMap", "settings", |m| {
        has(m, p::APPLIED, "False", p::REASON_MANIFEST_APPLY_FAILED)
    })
    .await;
    let message = &conditions::find(&m.conditions, p::APPLIED).unwrap().message;
    assert!(message.contains("conflict") && message.contains("someone-else"), "{message}");
    assert_eq!(cms.get("settings").await.unwrap().data.unwrap()["color"], "red");

    // With force: applied, and the field is fleet's now.
    let patch = json!({"spec": {"strategy": strategy(true)}});
    Api::<ClusterResourcePlacement>::all(hub.clone())
        .patch(ns, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap();
    wait_on(std::slice::from_ref(&m1), ns, "settings", "the forced apply", |c: &ConfigMap| {
        c.data.as_ref().and_then(|d| d.get("color")).map(String::as_str) == Some("blue")
    })
    .await;

    // A second placement of the same namespace: its copy is refused, the first keeps it.
    let second = placement_on(&["member-1"], "it-ssa-second", namespace_selector(ns), json!({}));
    create_crp(&hub, &second).await;
    wait_manifest(&hub, "it-ssa-second", "member-1", "Namespace", ns, |m| {
        has(m, p::APPLIED, "False", p::REASON_APPLY_CONFLICT_BETWEEN_PLACEMENTS)
    })
    .await;
    let owners: Vec<String> = Api::<k8s_openapi::api::core::v1::Namespace>::all(m1.clone())
        .get(ns)
        .await
        .unwrap()
        .metadata
        .owner_references
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.kind == "AppliedWork")
        .map(|r| r.name)
        .collect();
    assert_eq!(owners, [format!("{ns}-work")]);
}

#[tokio::test]
async fn a_pass_writes_only_what_departs_from_the_manifest() {
    let hub = hub().await;
    let [m1, _] = members().await;
    let ns = "it-quiet";
    create_namespace(&hub, ns).await;
    config_map(&hub, ns, "settings", json!({"color": "blue"})).await;
    config_map(&hub, ns, "other", json!({"k": "v"})).await;
    let c = placement_on(&["member-1"], ns, namespace_selector(ns), json!({}));
    create_crp(&hub, &c).await;
    wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
    let work = || async { works(&hub, ns).await.remove("member-1").unwrap().remove(0) };
    let settled = wait::until("the Work's status for its generation", TIMEOUT, || async {
        let w = work().await;
        let conds = w.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
        let ok = conditions::find(conds, p::AVAILABLE).is_some_and(|c| c.observed_generation == w.metadata.generation);
        Ok(ok.then_some(w))
    })
    .await
    .unwrap();

    // A label the manifest does not set, then a placed object deleted by hand:
    // the pass that puts `other` back also saw the label, and left it alone.
    let cms = Api::<ConfigMap>::namespaced(m1.clone(), ns);
    let labelled = cms
        .patch("settings", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"team": "x"}}})))
        .await
        .unwrap();
    cms.delete("other", &DeleteParams::default()).await.unwrap();
    wait::until("the deleted object put back", TIMEOUT, || async { Ok(cms.get_opt("other").await?) }).await.unwrap();
    let after = cms.get("settings").await.unwrap();
    assert_eq!(after.metadata.resource_version, labelled.metadata.resource_version, "nothing written to settings");
    assert_eq!(after.labels().get("team").map(String::as_str), Some("x"), "others' fields stay");
    assert_eq!(work().await.metadata.resource_version, settled.metadata.resource_version, "no status written");
}

/// Waits until the placement `name` (a CRP, or an RP in `rp_namespace`) reports
/// `index` as its observed resource index and is Available at its generation.
async fn wait_index_available(hub: &Client, rp_namespace: Option<&str>, name: &str, index: &str) {
    wait::until(&format!("{name} Available at resource index {index}"), TIMEOUT, || async {
        let (status, generation, available) = match rp_namespace {
            None => {
                let c = get_crp(hub, name).await;
                (c.status, c.metadata.generation, p::CRP_AVAILABLE)
            }
            Some(ns) => {
                let r = Api::<ResourcePlacement>::namespaced(hub.clone(), ns).get(name).await?;
                (r.status, r.metadata.generation, p::RP_AVAILABLE)
            }
        };
        let ok = status.is_some_and(|s| {
            s.observed_resource_index == index
                && conditions::find(&s.conditions, available)
                    .is_some_and(|c| c.status == "True" && c.observed_generation == generation)
        });
        Ok(ok.then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn an_emptied_selection_rolls_out_and_a_match_again_places_at_the_next_index() {
    let hub = hub().await;
    let ms = members().await;
    let ns = "it-emptied";
    create_namespace(&hub, ns).await;
    let namespaces: Api<Namespace> = Api::all(hub.clone());
    let label = |on: bool| json!({"metadata": {"labels": {"it-emptied": if on { Some("yes") } else { None }}}});
    namespaces.patch(ns, &PatchParams::default(), &Patch::Merge(label(true))).await.unwrap();
    let selector = json!([{"group": "", "version": "v1", "kind": "Namespace",
                           "labelSelector": {"matchLabels": {"it-emptied": "yes"}}}]);
    create_crp(&hub, &placement(ns, selector, json!({}))).await;
    wait_index_available(&hub, None, ns, "0").await;
    let on_members = |present: bool| {
        let ms = ms.clone();
        async move {
            for (i, m) in ms.iter().enumerate() {
                let api: Api<Namespace> = Api::all(m.clone());
                wait::until(&format!("{ns} present={present} on member-{}", i + 1), TIMEOUT, || async {
                    let live = api.get_opt(ns).await?.filter(|n| n.metadata.deletion_timestamp.is_none());
                    Ok((live.is_some() == present).then_some(()))
                })
                .await
                .unwrap();
            }
        }
    };
    on_members(true).await;

    // The only match loses its label: the empty snapshot rolls out and the members let it go.
    namespaces.patch(ns, &PatchParams::default(), &Patch::Merge(label(false))).await.unwrap();
    wait_index_available(&hub, None, ns, "1").await;
    assert!(get_crp(&hub, ns).await.status.unwrap().selected_resources.is_empty());
    on_members(false).await;

    // Matching again places it at the next index.
    namespaces.patch(ns, &PatchParams::default(), &Patch::Merge(label(true))).await.unwrap();
    wait_index_available(&hub, None, ns, "2").await;
    on_members(true).await;
}

#[tokio::test]
async fn a_resource_placement_whose_selection_empties_removes_what_it_placed() {
    let hub = hub().await;
    let ms = members().await;
    let ns = "it-emptied-rp";
    create_namespace(&hub, ns).await;
    for m in &ms {
        create_namespace(m, ns).await;
    }
    let maps: Api<ConfigMap> = Api::namespaced(hub.clone(), ns);
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "app", "namespace": ns,
        "labels": {"it-emptied": "yes"}}, "data": {"k": "v"}}))
    .unwrap();
    maps.create(&PostParams::default(), &cm).await.unwrap();
    let rp: ResourcePlacement = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement",
        "metadata": {"name": "it-emptied-rp", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap",
                                        "labelSelector": {"matchLabels": {"it-emptied": "yes"}}}],
                 "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "member-2"]}}}))
    .unwrap();
    Api::<ResourcePlacement>::namespaced(hub.clone(), ns).create(&PostParams::default(), &rp).await.unwrap();
    wait_on::<ConfigMap, _>(&ms, ns, "app", "the ConfigMap", |_| true).await;
    wait_index_available(&hub, Some(ns), "it-emptied-rp", "0").await;

    let unlabel = json!({"metadata": {"labels": {"it-emptied": null}}});
    maps.patch("app", &PatchParams::default(), &Patch::Merge(unlabel)).await.unwrap();
    wait_index_available(&hub, Some(ns), "it-emptied-rp", "1").await;
    for (i, m) in ms.iter().enumerate() {
        let api: Api<ConfigMap> = Api::namespaced(m.clone(), ns);
        wait::until(&format!("the ConfigMap gone from member-{}", i + 1), TIMEOUT, || async {
            Ok(api.get_opt("app").await?.is_none().then_some(()))
        })
        .await
        .unwrap();
    }
}
