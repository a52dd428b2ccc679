//! Seed 002's move done by one ClusterResourcePlacementMigration, on a hub
//! and two members of its own (member-1 leaves the fleet at the end): the
//! tutorial's Service, ServiceExport, enveloped Deployment, profile and
//! backend as written (`test/tests/migration/`), placed on member-1; a load
//! through the data plane; then one object moves test-app to member-2 and
//! retires member-1. Two things differ from the tutorial's manual walk, as
//! the migration needs them: the placement names its cluster (PickFixed,
//! since both members have joined), and the Service's DNS label comes from
//! one override for every cluster instead of one per cluster.

use std::time::Duration;

use apis::{
    cluster::MemberCluster,
    conditions::placement as p,
    placement::{ClusterResourcePlacement, MigrationPhase, MigrationRole},
};
use fleet::{
    Fleet, FleetOptions,
    crpm::{self, condition, wait_phase},
    load::Load,
    wait,
};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Service};
use kube::Api;

const NS: &str = "test-app";

#[tokio::test]
async fn seed_002_moves_test_app_from_member_1_to_member_2_with_one_migration_and_no_failed_request() {
    let fleet =
        Fleet::start(FleetOptions { members: 2, nodes_per_member: 1, ..Default::default() }).await.expect("the fleet");
    let hub = fleet.hub.client().await.unwrap();
    let m1 = fleet.members[0].client().await.unwrap();

    // test-app on member-1, served through the profile.
    let addr = crpm::seed_002_app(&hub).await.unwrap();
    let load = Load::start(addr, Duration::from_millis(5));
    let counts = load.counts();
    wait::until("a baseline load", crpm::TIMEOUT, || async { Ok((counts.now().requests > 100).then_some(())) })
        .await
        .unwrap();

    // One object does the rest.
    crpm::apply(&hub, &crpm::seed_002_migration(&[(0, 1), (10, 2), (50, 2), (100, 1)], 1)).await.unwrap();
    let done = wait_phase(&hub, "test-app-to-member-2", MigrationPhase::Succeeded).await.unwrap();
    let outcome = load.stop().await;
    eprintln!("migration: {outcome:?}");
    eprintln!("status: {}", serde_json::to_string_pretty(&done.status).unwrap());

    assert_eq!(outcome.failed, 0, "no request may fail: {outcome:?}");
    assert!(outcome.answered.contains_key("member-1") && outcome.answered.contains_key("member-2"), "{outcome:?}");
    let status = done.status.clone().unwrap();
    let phases: Vec<MigrationPhase> = status.phases.iter().map(|r| r.phase).collect();
    use MigrationPhase::*;
    assert_eq!(phases, [Placing, Verifying, Shifting, Draining, RetiringSource, Succeeded]);
    assert_eq!((status.from_clusters.as_str(), status.to_clusters.as_str()), ("member-1", "member-2"));
    assert_eq!(status.target_weight, Some(100));
    let (ok, _, message) = condition(&done, p::MIGRATION_SUCCEEDED);
    assert_eq!(ok, "True", "{message}");
    // The per-cluster status follows the bindings after the move too.
    let target = |m: &apis::placement::ClusterResourcePlacementMigration| {
        m.status.iter().flat_map(|s| &s.clusters).find(|c| c.role == MigrationRole::Target).cloned()
    };
    // The weight override is gone: member-2's export has its own weight (none set: 1).
    let settled = crpm::wait_migration(&hub, "test-app-to-member-2", "member-2 Available at its own weight", |m| {
        target(m).is_some_and(|t| t.available && t.applied && t.weight == Some(1))
    })
    .await
    .unwrap();
    assert_eq!(target(&settled).unwrap().cluster_name, "member-2");
    let measured = status.measurements.clone().unwrap();
    assert_eq!(measured.failed_requests, 0);
    assert!(measured.requests > 100 && measured.baseline_p99_ms.is_some() && measured.p99_ms.is_some(), "{measured:?}");

    // member-1 left the fleet with test-app in place; the placement names member-2 only.
    assert!(Api::<MemberCluster>::all(hub.clone()).get_opt("member-1").await.unwrap().is_none());
    assert!(Api::<Deployment>::namespaced(m1.clone(), NS).get_opt("nginx-deployment").await.unwrap().is_some());
    assert!(Api::<Service>::namespaced(m1.clone(), NS).get_opt("nginx-service").await.unwrap().is_some());
    let crp = Api::<ClusterResourcePlacement>::all(hub.clone()).get("crp-availability").await.unwrap();
    assert_eq!(crp.spec.policy.as_ref().unwrap().cluster_names, ["member-2"]);
    crpm::wait_split(addr, &["member-2"], "member-2 serves").await.unwrap();
}
