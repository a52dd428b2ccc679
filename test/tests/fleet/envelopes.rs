//! Envelopes on real control planes: a ClusterResourceEnvelope selected by
//! name and a ResourceEnvelope in a selected namespace carry their objects to
//! the members (never run on the hub), follow edits, report failures with
//! the envelope named, and a ResourceEnvelope holding a cluster-scoped object
//! stops the placement before anything reaches a member.

use std::collections::BTreeSet;

use apis::{
    conditions::{self, placement as p},
    placement::{EnvelopeType, ResourcePlacement},
};
use fleet::{apply::Applier, shared::fleet, wait};
use k8s_openapi::api::{
    core::v1::{ConfigMap, Namespace, ResourceQuota},
    rbac::v1::ClusterRole,
};
use kube::{
    Api, Client,
    api::{DynamicObject, PostParams},
};
use serde_json::{Value, json};

use crate::support::{TIMEOUT, create_crp, create_namespace, crp, get_crp, wait_condition, wait_object};

async fn hub() -> Client {
    fleet().hub.client().await
}

async fn members() -> [Client; 2] {
    let f = fleet();
    [f.members[0].client().await, f.members[1].client().await]
}

async fn apply(client: &Client, obj: Value) {
    let obj: DynamicObject = serde_json::from_value(obj).unwrap();
    Applier::new(client.clone()).apply(&obj).await.unwrap();
}

fn resource_envelope(ns: &str, name: &str, data: Value) -> Value {
    json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourceEnvelope",
           "metadata": {"name": name, "namespace": ns}, "data": data})
}

fn quota(ns: &str, pods: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "quota", "namespace": ns},
           "spec": {"hard": {"pods": pods}}})
}

/// Waits until `check` holds for `name` on both members (`api` makes its Api from a member's client).
async fn wait_members<K>(api: impl Fn(Client) -> Api<K>, name: &str, what: &str, check: impl Fn(Option<&K>) -> bool)
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    for (i, m) in members().await.iter().enumerate() {
        wait_object(&api(m.clone()), name, &format!("{what} on member-{}", i + 1), &check).await;
    }
}

#[tokio::test]
async fn envelopes_carry_their_objects_to_every_member_and_follow_edits() {
    let hub = hub().await;
    let ns = "it-env1";
    create_namespace(&hub, ns).await;
    apply(&hub, resource_envelope(ns, "env-ns", json!({"quota.yaml": quota(ns, "10")}))).await;
    apply(
        &hub,
        json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourceEnvelope",
               "metadata": {"name": "it-cenv1"},
               "data": {"role.yaml": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                      "metadata": {"name": "it-cenv1-reader"},
                                      "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}}}),
    )
    .await;
    let selectors = json!([
        {"group": "", "version": "v1", "kind": "Namespace", "name": ns},
        {"group": "placement.kubernetes-fleet.io", "version": "v1beta1", "kind": "ClusterResourceEnvelope", "name": "it-cenv1"},
    ]);
    create_crp(
        &hub,
        &crp(
            ns,
            json!({"resourceSelectors": selectors, "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "member-2"]}}),
        ),
    )
    .await;

    // The envelopes are selected (not their contents), and their objects reach every member.
    let c = wait_condition(&hub, ns, p::CRP_AVAILABLE, "True").await;
    let selected: BTreeSet<(String, String)> =
        c.status.unwrap().selected_resources.into_iter().map(|r| (r.kind, r.name)).collect();
    let want: BTreeSet<(String, String)> =
        [("Namespace", ns), ("ResourceEnvelope", "env-ns"), ("ClusterResourceEnvelope", "it-cenv1")]
            .into_iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect();
    assert_eq!(selected, want);
    wait_members(|c| Api::<ResourceQuota>::namespaced(c, ns), "quota", "the enveloped ResourceQuota", |q| q.is_some())
        .await;
    wait_members(Api::<ClusterRole>::all, "it-cenv1-reader", "the enveloped ClusterRole", |r| r.is_some()).await;
    // The hub never runs them.
    assert!(Api::<ResourceQuota>::namespaced(hub.clone(), ns).get_opt("quota").await.unwrap().is_none());
    assert!(Api::<ClusterRole>::all(hub.clone()).get_opt("it-cenv1-reader").await.unwrap().is_none());

    // An edit to an envelope rolls out: a changed object and a new one.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra", "namespace": ns}, "data": {"k": "v"}});
    apply(&hub, resource_envelope(ns, "env-ns", json!({"quota.yaml": quota(ns, "20"), "extra.yaml": cm}))).await;
    let pods = |q: Option<&ResourceQuota>| {
        q.and_then(|q| q.spec.as_ref()?.hard.as_ref()?.get("pods").map(|v| v.0.clone())).unwrap_or_default()
    };
    wait_members(|c| Api::<ResourceQuota>::namespaced(c, ns), "quota", "the edited ResourceQuota", |q| pods(q) == "20")
        .await;
    wait_members(|c| Api::<ConfigMap>::namespaced(c, ns), "extra", "the added ConfigMap", |c| c.is_some()).await;

    // An object taken out of the envelope leaves the members (server-side
    // apply drops the key this manager no longer sets).
    apply(&hub, resource_envelope(ns, "env-ns", json!({"quota.yaml": quota(ns, "20")}))).await;
    wait_members(
        |c| Api::<ConfigMap>::namespaced(c, ns),
        "extra",
        "the ConfigMap removed from the envelope gone",
        |c| c.is_none(),
    )
    .await;
    wait_members(|c| Api::<ResourceQuota>::namespaced(c, ns), "quota", "the ResourceQuota kept", |q| pods(q) == "20")
        .await;

    // An enveloped object a member refuses is reported with its envelope.
    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad", "namespace": ns},
                     "data": {"not a valid key!": "x"}});
    apply(&hub, resource_envelope(ns, "env-bad", json!({"bad.yaml": bad}))).await;
    let failed = wait::until("the refused enveloped ConfigMap in failedPlacements", TIMEOUT, || async {
        let c = get_crp(&hub, ns).await;
        Ok(c.status
            .into_iter()
            .flat_map(|s| s.placement_statuses)
            .flat_map(|s| s.reports.failed_placements)
            .find(|f| f.resource.name == "bad"))
    })
    .await
    .unwrap();
    let envelope = failed.resource.envelope.expect("the envelope is named");
    assert_eq!(
        (envelope.name.as_str(), Some(envelope.namespace.as_str()), envelope.type_),
        ("env-bad", Some(ns), EnvelopeType::ResourceEnvelope)
    );
}

#[tokio::test]
async fn a_resource_envelope_holding_a_cluster_scoped_object_stops_the_placement() {
    let hub = hub().await;
    let ns = "it-env2";
    create_namespace(&hub, ns).await;
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "it-env2-role"}});
    apply(&hub, resource_envelope(ns, "env-cluster", json!({"role.yaml": role}))).await;
    create_crp(
        &hub,
        &crp(
            ns,
            json!({"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": ns}],
                   "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}),
        ),
    )
    .await;
    let c = wait_condition(&hub, ns, p::CRP_WORK_SYNCHRONIZED, "False").await;
    let status = c.status.unwrap();
    let cluster = status.placement_statuses.iter().find(|s| s.cluster_name == "member-1").unwrap();
    let synced = conditions::find(&cluster.conditions, p::WORK_SYNCHRONIZED).unwrap();
    assert_eq!(synced.reason, p::REASON_SYNC_WORK_FAILED);
    assert!(synced.message.contains("env-cluster") && synced.message.contains("cluster-scoped"), "{}", synced.message);
    assert!(status.selected_resources.iter().any(|r| r.kind == "ResourceEnvelope" && r.name == "env-cluster"));
    // Nothing of that placement reaches the member, not even the namespace.
    let [m1, _] = members().await;
    assert!(crate::support::works(&hub, ns).await.is_empty(), "no Work is written");
    assert!(Api::<Namespace>::all(m1.clone()).get_opt(ns).await.unwrap().is_none());
    assert!(Api::<ClusterRole>::all(m1).get_opt("it-env2-role").await.unwrap().is_none());
}

#[tokio::test]
async fn a_resource_placement_places_a_resource_envelope_of_its_namespace() {
    let hub = hub().await;
    let ns = "it-env3";
    create_namespace(&hub, ns).await;
    let [m1, _] = members().await;
    create_namespace(&m1, ns).await;
    apply(&hub, resource_envelope(ns, "env-rp", json!({"quota.yaml": quota(ns, "5")}))).await;
    let rp: ResourcePlacement = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement",
        "metadata": {"name": "it-env3", "namespace": ns},
        "spec": {"resourceSelectors": [{"group": "placement.kubernetes-fleet.io", "version": "v1beta1",
                                        "kind": "ResourceEnvelope", "name": "env-rp"}],
                 "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}}))
    .unwrap();
    Api::<ResourcePlacement>::namespaced(hub.clone(), ns).create(&PostParams::default(), &rp).await.unwrap();
    let quotas: Api<ResourceQuota> = Api::namespaced(m1, ns);
    wait::until("the RP's enveloped ResourceQuota on member-1", TIMEOUT, || async {
        Ok(quotas.get_opt("quota").await?)
    })
    .await
    .unwrap();
    let rp = Api::<ResourcePlacement>::namespaced(hub.clone(), ns).get("it-env3").await.unwrap();
    let selected = rp.status.unwrap().selected_resources;
    assert!(selected.iter().any(|r| r.kind == "ResourceEnvelope" && r.name == "env-rp"), "{selected:?}");
    assert!(!selected.iter().any(|r| r.kind == "ResourceQuota"), "{selected:?}");
}
