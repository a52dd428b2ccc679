//! The traffic module on real control planes: Service exports from members
//! to the hub.

use apis::{
    conditions::{self, networking as n},
    labels::SERVICE_EXPORT_WEIGHT,
    networking::{InternalServiceExport, ServiceExport},
};
use fleet::{shared::fleet, wait};
use k8s_openapi::api::core::v1::Service;
use kube::{
    Api, Client,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

use crate::support::{TIMEOUT, create_namespace};

/// The export's weight on the hub once `check` holds (None: not exported).
async fn wait_internal(hub: &Client, name: &str, what: &str, check: impl Fn(Option<i64>) -> bool) -> Option<i64> {
    let api = Api::<InternalServiceExport>::namespaced(hub.clone(), "fleet-member-member-1");
    wait::until(what, TIMEOUT, || async {
        let w = api.get_opt(name).await?.map(|i| i.spec.weight.unwrap_or(1));
        Ok(check(w).then_some(w))
    })
    .await
    .unwrap()
}

async fn wait_valid(exports: &Api<ServiceExport>, reason: &str) -> String {
    wait::until(&format!("Valid/{reason}"), TIMEOUT, || async {
        let se = exports.get("web").await?;
        let c = se.status.as_ref().and_then(|s| conditions::find(&s.conditions, n::SERVICE_EXPORT_VALID).cloned());
        Ok(c.filter(|c| c.reason == reason).map(|c| c.message))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_service_export_reaches_the_hub_with_its_weight_and_a_bad_weight_keeps_it() {
    let f = fleet();
    let (hub, m1) = (f.hub.client().await, f.members[0].client().await);
    let ns = "it-export";
    create_namespace(&m1, ns).await;
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
    .unwrap();
    Api::<Service>::namespaced(m1.clone(), ns).create(&PostParams::default(), &svc).await.unwrap();
    let exports = Api::<ServiceExport>::namespaced(m1.clone(), ns);
    let se: ServiceExport = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "ServiceExport", "metadata": {"name": "web", "namespace": ns, "annotations": {SERVICE_EXPORT_WEIGHT: "300"}}}))
    .unwrap();
    exports.create(&PostParams::default(), &se).await.unwrap();
    let name = "it-export-web";
    assert_eq!(wait_internal(&hub, name, "exported with weight 300", |w| w == Some(300)).await, Some(300));
    wait_valid(&exports, n::REASON_SERVICE_IS_VALID).await;
    let ise = Api::<InternalServiceExport>::namespaced(hub.clone(), "fleet-member-member-1").get(name).await.unwrap();
    assert_eq!((ise.spec.ports[0].port, ise.spec.service_reference.cluster_id.as_str()), (80, "member-1"));

    let weight = |w: &str| Patch::Merge(json!({"metadata": {"annotations": {SERVICE_EXPORT_WEIGHT: w}}}));
    exports.patch("web", &PatchParams::default(), &weight("lots")).await.unwrap();
    let message = wait_valid(&exports, n::REASON_SERVICE_EXPORT_INVALID_WEIGHT_ANNOTATION).await;
    assert!(message.contains("lots"), "{message}");
    assert_eq!(wait_internal(&hub, name, "kept", |w| w.is_some()).await, Some(300), "a bad weight keeps the export");

    exports.patch("web", &PatchParams::default(), &weight("0")).await.unwrap();
    wait_internal(&hub, name, "withdrawn at weight 0", |w| w.is_none()).await;
    exports.patch("web", &PatchParams::default(), &weight("5")).await.unwrap();
    wait_internal(&hub, name, "back at weight 5", |w| w == Some(5)).await;
    exports.delete("web", &DeleteParams::default()).await.unwrap();
    wait_internal(&hub, name, "withdrawn with the ServiceExport", |w| w.is_none()).await;
}

#[tokio::test]
async fn exports_of_one_service_make_a_service_import_and_different_ports_conflict() {
    use apis::networking::ServiceImport;

    let f = fleet();
    let (hub, m1, m2) = (f.hub.client().await, f.members[0].client().await, f.members[1].client().await);
    let ns = "it-import";
    create_namespace(&hub, ns).await;
    let export = |m: Client, port: i32| async move {
        create_namespace(&m, ns).await;
        let svc: Service = serde_json::from_value(json!({"metadata": {"name": "web", "namespace": ns},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": port}]}}))
        .unwrap();
        Api::<Service>::namespaced(m.clone(), ns).create(&PostParams::default(), &svc).await.unwrap();
        let se: ServiceExport = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
            "kind": "ServiceExport", "metadata": {"name": "web", "namespace": ns}}))
        .unwrap();
        Api::<ServiceExport>::namespaced(m, ns).create(&PostParams::default(), &se).await.unwrap();
    };
    let conflict = |m: Client| async move {
        let exports = Api::<ServiceExport>::namespaced(m, ns);
        wait::until("the Conflict condition", TIMEOUT, || async {
            let se = exports.get("web").await?;
            let c =
                se.status.as_ref().and_then(|s| conditions::find(&s.conditions, n::SERVICE_EXPORT_CONFLICT).cloned());
            Ok(c.filter(|c| c.status != "Unknown").map(|c| (c.status, c.reason)))
        })
        .await
        .unwrap()
    };
    let imports = Api::<ServiceImport>::namespaced(hub.clone(), ns);
    let clusters = |want: Vec<&'static str>| {
        let imports = imports.clone();
        async move {
            wait::until(&format!("the ServiceImport's clusters {want:?}"), TIMEOUT, || async {
                let si = imports.get_opt("web").await?;
                let got: Option<Vec<String>> =
                    si.and_then(|s| s.status).map(|s| s.clusters.into_iter().map(|c| c.cluster).collect());
                Ok((got == Some(want.iter().map(|s| s.to_string()).collect())).then_some(()))
            })
            .await
            .unwrap()
        }
    };

    export(m1.clone(), 80).await;
    clusters(vec!["member-1"]).await;
    assert_eq!(conflict(m1.clone()).await, ("False".to_string(), n::REASON_NO_CONFLICT_FOUND.to_string()));
    // member-2 exports the same Service with another port: it conflicts and stays out.
    export(m2.clone(), 8080).await;
    assert_eq!(conflict(m2.clone()).await, ("True".to_string(), n::REASON_CONFLICT_FOUND.to_string()));
    clusters(vec!["member-1"]).await;
    let si = imports.get("web").await.unwrap();
    assert_eq!(si.status.unwrap().ports[0].port, 80, "the first export's ports");

    // member-2 fixes its port: it joins.
    let fix = Patch::Merge(json!({"spec": {"ports": [{"port": 80}]}}));
    Api::<Service>::namespaced(m2.clone(), ns).patch("web", &PatchParams::default(), &fix).await.unwrap();
    clusters(vec!["member-1", "member-2"]).await;
    // Nobody exports any more: the ServiceImport goes.
    for m in [&m1, &m2] {
        Api::<ServiceExport>::namespaced(m.clone(), ns).delete("web", &DeleteParams::default()).await.unwrap();
    }
    wait::until("the ServiceImport gone", TIMEOUT, || async {
        Ok(imports.get_opt("web").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
}

/// Sends `n` GETs to `addr`; the answers (member names) counted, failures under "".
async fn send(addr: &str, n: usize) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    for _ in 0..n {
        let key = match fleet::probe::get(addr, "/").await {
            Ok((200, body)) => body,
            _ => String::new(),
        };
        *out.entry(key).or_default() += 1;
    }
    out
}

#[tokio::test]
async fn a_profile_routes_by_the_backends_weights_through_the_data_plane() {
    use apis::networking::{TrafficManagerBackend, TrafficManagerProfile};

    let f = fleet();
    let (hub, m1, m2) = (f.hub.client().await, f.members[0].client().await, f.members[1].client().await);
    let ns = "it-tm";
    let port = 18081;
    create_namespace(&hub, ns).await;
    for (m, name) in [(&m1, "member-1"), (&m2, "member-2")] {
        create_namespace(m, ns).await;
        let svc: Service = serde_json::from_value(json!({"metadata": {"name": "web", "namespace": ns,
                "annotations": {"service.beta.kubernetes.io/azure-dns-label-name": format!("it-tm-{name}")}},
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": port}]}}))
        .unwrap();
        Api::<Service>::namespaced(m.clone(), ns).create(&PostParams::default(), &svc).await.unwrap();
        let se: ServiceExport = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
            "kind": "ServiceExport", "metadata": {"name": "web", "namespace": ns}}))
        .unwrap();
        Api::<ServiceExport>::namespaced(m.clone(), ns).create(&PostParams::default(), &se).await.unwrap();
    }
    let profile: TrafficManagerProfile = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "TrafficManagerProfile", "metadata": {"name": "web-profile", "namespace": ns},
        "spec": {"monitorConfig": {"port": port, "path": "/healthz", "intervalInSeconds": 10, "toleratedNumberOfFailures": 0}}}))
    .unwrap();
    Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns).create(&PostParams::default(), &profile).await.unwrap();
    let backend: TrafficManagerBackend =
        serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "TrafficManagerBackend", "metadata": {"name": "web-backend", "namespace": ns},
        "spec": {"profile": {"name": "web-profile"}, "backend": {"name": "web"}, "weight": 100}}))
        .unwrap();
    let backends = Api::<TrafficManagerBackend>::namespaced(hub.clone(), ns);
    backends.create(&PostParams::default(), &backend).await.unwrap();

    // Accepted with one endpoint per member, 50 each.
    let b = wait::until("the backend accepted with two endpoints", TIMEOUT, || async {
        let b = backends.get("web-backend").await?;
        let st = b.status.clone().unwrap_or_default();
        let accepted =
            conditions::find(&st.conditions, n::TRAFFIC_MANAGER_BACKEND_ACCEPTED).is_some_and(|c| c.status == "True");
        Ok((accepted && st.endpoints.len() == 2).then_some(b))
    })
    .await
    .unwrap();
    let weights: Vec<Option<i64>> = b.status.unwrap().endpoints.iter().map(|e| e.weight).collect();
    assert_eq!(weights, [Some(50), Some(50)]);
    let p = Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns).get("web-profile").await.unwrap();
    let st = p.status.unwrap();
    assert_eq!(st.dns_name.as_deref(), Some("it-tm-web-profile.trafficmanager.flotilla.local"));
    let programmed = conditions::find(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED).unwrap();
    assert_eq!((programmed.status.as_str(), programmed.observed_generation), ("True", p.metadata.generation));
    let proxy = st.proxy_address.expect("the data plane's address");

    let got = send(&proxy, 200).await;
    assert!(!got.contains_key(""), "no failed request: {got:?}");
    for m in ["member-1", "member-2"] {
        let share = *got.get(m).unwrap_or(&0) as f64 / 200.0;
        assert!((0.35..=0.65).contains(&share), "about half to {m}: {got:?}");
    }

    // member-2 exports with weight 0: every request goes to member-1.
    let zero = Patch::Merge(json!({"metadata": {"annotations": {SERVICE_EXPORT_WEIGHT: "0"}}}));
    Api::<ServiceExport>::namespaced(m2.clone(), ns).patch("web", &PatchParams::default(), &zero).await.unwrap();
    wait::until("one endpoint left", TIMEOUT, || async {
        let b = backends.get("web-backend").await?;
        Ok((b.status.unwrap_or_default().endpoints.len() == 1).then_some(()))
    })
    .await
    .unwrap();
    let got = send(&proxy, 100).await;
    assert_eq!(got.get("member-1"), Some(&100), "{got:?}");
}

/// A LoadBalancer Service `name` on `m` (with a DNS label) and its ServiceExport.
async fn exported(m: &Client, ns: &str, name: &str, port: u16) {
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns,
            "annotations": {"service.beta.kubernetes.io/azure-dns-label-name": format!("{ns}-{name}")}},
        "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": port}]}}))
    .unwrap();
    Api::<Service>::namespaced(m.clone(), ns).create(&PostParams::default(), &svc).await.unwrap();
    let se: ServiceExport = serde_json::from_value(json!({"apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "ServiceExport", "metadata": {"name": name, "namespace": ns}}))
    .unwrap();
    Api::<ServiceExport>::namespaced(m.clone(), ns).create(&PostParams::default(), &se).await.unwrap();
}

#[tokio::test]
async fn health_checks_fail_over_in_flight_requests_drain_and_deletions_under_load_lose_nothing() {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    };

    use apis::networking::{TrafficManagerBackend, TrafficManagerProfile};

    let f = fleet();
    let (hub, m1, m2) = (f.hub.client().await, f.members[0].client().await, f.members[1].client().await);
    let (ns, port) = ("it-tm-load", 18083);
    create_namespace(&hub, ns).await;
    create_namespace(&m1, ns).await;
    create_namespace(&m2, ns).await;
    exported(&m1, ns, "a", port).await;
    exported(&m2, ns, "b", port).await;
    let tm = |kind: &str, name: &str, spec: serde_json::Value| {
        json!({"apiVersion": "networking.fleet.azure.com/v1beta1", "kind": kind,
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    };
    let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns);
    let backends = Api::<TrafficManagerBackend>::namespaced(hub.clone(), ns);
    let p = tm(
        "TrafficManagerProfile",
        "app",
        json!({"monitorConfig": {"port": port, "path": "/healthz",
        "intervalInSeconds": 10, "timeoutInSeconds": 5, "toleratedNumberOfFailures": 0}}),
    );
    profiles.create(&PostParams::default(), &serde_json::from_value(p).unwrap()).await.unwrap();
    for b in ["a", "b"] {
        let spec = json!({"profile": {"name": "app"}, "backend": {"name": b}, "weight": 50});
        backends
            .create(&PostParams::default(), &serde_json::from_value(tm("TrafficManagerBackend", b, spec)).unwrap())
            .await
            .unwrap();
    }
    let proxy = wait::until("both backends serving", TIMEOUT, || async {
        let p = profiles.get("app").await?;
        let addr = p.status.and_then(|s| s.proxy_address);
        let mut endpoints = 0;
        for b in ["a", "b"] {
            endpoints += backends.get(b).await?.status.map(|s| s.endpoints.len()).unwrap_or(0);
        }
        Ok(addr.filter(|_| endpoints == 2))
    })
    .await
    .unwrap();
    let addr: std::net::SocketAddr = proxy.parse().unwrap();

    // A steady load for the whole test; every answer counted.
    let (stop, ok, failed) =
        (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match fleet::probe::get(addr, "/").await {
                    Ok((200, _)) => ok.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };

    // member-2 fails its health checks: no traffic to it until it passes again.
    let health = |ok: &str| Patch::Merge(json!({"metadata": {"annotations": {fleet::loadbalancer::HEALTHY: ok}}}));
    let services2 = Api::<Service>::namespaced(m2.clone(), ns);
    services2.patch("b", &PatchParams::default(), &health("false")).await.unwrap();
    wait::until("member-2 out of rotation", std::time::Duration::from_secs(45), || async {
        Ok((send(&proxy, 40).await.get("member-1") == Some(&40)).then_some(()))
    })
    .await
    .unwrap();
    let st = profiles.get("app").await.unwrap().status.unwrap();
    let programmed = conditions::find(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED).unwrap();
    assert!(programmed.message.contains("1 endpoint(s) fail their health checks"), "{}", programmed.message);
    services2.patch("b", &PatchParams::default(), &health("true")).await.unwrap();
    wait::until("member-2 back", std::time::Duration::from_secs(45), || async {
        Ok(send(&proxy, 40).await.contains_key("member-2").then_some(()))
    })
    .await
    .unwrap();

    // Requests in flight to an endpoint that is taken out finish there.
    let slow: Vec<_> =
        (0..8).map(|_| tokio::spawn(async move { fleet::probe::get(addr, "/slow/1500").await })).collect();
    // They are on their way once the data plane counts them in flight.
    let admin = f.hub_agent;
    wait::until("8 slow requests in flight", TIMEOUT, || async {
        let (_, body) = fleet::probe::get(admin, "/metrics").await?;
        let in_flight: f64 = body
            .lines()
            .filter(|l| {
                l.starts_with("flotilla_traffic_requests_in_flight{") && l.contains("profile=\"it-tm-load/app\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        Ok((in_flight >= 8.0).then_some(()))
    })
    .await
    .unwrap();
    backends.patch("a", &PatchParams::default(), &Patch::Merge(json!({"spec": {"weight": 0}}))).await.unwrap();
    let mut answered = std::collections::BTreeMap::<String, usize>::new();
    for s in slow {
        let (code, body) = s.await.unwrap().expect("a slow request");
        assert_eq!(code, 200, "{body}");
        *answered.entry(body).or_default() += 1;
    }
    assert!(answered.contains_key("member-1"), "some went to member-1 before it left: {answered:?}");
    wait::until("member-1 drained", TIMEOUT, || async {
        Ok((send(&proxy, 20).await.get("member-2") == Some(&20)).then_some(()))
    })
    .await
    .unwrap();

    // Backend a (weight 0) deleted under load: nothing lost.
    backends.delete("a", &DeleteParams::default()).await.unwrap();
    wait::until("backend a gone from the data plane", TIMEOUT, || async {
        Ok(backends.get_opt("a").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert_eq!(failed.load(Ordering::Relaxed), 0, "{} requests answered, none may fail", ok.load(Ordering::Relaxed));
    assert!(ok.load(Ordering::Relaxed) > 100, "the load ran");

    // The profile deleted: its proxy stops listening.
    profiles.delete("app", &DeleteParams::default()).await.unwrap();
    wait::until("the proxy closed", TIMEOUT, || async {
        Ok(tokio::net::TcpStream::connect(addr).await.is_err().then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn endpoint_weights_split_a_backend_over_three_clusters_by_their_export_weights() {
    use apis::networking::{TrafficManagerBackend, TrafficManagerProfile};

    let f = fleet();
    let hub = f.hub.client().await;
    let (ns, port) = ("it-tm-three", 18084);
    create_namespace(&hub, ns).await;
    for (i, w) in [(0, "1"), (1, "2"), (2, "3")] {
        let m = f.members[i].client().await;
        create_namespace(&m, ns).await;
        exported(&m, ns, "web", port).await;
        let weight = Patch::Merge(json!({"metadata": {"annotations": {SERVICE_EXPORT_WEIGHT: w}}}));
        Api::<ServiceExport>::namespaced(m, ns).patch("web", &PatchParams::default(), &weight).await.unwrap();
    }
    let tm = |kind: &str, name: &str, spec: serde_json::Value| -> serde_json::Value {
        json!({"apiVersion": "networking.fleet.azure.com/v1beta1", "kind": kind,
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    };
    let p: TrafficManagerProfile = serde_json::from_value(tm(
        "TrafficManagerProfile",
        "app",
        json!({"monitorConfig": {"port": port, "path": "/healthz"}}),
    ))
    .unwrap();
    Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns).create(&PostParams::default(), &p).await.unwrap();
    let spec = json!({"profile": {"name": "app"}, "backend": {"name": "web"}, "weight": 500});
    let b: TrafficManagerBackend = serde_json::from_value(tm("TrafficManagerBackend", "web", spec)).unwrap();
    let backends = Api::<TrafficManagerBackend>::namespaced(hub.clone(), ns);
    backends.create(&PostParams::default(), &b).await.unwrap();
    // ceil(500 × w / 6) for weights 1, 2, 3.
    let want = vec![
        ("member-1".to_string(), Some(84), Some(1)),
        ("member-2".to_string(), Some(167), Some(2)),
        ("member-3".to_string(), Some(250), Some(3)),
    ];
    let got = wait::until("three weighted endpoints", TIMEOUT, || async {
        let st = backends.get("web").await?.status.unwrap_or_default();
        let mut got: Vec<(String, Option<i64>, Option<i64>)> = st
            .endpoints
            .iter()
            .map(|e| {
                let from = e.from.clone().unwrap();
                (from.cluster, e.weight, from.weight)
            })
            .collect();
        got.sort();
        Ok((got == want).then_some(st))
    })
    .await
    .unwrap();
    assert!(got.endpoints.iter().all(|e| e.target.as_deref().is_some_and(|t| t.starts_with("127.0.10."))), "{got:?}");
}
