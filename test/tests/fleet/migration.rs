//! ClusterResourcePlacementMigration on the shared fleet: moves that must
//! roll back (a target that never becomes Available, a Probe gate failing at
//! the 50 % step, abort mid-way) under a load through the data plane, and a
//! disruption budget holding the source's eviction. Each test has its own
//! namespace, placement and Service port; the migration taint concerns only
//! its own placement, so the other tests' placements are untouched.

use std::time::Duration;

use apis::{
    conditions::placement as p,
    labels,
    placement::{ClusterResourceBinding, ClusterResourcePlacement, MigrationPhase, ResourceOverride},
};
use fleet::{
    crpm::{self, apply, condition, wait_migration, wait_phase},
    load::Load,
    shared::fleet,
    wait,
};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Service};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams},
};
use serde_json::json;

/// The placement's bound clusters, sorted.
async fn bound(hub: &Client, placement: &str) -> Vec<String> {
    let lp = ListParams::default().labels(&format!("{}={placement}", labels::PLACEMENT_TRACKING));
    let mut v: Vec<String> = Api::<ClusterResourceBinding>::all(hub.clone())
        .list(&lp)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|b| b.metadata.deletion_timestamp.is_none())
        .map(|b| b.spec.target_cluster.clone())
        .collect();
    v.sort();
    v
}

async fn cluster_names(hub: &Client, placement: &str) -> Vec<String> {
    let crp = Api::<ClusterResourcePlacement>::all(hub.clone()).get(placement).await.unwrap();
    crp.spec.policy.as_ref().map(|p| p.cluster_names.clone()).unwrap_or_default()
}

/// The weight overrides a migration left (none once it is done).
async fn weight_overrides(hub: &Client, ns: &str) -> usize {
    let lp = ListParams::default().labels(labels::MIGRATION);
    Api::<ResourceOverride>::namespaced(hub.clone(), ns).list(&lp).await.unwrap().items.len()
}

fn migration(name: &str, ns: &str, to: &[&str], steps: &str, gates: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: placement.kubernetes-fleet.io/v1alpha1
kind: ClusterResourcePlacementMigration
metadata: {{name: {name}}}
spec:
  placementName: {ns}
  from: {{clusterNames: [member-1]}}
  to: {{clusterNames: {to:?}}}
  traffic:
    backendRef: {{kind: TrafficManagerBackend, name: web, namespace: {ns}}}
    steps: {steps}
  healthGates: {gates}
{extra}
"#
    )
}

#[tokio::test]
async fn a_target_that_never_becomes_available_rolls_back_by_itself_without_a_failed_request() {
    let f = fleet();
    let hub = f.hub.client().await;
    let (ns, port) = ("it-mig-unavailable", 18091);
    apply(&hub, &crpm::app(ns, port, "placementType: PickFixed\nclusterNames: [member-1]")).await.unwrap();
    // member-2 would run an image that cannot be pulled.
    apply(&hub, &crpm::bad_image(ns, "member-2")).await.unwrap();
    apply(&hub, &crpm::traffic(ns, port)).await.unwrap();
    let addr = crpm::proxy(&hub, ns, &["member-1"]).await.unwrap();
    let load = Load::start(addr, Duration::from_millis(5));

    let m = migration(
        "unavailable",
        ns,
        &["member-2"],
        "[{weight: 0, pauseSeconds: 0}, {weight: 50, pauseSeconds: 0}, {weight: 100, pauseSeconds: 0}]",
        "[{type: PlacementAvailable}]",
        "  rollback: {automatic: true, stepTimeoutSeconds: 8}",
    );
    apply(&hub, &m).await.unwrap();
    // It places member-2 (weight 0), waits for it to become Available, and gives up.
    wait_migration(&hub, "unavailable", "member-2 placed", |m| {
        m.status.as_ref().is_some_and(|s| s.clusters.iter().any(|c| c.cluster_name == "member-2" && c.applied))
    })
    .await
    .unwrap();
    let done = wait_phase(&hub, "unavailable", MigrationPhase::RolledBack).await.unwrap();
    let outcome = load.stop().await;

    let (status, reason, message) = condition(&done, p::MIGRATION_SUCCEEDED);
    assert_eq!((status.as_str(), reason.as_str()), ("False", p::REASON_MIGRATION_ROLLED_BACK), "{message}");
    // Held at the first step until the timeout: by the PlacementAvailable gate, or before it by the
    // source's weight rollout, which the unavailable target holds up on a busy machine.
    assert!(message.contains("step 1 of 3") && message.contains("for 8s"), "{message}");
    let phases: Vec<MigrationPhase> = done.status.as_ref().unwrap().phases.iter().map(|r| r.phase).collect();
    assert_eq!(
        phases,
        [MigrationPhase::Placing, MigrationPhase::Verifying, MigrationPhase::RollingBack, MigrationPhase::RolledBack]
    );
    assert_eq!(cluster_names(&hub, ns).await, ["member-1"], "member-2 is taken out of the placement again");
    wait::until("member-2 unbound", crpm::TIMEOUT, || async {
        Ok((bound(&hub, ns).await == ["member-1"]).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(weight_overrides(&hub, ns).await, 0, "the weight override is gone");
    assert_eq!(outcome.failed, 0, "{outcome:?}");
    assert!(!outcome.answered.contains_key("member-2"), "the target never took traffic: {outcome:?}");
    assert!(outcome.requests > 50, "the load ran: {outcome:?}");
    let measured = done.status.unwrap().measurements.expect("the data plane's measurements");
    assert_eq!(measured.failed_requests, 0);
    assert!(measured.requests > 0, "{measured:?}");
}

#[tokio::test]
async fn a_probe_failing_at_the_50_percent_step_rolls_back_and_so_does_abort() {
    let f = fleet();
    let (hub, m2) = (f.hub.client().await, f.members[1].client().await);
    let (ns, port) = ("it-mig-probe", 18092);
    apply(&hub, &crpm::app(ns, port, "placementType: PickFixed\nclusterNames: [member-1]")).await.unwrap();
    apply(&hub, &crpm::traffic(ns, port)).await.unwrap();
    let addr = crpm::proxy(&hub, ns, &["member-1"]).await.unwrap();
    let load = Load::start(addr, Duration::from_millis(5));

    // Lenient enough that a slow probe on a loaded machine does not fail it; a failing endpoint does.
    let probe = "[{type: Probe, probe: {url: /healthz, minSuccessRatio: \"0.5\", windowSeconds: 2}}]";
    let steps = "[{weight: 0, pauseSeconds: 0}, {weight: 50, pauseSeconds: 120}, {weight: 100, pauseSeconds: 0}]";
    apply(&hub, &migration("probed", ns, &["member-2"], steps, probe, "")).await.unwrap();
    let at_half = wait_migration(&hub, "probed", "the 50 % step served", |m| {
        m.status.as_ref().is_some_and(|s| s.target_weight == Some(50) && s.step_served.is_some())
    })
    .await
    .unwrap();
    assert_eq!(at_half.status.unwrap().current_step, Some(1));
    crpm::wait_split(addr, &["member-1", "member-2"], "traffic on both at 50 %").await.unwrap();
    // member-2's health endpoint starts failing: the probes see it.
    let services = Api::<Service>::namespaced(m2.clone(), ns);
    let health = |ok: &str| Patch::Merge(json!({"metadata": {"annotations": {fleet::loadbalancer::HEALTHY: ok}}}));
    services.patch("web", &PatchParams::default(), &health("false")).await.unwrap();
    let done = wait_phase(&hub, "probed", MigrationPhase::RolledBack).await.unwrap();
    let (_, _, message) = condition(&done, p::MIGRATION_SUCCEEDED);
    assert!(message.contains("step 2 of 3") && message.contains("probes succeeded"), "{message}");
    crpm::wait_split(addr, &["member-1"], "traffic back on member-1").await.unwrap();
    assert_eq!(cluster_names(&hub, ns).await, ["member-1"]);
    // member-2's copy (with the annotation) goes with the rollback; the next one is made afresh.
    wait::until("member-2's Service gone", crpm::TIMEOUT, || async {
        Ok(services.get_opt("web").await?.is_none().then_some(()))
    })
    .await
    .unwrap();

    // A second migration of the same placement, aborted at 10 %.
    let steps = "[{weight: 10, pauseSeconds: 300}, {weight: 100, pauseSeconds: 0}]";
    apply(&hub, &migration("aborted", ns, &["member-2"], steps, "[]", "")).await.unwrap();
    wait_migration(&hub, "aborted", "the 10 % step served", |m| {
        m.status.as_ref().is_some_and(|s| s.target_weight == Some(10) && s.step_served.is_some())
    })
    .await
    .unwrap();
    let api = Api::<apis::placement::ClusterResourcePlacementMigration>::all(hub.clone());
    api.patch("aborted", &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}}))).await.unwrap();
    let done = wait_phase(&hub, "aborted", MigrationPhase::RolledBack).await.unwrap();
    let (_, _, message) = condition(&done, p::MIGRATION_SUCCEEDED);
    assert!(message.contains("abort"), "{message}");
    crpm::wait_split(addr, &["member-1"], "traffic back on member-1 after the abort").await.unwrap();
    wait::until("member-2 unbound", crpm::TIMEOUT, || async {
        Ok((bound(&hub, ns).await == ["member-1"]).then_some(()))
    })
    .await
    .unwrap();
    let outcome = load.stop().await;
    assert_eq!(outcome.failed, 0, "{outcome:?}");
    assert!(outcome.answered.contains_key("member-2"), "member-2 served during the steps: {outcome:?}");
    for name in ["probed", "aborted"] {
        api.delete(name, &DeleteParams::default()).await.unwrap();
    }
    wait::until("both migrations gone (their finalizers released)", crpm::TIMEOUT, || async {
        Ok((api.get_opt("probed").await?.is_none() && api.get_opt("aborted").await?.is_none()).then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_disruption_budget_holds_the_source_eviction_until_a_second_target_is_available() {
    let f = fleet();
    let (hub, m1) = (f.hub.client().await, f.members[0].client().await);
    let ns = "it-mig-budget";
    // No traffic: the application is placed on all three members (PickAll).
    let app = crpm::app(ns, 18093, "placementType: PickAll");
    let app: String = app.split("---").filter(|d| !d.contains("kind: Service")).collect::<Vec<_>>().join("---");
    apply(&hub, &app).await.unwrap();
    apply(&hub, &crpm::bad_image(ns, "member-3")).await.unwrap();
    let budget = format!(
        r#"
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacementDisruptionBudget
metadata: {{name: {ns}}}
spec: {{minAvailable: 2}}
"#
    );
    apply(&hub, &budget).await.unwrap();
    wait::until("placed on all three", crpm::TIMEOUT, || async {
        Ok((bound(&hub, ns).await == ["member-1", "member-2", "member-3"]).then_some(()))
    })
    .await
    .unwrap();
    let m = format!(
        r#"
apiVersion: placement.kubernetes-fleet.io/v1alpha1
kind: ClusterResourcePlacementMigration
metadata: {{name: budgeted}}
spec:
  placementName: {ns}
  from: {{clusterNames: [member-1]}}
  to: {{clusterNames: [member-2, member-3]}}
"#
    );
    apply(&hub, &m).await.unwrap();
    let held = wait_migration(&hub, "budgeted", "the eviction held by the budget", |m| {
        crpm::phase(m) == Some(MigrationPhase::RetiringSource)
            && condition(m, p::MIGRATION_PROGRESSING).2.contains("evicting member-1: Eviction is blocked")
    })
    .await
    .unwrap();
    let (_, _, message) = condition(&held, p::MIGRATION_PROGRESSING);
    assert!(message.contains("ClusterResourcePlacementDisruptionBudget"), "{message}");
    let deployments = Api::<Deployment>::namespaced(m1.clone(), ns);
    assert!(deployments.get_opt("web").await.unwrap().is_some(), "member-1 still runs the application");

    // member-3 gets a good image: it becomes Available, the budget allows the eviction.
    Api::<ResourceOverride>::namespaced(hub.clone(), ns).delete("bad-image", &DeleteParams::default()).await.unwrap();
    let done = wait_phase(&hub, "budgeted", MigrationPhase::Succeeded).await.unwrap();
    assert_eq!(bound(&hub, ns).await, ["member-2", "member-3"]);
    wait::until("the application gone from member-1", crpm::TIMEOUT, || async {
        Ok(deployments.get_opt("web").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
    let mc = Api::<apis::cluster::MemberCluster>::all(hub.clone()).get("member-1").await.unwrap();
    assert!(
        mc.spec.taints.iter().any(|t| t.key == labels::MIGRATION_TAINT && t.value.as_deref() == Some(ns)),
        "member-1 stays closed to this placement: {:?}",
        mc.spec.taints
    );
    let clusters = &done.status.as_ref().unwrap().clusters;
    assert_eq!(clusters.iter().filter(|c| c.available).count(), 2, "{clusters:?}");
    assert_eq!(done.name_any(), "budgeted");
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_naming_it_and_nothing_moves() {
    let f = fleet();
    let hub = f.hub.client().await;
    let ns = "it-mig-bad";
    let app = crpm::app(ns, 18094, "placementType: PickFixed\nclusterNames: [member-1]");
    let app: String = app.split("---").filter(|d| !d.contains("kind: Service")).collect::<Vec<_>>().join("---");
    apply(&hub, &app).await.unwrap();
    wait::until("placed on member-1", crpm::TIMEOUT, || async {
        Ok((bound(&hub, ns).await == ["member-1"]).then_some(()))
    })
    .await
    .unwrap();
    let m = |name: &str, placement: &str, to: &str, extra: &str| {
        format!(
            "apiVersion: placement.kubernetes-fleet.io/v1alpha1\nkind: ClusterResourcePlacementMigration\nmetadata: {{name: {name}}}\nspec:\n  placementName: {placement}\n  from: {{clusterNames: [member-1]}}\n  to: {{clusterNames: [{to}]}}\n{extra}"
        )
    };
    let refused = |name: &'static str| {
        let hub = hub.clone();
        async move {
            let m = wait_migration(&hub, name, &format!("{name} refused"), |m| {
                condition(m, p::MIGRATION_ACCEPTED).0 == "False"
            })
            .await
            .unwrap();
            assert_eq!(crpm::phase(&m), None, "{name} never started");
            let (_, reason, message) = condition(&m, p::MIGRATION_ACCEPTED);
            (reason, message)
        }
    };
    apply(&hub, &m("it-bad-placement", "it-mig-none", "member-2", "")).await.unwrap();
    let (reason, message) = refused("it-bad-placement").await;
    assert_eq!(reason, p::REASON_MIGRATION_PLACEMENT_NOT_FOUND, "{message}");
    assert!(message.starts_with("placementName:"), "{message}");

    apply(&hub, &m("it-bad-overlap", ns, "member-1", "")).await.unwrap();
    let (reason, message) = refused("it-bad-overlap").await;
    assert_eq!(
        (reason.as_str(), message.as_str()),
        (p::REASON_MIGRATION_INVALID_CLUSTERS, "from and to overlap: cluster member-1 is in both")
    );

    apply(&hub, &m("it-bad-unknown", ns, "member-9", "")).await.unwrap();
    let (reason, message) = refused("it-bad-unknown").await;
    assert_eq!(reason, p::REASON_MIGRATION_INVALID_CLUSTERS);
    assert!(message.contains("member-9"), "{message}");

    let backend = format!("  traffic: {{backendRef: {{kind: TrafficManagerBackend, name: nope, namespace: {ns}}}}}");
    apply(&hub, &m("it-bad-backend", ns, "member-2", &backend)).await.unwrap();
    let (reason, message) = refused("it-bad-backend").await;
    assert_eq!(reason, p::REASON_MIGRATION_BACKEND_NOT_FOUND);
    assert!(message.starts_with("traffic.backendRef:") && message.contains("nope"), "{message}");

    // One migration holds at its first step (an approval nobody gives); a second of the same placement is refused.
    apply(&hub, &m("it-bad-first", ns, "member-2", "  healthGates: [{type: Approval}]")).await.unwrap();
    wait_migration(&hub, "it-bad-first", "the first migration under way", |m| crpm::phase(m).is_some()).await.unwrap();
    apply(&hub, &m("it-bad-second", ns, "member-3", "")).await.unwrap();
    let (reason, message) = refused("it-bad-second").await;
    assert_eq!(reason, p::REASON_MIGRATION_ALREADY_RUNNING);
    assert!(message.contains("it-bad-first"), "{message}");

    // The namespaced kind is not carried out yet, and says so.
    let rpm = format!(
        "apiVersion: placement.kubernetes-fleet.io/v1alpha1\nkind: ResourcePlacementMigration\nmetadata: {{name: it-bad-rpm, namespace: {ns}}}\nspec:\n  placementName: web\n  from: {{clusterNames: [member-1]}}\n  to: {{clusterNames: [member-2]}}\n"
    );
    apply(&hub, &rpm).await.unwrap();
    let rpms = Api::<apis::placement::ResourcePlacementMigration>::namespaced(hub.clone(), ns);
    let reason = wait::until("the rpm refused", crpm::TIMEOUT, || async {
        let r = rpms.get("it-bad-rpm").await?;
        Ok(r.status
            .and_then(|s| apis::conditions::find(&s.conditions, p::MIGRATION_ACCEPTED).map(|c| c.reason.clone())))
    })
    .await
    .unwrap();
    assert_eq!(reason, p::REASON_MIGRATION_KIND_NOT_SUPPORTED);

    // Nothing moved for the refused ones: the placement is where it was and no weights were written.
    // (A refused migration is looked at again as things change: the second would start once the
    // first is done, so it goes first.)
    let api = Api::<apis::placement::ClusterResourcePlacementMigration>::all(hub.clone());
    for name in ["it-bad-placement", "it-bad-overlap", "it-bad-unknown", "it-bad-backend", "it-bad-second"] {
        let m = api.get(name).await.unwrap();
        assert_eq!(crpm::phase(&m), None, "{name} never started");
    }
    api.delete("it-bad-second", &Default::default()).await.unwrap();
    wait::until("it-bad-second gone", crpm::TIMEOUT, || async {
        Ok(api.get_opt("it-bad-second").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
    api.patch("it-bad-first", &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}}))).await.unwrap();
    wait_phase(&hub, "it-bad-first", MigrationPhase::RolledBack).await.unwrap();
    wait::until("only member-1 again", crpm::TIMEOUT, || async {
        Ok((bound(&hub, ns).await == ["member-1"]).then_some(()))
    })
    .await
    .unwrap();
    assert_eq!(cluster_names(&hub, ns).await, ["member-1"]);
    assert_eq!(weight_overrides(&hub, ns).await, 0);

    // A weight override the API server refuses (the user's own override already selects the
    // ServiceExport): the migration says so, and abort takes it back with nothing moved.
    let export = format!(
        "apiVersion: networking.fleet.azure.com/v1alpha1\nkind: ServiceExport\nmetadata: {{name: web, namespace: {ns}}}\n---\napiVersion: placement.kubernetes-fleet.io/v1alpha1\nkind: ResourceOverride\nmetadata: {{name: user-export, namespace: {ns}}}\nspec:\n  resourceSelectors: [{{group: networking.fleet.azure.com, version: v1alpha1, kind: ServiceExport, name: web}}]\n  policy:\n    overrideRules: [{{clusterSelector: {{clusterSelectorTerms: []}}, jsonPatchOverrides: [{{op: add, path: /metadata/labels, value: {{team: web}}}}]}}]\n---\n{}",
        crpm::traffic(ns, 18094)
    );
    apply(&hub, &export).await.unwrap();
    let traffic = format!("  traffic: {{backendRef: {{kind: TrafficManagerBackend, name: web, namespace: {ns}}}}}");
    apply(&hub, &m("it-bad-override", ns, "member-2", &traffic)).await.unwrap();
    let held = wait_migration(&hub, "it-bad-override", "the weight override refused", |m| {
        condition(m, p::MIGRATION_PROGRESSING).1 == p::REASON_MIGRATION_ACTION_REFUSED
    })
    .await
    .unwrap();
    let (_, _, message) = condition(&held, p::MIGRATION_PROGRESSING);
    assert!(message.contains("already selected by ResourceOverride user-export"), "{message}");
    assert_eq!(crpm::phase(&held), None, "it never started: its first write was refused");
    api.patch("it-bad-override", &PatchParams::default(), &Patch::Merge(json!({"spec": {"abort": true}})))
        .await
        .unwrap();
    wait_migration(&hub, "it-bad-override", "aborted before it started", |m| {
        condition(m, p::MIGRATION_PROGRESSING).1 == p::REASON_MIGRATION_ABORTED
    })
    .await
    .unwrap();
    assert_eq!(bound(&hub, ns).await, ["member-1"]);
}
