//! KubeFleet's tutorial "Migrating Application Resources to Clusters without
//! Downtime" (the user's seed 002), step by step on a running fleet whose
//! member-2 has not joined yet, with the tutorial's manifests as written
//! (`test/tests/migration/`). Each step checks what the tutorial shows; where
//! that depends on Azure (public IPs, DNS labels, `*.trafficmanager.net`), it
//! checks Flotilla's equivalent: which clusters receive traffic through the
//! data plane. A load runs through the profile's proxy from the moment the
//! first backend is accepted. Used by the e2e test and by `make demo`.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::{agents, apply::Applier, load::Load, probe, wait};
use apis::{
    cluster::MemberCluster,
    conditions::{self, networking as n, placement as p},
    networking::{ServiceExport, TrafficManagerBackend, TrafficManagerProfile},
    placement::ClusterResourcePlacement,
};
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Namespace, Service},
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

/// One line of the walk: a step, or the traffic split so far.
#[derive(Clone, Debug)]
pub enum Line {
    Step(String),
    /// All requests and failures so far, and the answers by member over the last half second.
    Split {
        requests: usize,
        failed: usize,
        window: BTreeMap<String, usize>,
    },
    /// At the end of a step: the same, over the step.
    Checkpoint {
        requests: usize,
        failed: usize,
        window: BTreeMap<String, usize>,
    },
}

/// `ensure!` for equality, saying both sides.
macro_rules! check_eq {
    ($a:expr, $b:expr $(,)?) => {{
        let (a, b) = (&$a, &$b);
        anyhow::ensure!(a == b, "{} is {:?}, want {:?}", stringify!($a), a, b);
    }};
}

pub const NS: &str = "test-app";
const TIMEOUT: Duration = Duration::from_secs(90);

fn manifest(name: &str) -> String {
    std::fs::read_to_string(crate::assets::repo_root().join("test/tests/migration").join(name)).unwrap_or_default()
}

async fn apply(hub: &Client, name: &str) -> anyhow::Result<()> {
    Applier::new(hub.clone())
        .apply_yaml(&manifest(name))
        .await
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("{name}: {e:#}"))
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
) -> anyhow::Result<ClusterResourcePlacement> {
    let api = Api::<ClusterResourcePlacement>::all(hub.clone());
    wait::until(what, TIMEOUT, || async { Ok(Some(api.get("crp-availability").await?).filter(|c| check(c))) }).await
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
) -> anyhow::Result<(String, Vec<String>)> {
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
}

/// The Azure DNS label a ResourceOverride gives a Service on its cluster.
fn dns_label(s: &Service) -> Option<&str> {
    s.annotations().get("service.beta.kubernetes.io/azure-dns-label-name").map(String::as_str)
}

async fn exists<K>(c: &Client, name: &str) -> anyhow::Result<bool>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Ok(Api::<K>::namespaced(c.clone(), NS).get_opt(name).await?.is_some())
}

async fn wait_gone<K>(c: &Client, name: &str, what: &str) -> anyhow::Result<()>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api = Api::<K>::namespaced(c.clone(), NS);
    wait::until(what, TIMEOUT, || async { Ok(api.get_opt(name).await?.is_none().then_some(())) }).await
}

/// Waits until traffic through `addr` reaches exactly `members` (in 40 requests).
async fn wait_traffic(addr: SocketAddr, members: &[&str], what: &str) -> anyhow::Result<()> {
    wait::until(what, TIMEOUT, || async {
        let got = send(addr, 40).await;
        let seen: Vec<&str> = got.keys().map(String::as_str).collect();
        Ok((seen == members).then_some(()))
    })
    .await
}

pub use crate::load::Outcome;

/// Runs the tutorial on a fleet with `hub`, `m1` (joined) and `m2` (not yet
/// joined); `say` gets one line per step and, about twice a second, the
/// current traffic split.
pub async fn run(
    hub: &Client,
    m1: &Client,
    m2: &Client,
    say: impl Fn(Line) + Send + Sync + 'static,
) -> anyhow::Result<Outcome> {
    let say = Arc::new(say);
    let (hub, m1, m2) = (hub.clone(), m1.clone(), m2.clone());

    // The application on the hub, placed on member-1.
    say(Line::Step("the tutorial's application on the hub (Service, ServiceExport, ro-nginx-service, the enveloped Deployment) and crp-availability (PickAll): placed on member-1".into()));
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}}))?;
    Api::<Namespace>::all(hub.clone()).create(&PostParams::default(), &ns).await?;
    for f in ["nginx-service.yaml", "ro-nginx-service.yaml", "envelop-object.yaml", "crp-availability.yaml"] {
        apply(&hub, f).await?;
    }
    let c = wait_crp(&hub, "crp-availability Available on member-1", |c| crp_true(c, p::CRP_AVAILABLE)).await?;
    check_eq!(clusters(&c), ["member-1"]);
    let api1 = Api::<Service>::namespaced(m1.clone(), NS);
    wait::until("nginx-service on member-1 with its DNS label", TIMEOUT, || async {
        let svc = api1.get_opt("nginx-service").await?;
        Ok(svc.filter(|s| dns_label(s) == Some("fleet-test-member-1")).map(|_| ()))
    })
    .await?;
    anyhow::ensure!(exists::<Deployment>(&m1, "nginx-deployment").await?, "the enveloped Deployment is on member-1");

    // The profile and the backend: all traffic to member-1.
    say(Line::Step(
        "nginx-profile and nginx-backend (weight 100): traffic through Flotilla's proxy goes to member-1".into(),
    ));
    apply(&hub, "nginx-profile.yaml").await?;
    apply(&hub, "nginx-backend.yaml").await?;
    let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), NS);
    let addr: SocketAddr = wait::until("nginx-profile programmed", TIMEOUT, || async {
        let st = profiles.get("nginx-profile").await?.status.unwrap_or_default();
        let programmed = conditions::is_true(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED);
        Ok(st.proxy_address.filter(|_| programmed).and_then(|a| a.parse().ok()))
    })
    .await?;
    let st = profiles.get("nginx-profile").await?.status.unwrap_or_default();
    check_eq!(st.dns_name.as_deref(), Some("test-app-nginx-profile.trafficmanager.flotilla.local"));
    wait_backend(&hub, "nginx-backend", "nginx-backend accepted on member-1", |a, c| a == "True" && c == ["member-1"])
        .await?;
    wait_traffic(addr, &["member-1"], "traffic on member-1").await?;

    // From here on a steady load; every answer counted.
    let load = Load::start(addr, Duration::from_millis(5));
    let counts = load.counts();

    // The split over each step, said when the step is done.
    let checkpoint = {
        let (counts, say) = (counts.clone(), say.clone());
        let mark = Mutex::new(BTreeMap::<String, usize>::new());
        move || {
            let now = counts.now();
            let mut before = mark.lock().expect("mark");
            let window =
                now.answered.iter().map(|(m, n)| (m.clone(), n - before.get(m).copied().unwrap_or(0))).collect();
            say(Line::Checkpoint { requests: now.requests, failed: now.failed, window });
            *before = now.answered;
        }
    };
    let reporter = {
        let say = say.clone();
        tokio::spawn(async move {
            let mut before: BTreeMap<String, usize> = BTreeMap::new();
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let now = counts.now();
                let window =
                    now.answered.iter().map(|(m, n)| (m.clone(), n - before.get(m).copied().unwrap_or(0))).collect();
                say(Line::Split { requests: now.requests, failed: now.failed, window });
                before = now.answered;
            }
        })
    };

    // Member-2 joins, labelled cluster-name: member-2: the CRP places everything there too.
    checkpoint();
    say(Line::Step("member-2 joins (label cluster-name: member-2): crp-availability places test-app there too".into()));
    agents::create_member_cluster(&hub, "member-2", 60).await?;
    let mc = Api::<MemberCluster>::all(hub.clone()).get("member-2").await?;
    check_eq!(mc.labels().get("cluster-name").map(String::as_str), Some("member-2"));
    let c = wait_crp(&hub, "crp-availability Available on both", |c| {
        crp_true(c, p::CRP_AVAILABLE) && clusters(c).len() == 2
    })
    .await?;
    check_eq!(clusters(&c), ["member-1", "member-2"]);
    let selected: Vec<String> = c
        .status
        .clone()
        .unwrap_or_default()
        .selected_resources
        .iter()
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect();
    for r in
        ["Namespace/test-app", "ServiceExport/nginx-service", "Service/nginx-service", "ConfigMap/envelope-configmap"]
    {
        anyhow::ensure!(selected.contains(&r.to_string()), "{r} in {selected:?}");
    }
    // member-2's nginx-service has no DNS label: the backend is Invalid, traffic stays on member-1.
    checkpoint();
    say(Line::Step("member-2's nginx-service has no DNS label: nginx-backend is Accepted=False (Invalid), traffic stays on member-1".into()));
    let (accepted, eps) = wait_backend(&hub, "nginx-backend", "nginx-backend invalid", |a, _| a == "False").await?;
    check_eq!((accepted.as_str(), eps), ("False", vec!["member-1".to_string()]));
    wait_traffic(addr, &["member-1"], "traffic still on member-1").await?;

    // Stop exposing nginx-service on member-2: its ServiceExport and Service leave.
    checkpoint();
    say(Line::Step("ro-nginx-service-export and ro-nginx-service (Delete on member-2): nginx-service and its ServiceExport leave member-2".into()));
    apply(&hub, "ro-nginx-service-export.yaml").await?;
    apply(&hub, "ro-nginx-service-delete.yaml").await?;
    wait_gone::<ServiceExport>(&m2, "nginx-service", "nginx-service's ServiceExport off member-2").await?;
    wait_gone::<Service>(&m2, "nginx-service", "nginx-service off member-2").await?;
    wait_backend(&hub, "nginx-backend", "nginx-backend accepted again", |a, c| a == "True" && c == ["member-1"])
        .await?;
    anyhow::ensure!(exists::<Deployment>(&m2, "nginx-deployment").await?, "the Deployment runs on member-2");

    // nginx-service-2 on member-2 only, with its DNS label, and its backend: traffic on both.
    checkpoint();
    say(Line::Step("ro-nginx-service-export-2, ro-nginx-service-2, nginx-service-2 and nginx-backend-2 (weight 100): traffic on both members".into()));
    apply(&hub, "ro-nginx-service-export-2.yaml").await?;
    apply(&hub, "ro-nginx-service-2.yaml").await?;
    apply(&hub, "nginx-service-2.yaml").await?;
    // The override may reach the member a moment after the Service (its
    // snapshot is made concurrently): wait for the labelled version.
    let api2 = Api::<Service>::namespaced(m2.clone(), NS);
    wait::until("nginx-service-2 on member-2 with its DNS label", TIMEOUT, || async {
        let s2 = api2.get_opt("nginx-service-2").await?;
        Ok(s2.filter(|s| dns_label(s) == Some("fleet-test-member-2")).map(|_| ()))
    })
    .await?;
    anyhow::ensure!(!exists::<Service>(&m1, "nginx-service-2").await?, "not on member-1");
    apply(&hub, "nginx-backend-2.yaml").await?;
    wait_backend(&hub, "nginx-backend-2", "nginx-backend-2 accepted on member-2", |a, c| {
        a == "True" && c == ["member-2"]
    })
    .await?;
    wait_traffic(addr, &["member-1", "member-2"], "traffic on both members").await?;

    // Shift the weights, then stop serving from member-1.
    checkpoint();
    say(Line::Step("nginx-backend weight 0, then deleted: all traffic to member-2".into()));
    let tmb = Api::<TrafficManagerBackend>::namespaced(hub.clone(), NS);
    tmb.patch("nginx-backend", &PatchParams::default(), &Patch::Merge(json!({"spec": {"weight": 0}}))).await?;
    wait_traffic(addr, &["member-2"], "traffic on member-2 only").await?;
    tmb.delete("nginx-backend", &DeleteParams::default()).await?;
    wait_gone::<TrafficManagerBackend>(&hub, "nginx-backend", "nginx-backend deleted").await?;
    wait_traffic(addr, &["member-2"], "still member-2 only").await?;

    // member-1 leaves: what was placed stays there; the fleet networking objects are removed.
    checkpoint();
    say(Line::Step(
        "MemberCluster member-1 deleted: it leaves with the Deployment and Service in place, its ServiceExport removed"
            .into(),
    ));
    Api::<MemberCluster>::all(hub.clone()).delete("member-1", &DeleteParams::default()).await?;
    let mcs = Api::<MemberCluster>::all(hub.clone());
    wait::until("member-1 gone", TIMEOUT, || async { Ok(mcs.get_opt("member-1").await?.is_none().then_some(())) })
        .await?;
    wait_gone::<ServiceExport>(&m1, "nginx-service", "the ServiceExport removed from member-1").await?;
    anyhow::ensure!(exists::<Deployment>(&m1, "nginx-deployment").await?, "member-1 keeps the Deployment");
    anyhow::ensure!(exists::<Service>(&m1, "nginx-service").await?, "member-1 keeps the Service");

    // Clean up what member-2 does not use.
    checkpoint();
    say(Line::Step("cleanup: ro-nginx-service-export, ro-nginx-service, the ServiceExport and Service nginx-service deleted on the hub".into()));
    for (kind, name) in [("ResourceOverride", "ro-nginx-service-export"), ("ResourceOverride", "ro-nginx-service")] {
        let api: Api<apis::placement::ResourceOverride> = Api::namespaced(hub.clone(), NS);
        api.delete(name, &DeleteParams::default()).await.map_err(|e| anyhow::anyhow!("deleting {kind} {name}: {e}"))?;
    }
    Api::<ServiceExport>::namespaced(hub.clone(), NS).delete("nginx-service", &DeleteParams::default()).await?;
    Api::<Service>::namespaced(hub.clone(), NS).delete("nginx-service", &DeleteParams::default()).await?;
    wait_crp(&hub, "the placement settled after cleanup", |c| {
        crp_true(c, p::CRP_AVAILABLE) && clusters(c) == ["member-2"]
    })
    .await?;
    wait_traffic(addr, &["member-2"], "member-2 serves after cleanup").await?;

    checkpoint();
    reporter.abort();
    Ok(load.stop().await)
}
