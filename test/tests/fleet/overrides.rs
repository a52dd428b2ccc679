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
use serde_json::json;

use crate::support::{TIMEOUT, create_namespace};

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
