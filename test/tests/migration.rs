//! KubeFleet's tutorial "Migrating Application Resources to Clusters without
//! Downtime" (the user's seed 002), end to end on a hub and two members,
//! with its manifests as written (`tests/migration/`). Where the tutorial's
//! output depends on Azure (public IPs, DNS labels, `*.trafficmanager.net`),
//! the test asserts Flotilla's equivalent: which clusters receive traffic
//! through the data plane. A load runs through the profile's proxy from the
//! moment the first backend is accepted; not one request may fail.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use apis::{
    cluster::MemberCluster,
    conditions::{self, networking as n, placement as p},
    networking::{ServiceExport, TrafficManagerBackend, TrafficManagerProfile},
    placement::ClusterResourcePlacement,
};
use fleet::{Fleet, FleetOptions, agents, apply::Applier, probe, wait};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Namespace, Service},
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

const NS: &str = "test-app";
const TIMEOUT: Duration = Duration::from_secs(90);

fn manifest(name: &str) -> String {
    std::fs::read_to_string(fleet::assets::repo_root().join("test/tests/migration").join(name)).unwrap()
}

async fn apply(hub: &Client, name: &str) {
    Applier::new(hub.clone()).apply_yaml(&manifest(name)).await.unwrap_or_else(|e| panic!("{name}: {e:#}"));
}

/// The requests' answers (member names), failures under "".
async fn send(addr: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let key = match probe::get(addr, "/").await {
            Ok((200, body)) => body,
            _ => String::new(),
        };
        *out.entry(key).or_default() += 1;
    }
    out
}

async fn wait_crp(
    hub: &Client,
    what: &str,
    check: impl Fn(&ClusterResourcePlacement) -> bool,
) -> ClusterResourcePlacement {
    let api = Api::<ClusterResourcePlacement>::all(hub.clone());
    wait::until(what, TIMEOUT, || async { Ok(Some(api.get("crp-availability").await?).filter(|c| check(c))) })
        .await
        .unwrap()
}

fn crp_true(c: &ClusterResourcePlacement, type_: &str) -> bool {
    c.status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, type_))
        .is_some_and(|x| x.status == "True" && x.observed_generation == c.metadata.generation)
}

fn clusters(c: &ClusterResourcePlacement) -> Vec<String> {
    let mut v: Vec<String> =
        c.status.iter().flat_map(|s| &s.placement_statuses).map(|s| s.cluster_name.clone()).collect();
    v.sort();
    v
}

/// The backend's Accepted (status, reason) and its endpoints' clusters, once `check` holds.
async fn wait_backend(
    hub: &Client,
    name: &str,
    what: &str,
    check: impl Fn(&str, &[String]) -> bool,
) -> (String, Vec<String>) {
    let api = Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS);
    wait::until(what, TIMEOUT, || async {
        let b = api.get(name).await?;
        let st = b.status.unwrap_or_default();
        let accepted = conditions::find(&st.conditions, n::TRAFFIC_MANAGER_BACKEND_ACCEPTED)
            .filter(|c| c.observed_generation == b.metadata.generation)
            .map(|c| c.status.clone())
            .unwrap_or_default();
        let mut clusters: Vec<String> =
            st.endpoints.iter().filter_map(|e| e.from.as_ref().map(|f| f.cluster.clone())).collect();
        clusters.sort();
        Ok(check(&accepted, &clusters).then_some((accepted, clusters)))
    })
    .await
    .unwrap()
}

async fn exists<K>(c: &Client, name: &str) -> bool
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(c.clone(), NS).get_opt(name).await.unwrap().is_some()
}

async fn wait_gone<K>(c: &Client, name: &str, what: &str)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api = Api::<K>::namespaced(c.clone(), NS);
    wait::until(what, TIMEOUT, || async { Ok(api.get_opt(name).await?.is_none().then_some(())) }).await.unwrap();
}

/// Waits until traffic through `addr` reaches exactly `members` (in 40 requests).
async fn wait_traffic(addr: SocketAddr, members: &[&str], what: &str) {
    wait::until(what, TIMEOUT, || async {
        let got = send(addr, 40).await;
        let seen: Vec<&str> = got.keys().map(String::as_str).collect();
        Ok((seen == members).then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_migration_tutorial_moves_test_app_from_member_1_to_member_2_without_a_failed_request() {
    // A hub and two members; only member-1 has joined (member-2's agent waits to be admitted).
    let fleet = Fleet::start(FleetOptions { members: 2, nodes_per_member: 1, joined: Some(1), ..Default::default() })
        .await
        .expect("the fleet");
    let hub = fleet.hub.client().await.unwrap();
    let (m1, m2) = (fleet.members[0].client().await.unwrap(), fleet.members[1].client().await.unwrap());

    // The application on the hub, placed on member-1.
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}})).unwrap();
    Api::<Namespace>::all(hub.clone()).create(&PostParams::default(), &ns).await.unwrap();
    for f in ["nginx-service.yaml", "ro-nginx-service.yaml", "envelop-object.yaml", "crp-availability.yaml"] {
        apply(&hub, f).await;
    }
    let c = wait_crp(&hub, "crp-availability Available on member-1", |c| crp_true(c, p::CRP_AVAILABLE)).await;
    assert_eq!(clusters(&c), ["member-1"]);
    let svc = Api::<Service>::namespaced(m1.clone(), NS).get("nginx-service").await.unwrap();
    assert_eq!(
        svc.annotations().get("service.beta.kubernetes.io/azure-dns-label-name").map(String::as_str),
        Some("fleet-test-member-1")
    );
    assert!(exists::<Deployment>(&m1, "nginx-deployment").await, "the enveloped Deployment is on member-1");

    // The profile and the backend: all traffic to member-1.
    apply(&hub, "nginx-profile.yaml").await;
    apply(&hub, "nginx-backend.yaml").await;
    let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), NS);
    let addr: SocketAddr = wait::until("nginx-profile programmed", TIMEOUT, || async {
        let st = profiles.get("nginx-profile").await?.status.unwrap_or_default();
        let programmed = conditions::is_true(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED);
        Ok(st.proxy_address.filter(|_| programmed).and_then(|a| a.parse().ok()))
    })
    .await
    .unwrap();
    let st = profiles.get("nginx-profile").await.unwrap().status.unwrap();
    assert_eq!(st.dns_name.as_deref(), Some("test-app-nginx-profile.trafficmanager.flotilla.local"));
    wait_backend(&hub, "nginx-backend", "nginx-backend accepted on member-1", |a, c| a == "True" && c == ["member-1"])
        .await;
    wait_traffic(addr, &["member-1"], "traffic on member-1").await;

    // From here on a steady load; every answer counted.
    let (stop, answered, failed) =
        (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(BTreeMap::new())), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, answered, failed) = (stop.clone(), answered.clone(), failed.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match probe::get(addr, "/").await {
                    Ok((200, body)) => *answered.lock().unwrap().entry(body).or_insert(0usize) += 1,
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // Member-2 joins, labelled cluster-name: member-2: the CRP places everything there too.
    agents::create_member_cluster(&hub, "member-2", 60).await.unwrap();
    let mc = Api::<MemberCluster>::all(hub.clone()).get("member-2").await.unwrap();
    assert_eq!(mc.labels().get("cluster-name").map(String::as_str), Some("member-2"));
    let c = wait_crp(&hub, "crp-availability Available on both", |c| {
        crp_true(c, p::CRP_AVAILABLE) && clusters(c).len() == 2
    })
    .await;
    assert_eq!(clusters(&c), ["member-1", "member-2"]);
    let selected: Vec<String> =
        c.status.unwrap().selected_resources.iter().map(|r| format!("{}/{}", r.kind, r.name)).collect();
    for r in
        ["Namespace/test-app", "ServiceExport/nginx-service", "Service/nginx-service", "ConfigMap/envelope-configmap"]
    {
        assert!(selected.contains(&r.to_string()), "{r} in {selected:?}");
    }
    // member-2's nginx-service has no DNS label: the backend is Invalid, traffic stays on member-1.
    let (accepted, eps) = wait_backend(&hub, "nginx-backend", "nginx-backend invalid", |a, _| a == "False").await;
    assert_eq!((accepted.as_str(), eps), ("False", vec!["member-1".to_string()]));
    wait_traffic(addr, &["member-1"], "traffic still on member-1").await;

    // Stop exposing nginx-service on member-2: its ServiceExport and Service leave.
    apply(&hub, "ro-nginx-service-export.yaml").await;
    apply(&hub, "ro-nginx-service-delete.yaml").await;
    wait_gone::<ServiceExport>(&m2, "nginx-service", "nginx-service's ServiceExport off member-2").await;
    wait_gone::<Service>(&m2, "nginx-service", "nginx-service off member-2").await;
    wait_backend(&hub, "nginx-backend", "nginx-backend accepted again", |a, c| a == "True" && c == ["member-1"]).await;
    assert!(exists::<Deployment>(&m2, "nginx-deployment").await, "the Deployment runs on member-2");

    // nginx-service-2 on member-2 only, with its DNS label, and its backend: traffic on both.
    apply(&hub, "ro-nginx-service-export-2.yaml").await;
    apply(&hub, "ro-nginx-service-2.yaml").await;
    apply(&hub, "nginx-service-2.yaml").await;
    let api2 = Api::<Service>::namespaced(m2.clone(), NS);
    let s2 =
        wait::until("nginx-service-2 on member-2", TIMEOUT, || async { Ok(api2.get_opt("nginx-service-2").await?) })
            .await
            .unwrap();
    assert_eq!(
        s2.annotations().get("service.beta.kubernetes.io/azure-dns-label-name").map(String::as_str),
        Some("fleet-test-member-2")
    );
    assert!(!exists::<Service>(&m1, "nginx-service-2").await, "not on member-1");
    apply(&hub, "nginx-backend-2.yaml").await;
    wait_backend(&hub, "nginx-backend-2", "nginx-backend-2 accepted on member-2", |a, c| {
        a == "True" && c == ["member-2"]
    })
    .await;
    wait_traffic(addr, &["member-1", "member-2"], "traffic on both members").await;

    // Shift the weights, then stop serving from member-1.
    let tmb = Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS);
    tmb.patch("nginx-backend", &PatchParams::default(), &Patch::Merge(json!({"spec": {"weight": 0}}))).await.unwrap();
    wait_traffic(addr, &["member-2"], "traffic on member-2 only").await;
    tmb.delete("nginx-backend", &DeleteParams::default()).await.unwrap();
    wait_gone::<TrafficManagerBackend>(&hub, "nginx-backend", "nginx-backend deleted").await;
    wait_traffic(addr, &["member-2"], "still member-2 only").await;

    // member-1 leaves: what was placed stays there; the fleet networking objects are removed.
    Api::<MemberCluster>::all(hub.clone()).delete("member-1", &DeleteParams::default()).await.unwrap();
    let mcs = Api::<MemberCluster>::all(hub.clone());
    wait::until("member-1 gone", TIMEOUT, || async { Ok(mcs.get_opt("member-1").await?.is_none().then_some(())) })
        .await
        .unwrap();
    wait_gone::<ServiceExport>(&m1, "nginx-service", "the ServiceExport removed from member-1").await;
    assert!(exists::<Deployment>(&m1, "nginx-deployment").await, "member-1 keeps the Deployment");
    assert!(exists::<Service>(&m1, "nginx-service").await, "member-1 keeps the Service");

    // Clean up what member-2 does not use.
    for (kind, name) in [("ResourceOverride", "ro-nginx-service-export"), ("ResourceOverride", "ro-nginx-service")] {
        let api: Api<apis::placement::ResourceOverride> = Api::namespaced(hub.clone(), NS);
        api.delete(name, &DeleteParams::default()).await.unwrap_or_else(|e| panic!("{kind} {name}: {e}"));
    }
    Api::<ServiceExport>::namespaced(hub.clone(), NS).delete("nginx-service", &DeleteParams::default()).await.unwrap();
    Api::<Service>::namespaced(hub.clone(), NS).delete("nginx-service", &DeleteParams::default()).await.unwrap();
    wait_crp(&hub, "the placement settled after cleanup", |c| {
        crp_true(c, p::CRP_AVAILABLE) && clusters(c) == ["member-2"]
    })
    .await;
    wait_traffic(addr, &["member-2"], "member-2 serves after cleanup").await;

    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let answered = answered.lock().unwrap().clone();
    let total: usize = answered.values().sum();
    let failed = failed.load(Ordering::Relaxed);
    eprintln!("migration: requests={total} failed={failed} answered={answered:?}");
    assert!(answered.contains_key("member-1") && answered.contains_key("member-2"), "{answered:?}");
    assert_eq!(failed, 0, "no request may fail during the migration ({total} answered)");
}
