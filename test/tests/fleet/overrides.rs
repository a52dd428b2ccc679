//! Overrides on a real hub: snapshots of ClusterResourceOverrides and
//! ResourceOverrides, and their per-cluster effect on placed objects.

use apis::{
    labels,
    placement::{ClusterResourceOverride, ClusterResourceOverrideSnapshot, ResourceOverride, ResourceOverrideSnapshot},
};
use fleet::{shared::fleet, wait};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

use crate::support::{TIMEOUT, create_namespace, wait_object};

async fn hub() -> Client {
    fleet().hub.client().await
}

/// (name, latest) of the snapshots of `parent`, by index, once `check` holds.
async fn wait_snapshots<S>(api: &Api<S>, parent: &str, check: impl Fn(&[(String, bool)]) -> bool) -> Vec<(String, bool)>
where
    S: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let lp = ListParams::default().labels(&format!("{}={parent}", labels::OVERRIDE_TRACKING));
    wait::until(&format!("{parent}'s snapshots"), TIMEOUT, || async {
        let mut list: Vec<(u32, String, bool)> = api
            .list(&lp)
            .await?
            .items
            .iter()
            .map(|s| {
                let l = s.labels();
                let index = l.get(labels::OVERRIDE_INDEX).and_then(|i| i.parse().ok()).unwrap_or(u32::MAX);
                (index, s.name_any(), l.get(labels::IS_LATEST_SNAPSHOT).is_some_and(|v| v == "true"))
            })
            .collect();
        list.sort();
        let got: Vec<(String, bool)> = list.into_iter().map(|(_, n, l)| (n, l)).collect();
        Ok(check(&got).then_some(got))
    })
    .await
    .unwrap()
}

fn s(name: &str, latest: bool) -> (String, bool) {
    (name.to_string(), latest)
}

#[tokio::test]
async fn each_override_version_is_a_snapshot_and_deleting_the_override_removes_them() {
    let hub = hub().await;
    let ns = "it-ovr-snap";
    create_namespace(&hub, ns).await;
    let cro: ClusterResourceOverride = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ClusterResourceOverride",
        "metadata": {"name": "it-ovr-snap"},
        "spec": {"clusterResourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": ns}],
                 "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []},
                     "jsonPatchOverrides": [{"op": "add", "path": "/metadata/labels/a", "value": "1"}]}]}}
    }))
    .unwrap();
    let cros = Api::<ClusterResourceOverride>::all(hub.clone());
    cros.create(&PostParams::default(), &cro).await.unwrap();
    let snaps = Api::<ClusterResourceOverrideSnapshot>::all(hub.clone());
    wait_snapshots(&snaps, "it-ovr-snap", |s| s == [self::s("it-ovr-snap-0", true)]).await;
    let first = snaps.get("it-ovr-snap-0").await.unwrap();
    assert_eq!(first.spec.override_spec, cro.spec, "the snapshot holds the spec");

    let patch = json!({"spec": {"policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []},
        "jsonPatchOverrides": [{"op": "add", "path": "/metadata/labels/a", "value": "2"}]}]}}});
    cros.patch("it-ovr-snap", &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
    wait_snapshots(&snaps, "it-ovr-snap", |s| s == [self::s("it-ovr-snap-0", false), self::s("it-ovr-snap-1", true)])
        .await;
    // The override holds the cleanup finalizer, so its snapshots go with it.
    let held = cros.get("it-ovr-snap").await.unwrap();
    assert!(held.finalizers().iter().any(|f| f == apis::finalizers::OVERRIDE_CLEANUP));

    cros.delete("it-ovr-snap", &DeleteParams::default()).await.unwrap();
    wait_snapshots(&snaps, "it-ovr-snap", |s| s.is_empty()).await;
    wait::until("the override gone", TIMEOUT, || async {
        Ok(cros.get_opt("it-ovr-snap").await?.is_none().then_some(()))
    })
    .await
    .unwrap();

    // A ResourceOverride's snapshots live in its namespace.
    let ro: ResourceOverride = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride",
        "metadata": {"name": "it-ovr-snap-ro", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "c"}],
                 "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}
    }))
    .unwrap();
    Api::<ResourceOverride>::namespaced(hub.clone(), ns).create(&PostParams::default(), &ro).await.unwrap();
    let ro_snaps = Api::<ResourceOverrideSnapshot>::namespaced(hub.clone(), ns);
    wait_snapshots(&ro_snaps, "it-ovr-snap-ro", |s| s == [self::s("it-ovr-snap-ro-0", true)]).await;
}

async fn member_clients() -> [Client; 2] {
    let f = fleet();
    [f.members[0].client().await, f.members[1].client().await]
}

/// Waits until `check` holds for the object `name` in `ns` on `member`.
async fn wait_member<K>(
    member: &Client,
    ns: &str,
    name: &str,
    what: &str,
    check: impl Fn(Option<&K>) -> bool,
) -> Option<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    wait_object(&Api::<K>::namespaced(member.clone(), ns), name, what, check).await
}

#[tokio::test]
async fn overrides_vary_objects_per_cluster_keep_some_off_and_a_failure_leaves_that_cluster_as_it_was() {
    use apis::conditions::{self, placement as p};
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};

    use crate::support::{create_crp, crp, get_crp, namespace_selector, wait_condition};

    let hub = hub().await;
    let [m1, m2] = member_clients().await;
    let ns = "it-ovr";
    create_namespace(&hub, ns).await;
    let svc: Service = serde_json::from_value(
        json!({"metadata": {"name": "nginx-service", "namespace": ns, "labels": {"app": "nginx"}},
        "spec": {"selector": {"app": "nginx"}, "ports": [{"port": 80}]}}),
    )
    .unwrap();
    Api::<Service>::namespaced(hub.clone(), ns).create(&PostParams::default(), &svc).await.unwrap();
    // A ClusterResourceOverride of the namespace patches everything in it (as
    // KubeFleet), so every object has labels for its patch to extend.
    let cms = Api::<ConfigMap>::namespaced(hub.clone(), ns);
    for (name, data) in
        [("settings", json!({"v": "1"})), ("member-1-only", json!({"k": "v"})), ("fragile", json!({"v": "1"}))]
    {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns,
            "labels": {"app": "it-ovr"}}, "data": data}))
        .unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let apply = |yaml: Value| async {
        let mut a = fleet::apply::Applier::new(hub.clone());
        let obj = serde_json::from_value(yaml).unwrap();
        a.apply(&obj).await.map_err(|e| e.to_string())
    };
    let on = |c: &str| json!({"clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"cluster-name": c}}}]});
    let everywhere = json!({"clusterSelectorTerms": []});
    let ro = |name: &str, kind: &str, target: &str, rule: Value| {
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"resourceSelectors": [{"group": "", "kind": kind, "version": "v1", "name": target}],
                     "policy": {"overrideRules": [rule]}}})
    };
    // The seed's DNS label on member-1 only (its v1alpha1 form, verbatim but for the namespace).
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ResourceOverride",
        "metadata": {"name": "ro-nginx-service", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "", "kind": "Service", "version": "v1", "name": "nginx-service"}],
                 "policy": {"overrideRules": [{"clusterSelector": on("member-1"), "jsonPatchOverrides": [{"op": "add",
                     "path": "/metadata/annotations",
                     "value": {"service.beta.kubernetes.io/azure-dns-label-name": "fleet-test-member-1"}}]}]}}}))
    .await
    .unwrap();
    apply(ro(
        "ro-member-1-only",
        "ConfigMap",
        "member-1-only",
        json!({"clusterSelector": on("member-2"), "overrideType": "Delete"}),
    ))
    .await
    .unwrap();
    // Each cluster's name on everything in the namespace; for settings the ResourceOverride wins.
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ClusterResourceOverride",
        "metadata": {"name": "cro-it-ovr"},
        "spec": {"clusterResourceSelectors": [{"group": "", "kind": "Namespace", "version": "v1", "name": ns}],
                 "policy": {"overrideRules": [{"clusterSelector": everywhere, "jsonPatchOverrides": [
                     {"op": "add", "path": "/metadata/labels/placed-on", "value": "${MEMBER-CLUSTER-NAME}"}]}]}}}))
    .await
    .unwrap();
    let replace = json!({"clusterSelector": everywhere, "jsonPatchOverrides": [
        {"op": "replace", "path": "/metadata/labels/placed-on", "value": "ro-${MEMBER-CLUSTER-NAME}"}]});
    apply(ro("ro-settings", "ConfigMap", "settings", replace)).await.unwrap();
    let placement = crp(
        ns,
        // A ServiceExport's availability cannot be tracked: the rollout waits
        // unavailablePeriodSeconds (60 s by default) per step; keep it short.
        // Both clusters may be out at once: the failing override below makes
        // member-2 unavailable, and under the default 25% (one of two) the
        // rollout would hold member-1's edit back whenever member-2 failed
        // first, which is the rollout's rule, not what this test is about.
        json!({"resourceSelectors": namespace_selector(ns),
               "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "member-2"]},
               "strategy": {"rollingUpdate": {"unavailablePeriodSeconds": 2, "maxUnavailable": "100%"}}}),
    );
    create_crp(&hub, &placement).await;
    let c = wait_condition(&hub, ns, p::CRP_OVERRIDDEN, "True").await;
    assert_eq!(
        conditions::find(&c.status.as_ref().unwrap().conditions, p::CRP_OVERRIDDEN).unwrap().reason,
        p::REASON_OVERRIDDEN_SUCCEEDED
    );
    wait_condition(&hub, ns, p::CRP_APPLIED, "True").await;

    let dns = "service.beta.kubernetes.io/azure-dns-label-name";
    let s1: Service =
        wait_member(&m1, ns, "nginx-service", "the Service on member-1", |s: Option<&Service>| s.is_some())
            .await
            .unwrap();
    assert_eq!(s1.annotations().get(dns).map(String::as_str), Some("fleet-test-member-1"));
    let s2: Service =
        wait_member(&m2, ns, "nginx-service", "the Service on member-2", |s: Option<&Service>| s.is_some())
            .await
            .unwrap();
    assert!(!s2.annotations().contains_key(dns), "member-2 has no DNS label: {:?}", s2.annotations());
    for (m, name) in [(&m1, "member-1"), (&m2, "member-2")] {
        let n = Api::<Namespace>::all(m.clone()).get(ns).await.unwrap();
        assert_eq!(n.labels().get("placed-on").map(String::as_str), Some(name), "${{MEMBER-CLUSTER-NAME}} on {name}");
        let settings: ConfigMap =
            wait_member(m, ns, "settings", "settings", |c: Option<&ConfigMap>| c.is_some()).await.unwrap();
        assert_eq!(settings.labels().get("placed-on"), Some(&format!("ro-{name}")), "the ResourceOverride wins");
    }
    wait_member(&m1, ns, "member-1-only", "member-1-only on member-1", |c: Option<&ConfigMap>| c.is_some()).await;
    assert!(
        Api::<ConfigMap>::namespaced(m2.clone(), ns).get_opt("member-1-only").await.unwrap().is_none(),
        "Delete keeps it off member-2"
    );
    let c = get_crp(&hub, ns).await;
    let per: Vec<(String, Vec<String>)> = c
        .status
        .unwrap()
        .placement_statuses
        .into_iter()
        .map(|s| (s.cluster_name, s.applicable_resource_overrides.into_iter().map(|n| n.name).collect()))
        .collect();
    assert!(per.contains(&("member-1".into(), vec!["ro-nginx-service-0".into(), "ro-settings-0".into()])), "{per:?}");
    assert!(per.contains(&("member-2".into(), vec!["ro-member-1-only-0".into(), "ro-settings-0".into()])), "{per:?}");

    // The seed's next steps: ro-nginx-service-export keeps the ServiceExport off
    // member-2, and ro-nginx-service gains a Delete rule for member-2.
    let exports = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("networking.fleet.azure.com", "v1alpha1", "ServiceExport"),
        "serviceexports",
    );
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ResourceOverride",
        "metadata": {"name": "ro-nginx-service-export", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "networking.fleet.azure.com", "kind": "ServiceExport", "version": "v1alpha1", "name": "nginx-service"}],
                 "policy": {"overrideRules": [{"clusterSelector": on("member-2"), "overrideType": "Delete"}]}}}))
    .await
    .unwrap();
    // The override's snapshot first: a placement pass between the export's
    // arrival and the snapshot's would place the export on member-2 for a
    // moment (a known race, see the issue notes), and this test reads it once.
    let snaps: Api<apis::placement::ResourceOverrideSnapshot> = Api::namespaced(hub.clone(), ns);
    wait::until("ro-nginx-service-export's snapshot", TIMEOUT, || async {
        Ok(snaps.get_opt("ro-nginx-service-export-0").await?)
    })
    .await
    .unwrap();
    apply(json!({"apiVersion": "networking.fleet.azure.com/v1alpha1", "kind": "ServiceExport",
        "metadata": {"name": "nginx-service", "namespace": ns, "labels": {"app": "nginx"}}}))
    .await
    .unwrap();
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ResourceOverride",
        "metadata": {"name": "ro-nginx-service", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "", "kind": "Service", "version": "v1", "name": "nginx-service"}],
                 "policy": {"overrideRules": [
                     {"clusterSelector": on("member-1"), "jsonPatchOverrides": [{"op": "add", "path": "/metadata/annotations",
                         "value": {"service.beta.kubernetes.io/azure-dns-label-name": "fleet-test-member-1"}}]},
                     {"clusterSelector": on("member-2"), "overrideType": "Delete"}]}}}))
    .await
    .unwrap();
    wait_member(&m2, ns, "nginx-service", "nginx-service gone from member-2", |s: Option<&Service>| s.is_none()).await;
    let export_on = |m: &Client| Api::<kube::api::DynamicObject>::namespaced_with(m.clone(), ns, &exports);
    let e1 = export_on(&m1);
    wait::until("the ServiceExport on member-1", TIMEOUT, || async { Ok(e1.get_opt("nginx-service").await?) })
        .await
        .unwrap();
    assert!(export_on(&m2).get_opt("nginx-service").await.unwrap().is_none(), "the ServiceExport is kept off member-2");
    let s1 = Api::<Service>::namespaced(m1.clone(), ns).get("nginx-service").await.unwrap();
    assert_eq!(
        s1.annotations().get(dns).map(String::as_str),
        Some("fleet-test-member-1"),
        "member-1 keeps its Service"
    );

    // A patch that fails on member-2 only (a path its copy lacks), then a hub
    // edit: member-2 says why and keeps its previous version, member-1 takes
    // the edit. (The edit waits for the failure: the other way round,
    // member-2 would take the edit before the broken patch reached it.)
    let broken = json!({"clusterSelector": on("member-2"), "jsonPatchOverrides": [
        {"op": "replace", "path": "/data/missing", "value": "x"}]});
    apply(ro("ro-broken", "ConfigMap", "fragile", broken)).await.unwrap();
    let failed = wait::until("member-2 Overridden=False", TIMEOUT, || async {
        let c = get_crp(&hub, ns).await;
        let st = c.status.unwrap_or_default().placement_statuses;
        Ok(st
            .into_iter()
            .find(|s| s.cluster_name == "member-2")
            .and_then(|s| conditions::find(&s.conditions, p::OVERRIDDEN).filter(|c| c.status == "False").cloned()))
    })
    .await
    .unwrap();
    assert_eq!(failed.reason, p::REASON_OVERRIDDEN_FAILED);
    Api::<ConfigMap>::namespaced(hub.clone(), ns)
        .patch("fragile", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}})))
        .await
        .unwrap();
    wait_member(&m1, ns, "fragile", "member-1 takes the edit", |c: Option<&ConfigMap>| {
        c.and_then(|c| c.data.as_ref()).and_then(|d| d.get("v")).map(String::as_str) == Some("2")
    })
    .await;
    assert!(
        failed.message.contains("ConfigMap it-ovr/fragile") && failed.message.contains("ro-broken"),
        "{}",
        failed.message
    );
    let kept = Api::<ConfigMap>::namespaced(m2.clone(), ns).get("fragile").await.unwrap();
    assert_eq!(kept.data.unwrap()["v"], "1", "member-2 stays at its last good version");
    wait_condition(&hub, ns, p::CRP_OVERRIDDEN, "False").await;
}

#[tokio::test]
async fn a_patch_outside_labels_annotations_and_spec_is_refused_with_the_path() {
    let hub = hub().await;
    let mut a = fleet::apply::Applier::new(hub.clone());
    for (path, says) in [
        ("/status/phase", "cannot override status fields: path /status/phase"),
        ("/metadata/name", "cannot override metadata fields except annotations and labels: path /metadata/name"),
        ("/kind", "cannot override typeMeta fields: path /kind"),
    ] {
        let ro = json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride",
            "metadata": {"name": "ro-bad", "namespace": "default"},
            "spec": {"resourceSelectors": [{"group": "", "kind": "ConfigMap", "version": "v1", "name": "c"}],
                     "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "jsonPatchOverrides": [
                         {"op": "add", "path": path, "value": "x"}]}]}}});
        let err = a.apply(&serde_json::from_value(ro).unwrap()).await.expect_err(path).to_string();
        assert!(err.contains(says), "{path}: {err}");
    }
}

#[tokio::test]
async fn the_webhook_refuses_what_the_schema_cannot_see() {
    let hub = hub().await;
    let ns = "it-ovr-hook";
    create_namespace(&hub, ns).await;
    let mut a = fleet::apply::Applier::new(hub.clone());
    let ro = |name: &str, target: &str, op: Value| {
        serde_json::from_value(json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"resourceSelectors": [{"group": "", "kind": "Service", "version": "v1", "name": target}],
                     "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "jsonPatchOverrides": [op]}]}}}))
        .unwrap()
    };
    let refused = [
        (
            ro("ro-remove", "a", json!({"op": "remove", "path": "/spec/type", "value": "x"})),
            "remove operation cannot have value: path /spec/type",
        ),
        (
            ro("ro-variable", "a", json!({"op": "add", "path": "/metadata/labels/x", "value": "${CLUSTER-NAME}"})),
            "invalid variable ${CLUSTER-NAME}",
        ),
    ];
    for (obj, says) in &refused {
        let err = a.apply(obj).await.expect_err(says).to_string();
        assert!(err.contains(says), "{err}");
    }
    // One ResourceOverride per resource.
    let first =
        ro("ro-first", "web", json!({"op": "add", "path": "/metadata/labels/x", "value": "${MEMBER-CLUSTER-NAME}"}));
    a.apply(&first).await.unwrap();
    let second = ro("ro-second", "web", json!({"op": "add", "path": "/metadata/labels/y", "value": "1"}));
    let err = a.apply(&second).await.expect_err("a second override of web").to_string();
    assert!(err.contains("Service web is already selected by ResourceOverride ro-first"), "{err}");
    // Updating the first is fine: it does not conflict with itself.
    let again = ro("ro-first", "web", json!({"op": "add", "path": "/metadata/labels/x", "value": "2"}));
    a.apply(&again).await.unwrap();
}

#[tokio::test]
async fn deleting_an_override_takes_its_changes_off_the_members_and_the_status() {
    use apis::placement::ClusterResourcePlacement;
    use k8s_openapi::api::core::v1::ConfigMap;

    use crate::support::{create_crp, crp, namespace_selector};

    let hub = hub().await;
    let [m1, _] = member_clients().await;
    let ns = "it-ovr-del";
    create_namespace(&hub, ns).await;
    let cm: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "app", "namespace": ns, "labels": {"app": "x"}}, "data": {"k": "v"}}),
    )
    .unwrap();
    Api::<ConfigMap>::namespaced(hub.clone(), ns).create(&PostParams::default(), &cm).await.unwrap();
    let mut applier = fleet::apply::Applier::new(hub.clone());
    let mut apply = async |v: Value| applier.apply(&serde_json::from_value(v).unwrap()).await.unwrap();
    let everywhere = json!({"clusterSelectorTerms": []});
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ClusterResourceOverride",
        "metadata": {"name": "it-ovr-del"},
        "spec": {"clusterResourceSelectors": [{"group": "", "kind": "Namespace", "version": "v1", "name": ns}],
                 "policy": {"overrideRules": [{"clusterSelector": everywhere, "jsonPatchOverrides": [
                     {"op": "add", "path": "/metadata/labels/from-cro", "value": "yes"}]}]}}}))
    .await;
    apply(json!({"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride",
        "metadata": {"name": "it-ovr-del-ro", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "", "kind": "ConfigMap", "version": "v1", "name": "app"}],
                 "policy": {"overrideRules": [{"clusterSelector": everywhere, "jsonPatchOverrides": [
                     {"op": "add", "path": "/metadata/annotations", "value": {"from-ro": "yes"}}]}]}}}))
    .await;
    create_crp(
        &hub,
        &crp(
            ns,
            json!({"resourceSelectors": namespace_selector(ns),
                   "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}),
        ),
    )
    .await;
    let label = |c: Option<&ConfigMap>, key: &str| c.and_then(|c| c.metadata.labels.as_ref()?.get(key).cloned());
    let annotation = |c: Option<&ConfigMap>| c.and_then(|c| c.metadata.annotations.as_ref()?.get("from-ro").cloned());
    wait_member::<ConfigMap>(&m1, ns, "app", "both overrides on member-1", |c| {
        label(c, "from-cro").is_some() && annotation(c).is_some()
    })
    .await;
    let listed = |c: &ClusterResourcePlacement| {
        let s = c.status.as_ref().and_then(|s| s.placement_statuses.first().cloned()).unwrap_or_default();
        (s.applicable_cluster_resource_overrides.len(), s.applicable_resource_overrides.len())
    };
    let crps = Api::<ClusterResourcePlacement>::all(hub.clone());
    wait::until("both overrides listed", TIMEOUT, || async {
        Ok((listed(&crps.get(ns).await?) == (1, 1)).then_some(()))
    })
    .await
    .unwrap();
    // Settled: Available, and no write to the placement for a while, so no
    // pass still under way can pick up the deletion below by chance.
    let last = std::sync::Mutex::new((String::new(), std::time::Instant::now()));
    wait::until("the placement settled", TIMEOUT, || async {
        let (version, available) = crps_version(&crps, ns).await?;
        let mut last = last.lock().unwrap();
        if version != last.0 {
            *last = (version, std::time::Instant::now());
        }
        Ok((available && last.1.elapsed() > std::time::Duration::from_secs(2)).then_some(()))
    })
    .await
    .unwrap();

    // Deleting the ResourceOverride: the annotation goes from the Work and
    // the member (three-way: the last applied configuration had it), the
    // status stops listing it; the CRO's label stays.
    Api::<ResourceOverride>::namespaced(hub.clone(), ns)
        .delete("it-ovr-del-ro", &DeleteParams::default())
        .await
        .unwrap();
    wait_member::<ConfigMap>(&m1, ns, "app", "the RO's annotation gone from member-1", |c| {
        annotation(c).is_none() && label(c, "from-cro").is_some()
    })
    .await;
    wait::until("only the CRO listed", TIMEOUT, || async {
        Ok((listed(&crps.get(ns).await?) == (1, 0)).then_some(()))
    })
    .await
    .unwrap();

    // Deleting the ClusterResourceOverride: its label goes too; the object's own stays.
    Api::<ClusterResourceOverride>::all(hub.clone()).delete("it-ovr-del", &DeleteParams::default()).await.unwrap();
    wait_member::<ConfigMap>(&m1, ns, "app", "the CRO's label gone from member-1", |c| {
        label(c, "from-cro").is_none() && label(c, "app").as_deref() == Some("x")
    })
    .await;
    wait::until("no override listed", TIMEOUT, || async { Ok((listed(&crps.get(ns).await?) == (0, 0)).then_some(())) })
        .await
        .unwrap();
    let works = crate::support::works(&hub, ns).await;
    let manifests = serde_json::to_string(&works["member-1"][0].spec.workload.manifests).unwrap();
    assert!(!manifests.contains("from-cro") && !manifests.contains("from-ro"), "{manifests}");
}

/// The placement's resource version, and whether it is Available at its generation.
async fn crps_version(
    crps: &Api<apis::placement::ClusterResourcePlacement>,
    name: &str,
) -> anyhow::Result<(String, bool)> {
    use apis::conditions::{self, placement as p};
    let c = crps.get(name).await?;
    let available = c
        .status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, p::CRP_AVAILABLE))
        .is_some_and(|x| x.status == "True" && x.observed_generation == c.metadata.generation);
    Ok((c.resource_version().unwrap_or_default(), available))
}
