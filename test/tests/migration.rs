//! KubeFleet's tutorial "Migrating Application Resources to Clusters without
//! Downtime" (the user's seed 002), end to end (`fleet::migration`) on its own
//! hub and two members, member-2 joining during the walk, with a load through
//! the traffic data plane: not one request may fail.

use fleet::{
    Fleet, FleetOptions,
    migration::{self, Line},
};

#[tokio::test]
async fn the_migration_tutorial_moves_test_app_from_member_1_to_member_2_without_a_failed_request() {
    // A hub and two members; only member-1 has joined (member-2's agent waits to be admitted).
    let fleet = Fleet::start(FleetOptions { members: 2, nodes_per_member: 1, joined: Some(1), ..Default::default() })
        .await
        .expect("the fleet");
    let hub = fleet.hub.client().await.unwrap();
    let (m1, m2) = (fleet.members[0].client().await.unwrap(), fleet.members[1].client().await.unwrap());
    let outcome = migration::run(&hub, &m1, &m2, |line| {
        if let Line::Step(s) = line {
            eprintln!("migration: {s}");
        }
    })
    .await
    .unwrap_or_else(|e| panic!("the migration failed: {e:#}"));
    eprintln!("migration: requests={} failed={} answered={:?}", outcome.requests, outcome.failed, outcome.answered);
    assert!(outcome.answered.contains_key("member-1") && outcome.answered.contains_key("member-2"), "{outcome:?}");
    assert!(outcome.requests > 100, "the load ran: {outcome:?}");
    assert_eq!(outcome.failed, 0, "no request may fail during the migration: {outcome:?}");
}
