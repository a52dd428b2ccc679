//! A placement's rollout, told as events (`kubectl describe crp`).

use std::collections::BTreeSet;

use apis::conditions::placement as p;
use fleet::wait;
use k8s_openapi::api::events::v1::Event;
use kube::{Api, api::ListParams};
use serde_json::json;

use crate::{
    hub, label_member, members,
    support::{TIMEOUT, config_map, create_crp, create_namespace, crp, namespace_selector, wait_condition},
};

#[tokio::test]
async fn a_placement_tells_its_rollout_in_kubefleets_events() {
    let client = hub().await;
    let (sim, _reporter) = members(&client, "evt", 1).await;
    label_member(&client, &sim.names[0], "it-events", "yes").await;
    create_namespace(&client, "it-events").await;
    config_map(&client, "it-events", "app", json!({"k": "v"})).await;
    let policy = json!({"placementType": "PickAll", "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "clusterSelectorTerms": [{"labelSelector": {"matchLabels": {"it-events": "yes"}}}]}}}});
    create_crp(
        &client,
        &crp("it-events", json!({"resourceSelectors": namespace_selector("it-events"), "policy": policy})),
    )
    .await;
    wait_condition(&client, "it-events", p::CRP_AVAILABLE, "True").await;

    let want: BTreeSet<&str> = [
        "PlacementRolloutStarted",
        "PlacementOverriddenSucceeded",
        "PlacementWorkSynchronized",
        "PlacementApplied",
        "PlacementAvailable",
        "PlacementRolloutCompleted",
    ]
    .into();
    let events: Api<Event> = Api::all(client.clone());
    let seen = wait::until("the rollout's events", TIMEOUT, || async {
        let lp = ListParams::default().fields("regarding.name=it-events,regarding.kind=ClusterResourcePlacement");
        let got: BTreeSet<String> = events.list(&lp).await?.items.into_iter().filter_map(|e| e.reason).collect();
        Ok(want.iter().all(|r| got.contains(*r)).then_some(got))
    })
    .await
    .unwrap();
    let completed = events
        .list(&ListParams::default().fields("regarding.name=it-events,reason=PlacementRolloutCompleted"))
        .await
        .unwrap()
        .items;
    assert_eq!(completed.len(), 1, "{seen:?}");
    assert_eq!(
        completed[0].note.as_deref(),
        Some("Placement has finished the rollout process and reached the desired status")
    );
    assert_eq!(completed[0].reporting_controller.as_deref(), Some("placement-controller"));
}
