//! Rollout controls (evictions, disruption budgets) on a hub of its own
//! whose members are simulated (test/src/simulated.rs): each test joins its
//! own members, so one test may taint or relabel them without touching
//! another's, and a stand-in reports their Works Applied and Available.

mod events;
mod eviction;
mod staged;
#[allow(dead_code)]
#[path = "../fleet/support.rs"]
mod support;

use std::time::Duration;

use apis::placement::Work;
use fleet::{
    shared::fleet_of,
    simulated::{SimulatedMembers, WorkReporter},
};
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};

/// A client for this binary's hub (a hub and its agent, no real members).
pub async fn hub() -> Client {
    fleet_of(0).hub.client().await
}

/// `count` members named `<prefix>-NNN`, heartbeating, whose Works are
/// reported Applied and Available, for as long as the result lives.
pub async fn members(client: &Client, prefix: &str, count: usize) -> (SimulatedMembers, WorkReporter) {
    let sim = SimulatedMembers::join(client.clone(), prefix, count, Duration::from_secs(2)).await.unwrap();
    let ns = format!("fleet-member-{prefix}-");
    let reporter = WorkReporter::start(client.clone(), Duration::ZERO, move |w: &Work| {
        w.namespace().is_some_and(|n| n.starts_with(&ns))
    });
    (sim, reporter)
}

/// Merges `patch` into member cluster `name`.
pub async fn patch_member(client: &Client, name: &str, patch: Value) {
    Api::<apis::cluster::MemberCluster>::all(client.clone())
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

/// Labels member cluster `name` with `key: value`.
pub async fn label_member(client: &Client, name: &str, key: &str, value: &str) {
    patch_member(client, name, json!({"metadata": {"labels": {key: value}}})).await;
}

/// Server-side applies a `placement.kubernetes-fleet.io/v1beta1` object.
pub async fn apply(client: &Client, obj: Value) {
    let kind = obj["kind"].as_str().unwrap();
    let gvk = kube::api::GroupVersionKind::gvk("placement.kubernetes-fleet.io", "v1beta1", kind);
    let resource = kube::api::ApiResource::from_gvk(&gvk);
    let api: Api<kube::api::DynamicObject> = match obj["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let name = obj["metadata"]["name"].as_str().unwrap().to_string();
    api.patch(&name, &PatchParams::apply("it").force(), &Patch::Apply(&obj)).await.unwrap();
}
