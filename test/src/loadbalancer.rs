//! The local fleet's cloud load balancer: every LoadBalancer Service on
//! member `i` gets the loopback ingress address 127.0.10.`i`, and behind each
//! of its TCP ports a small HTTP server answers with the member's name (and
//! `/healthz` with "ok"), so traffic shifted between members can be seen.
//! A Service that goes, or stops being a LoadBalancer, loses its server.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use k8s_openapi::api::core::v1::Service;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{WatchStreamExt, watcher},
};
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};

/// The ingress address of member `index` (1-based).
pub fn address(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 10, index as u8))
}

/// Serves `name` on `addr` until aborted (connections included).
async fn backend(addr: SocketAddr, name: String) {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("loadbalancer: cannot listen on {addr}: {e}");
            return;
        }
    };
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((s, _)) = listener.accept().await else { continue };
        let name = name.clone();
        connections.spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let body = if req.uri().path() == "/healthz" { "ok".to_string() } else { name.clone() };
                async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
            });
            let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(s), svc).await;
        });
    }
}

/// Plays the load balancer for `member` (number `index`, reached through
/// `kubeconfig`) on a thread and runtime of its own, for the life of the
/// process: the fleet may be started from a runtime that ends.
pub fn spawn(kubeconfig: std::path::PathBuf, member: String, index: usize) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
        rt.block_on(async move {
            match crate::kubeconfig::client(&kubeconfig).await {
                Ok(client) => run(client, member, index).await,
                Err(e) => eprintln!("loadbalancer: no client for {member}: {e:#}"),
            }
        });
    });
}

async fn run(client: Client, member: String, index: usize) {
    {
        let ip = address(index);
        let api: Api<Service> = Api::all(client.clone());
        let mut servers: HashMap<(String, String, u16), JoinHandle<()>> = HashMap::new();
        let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
        while let Some(ev) = events.next().await {
            let (svc, gone) = match ev {
                Ok(watcher::Event::Apply(s) | watcher::Event::InitApply(s)) => (s, false),
                Ok(watcher::Event::Delete(s)) => (s, true),
                _ => continue,
            };
            let (ns, name) = (svc.namespace().unwrap_or_default(), svc.name_any());
            let spec = svc.spec.clone().unwrap_or_default();
            let lb = !gone && spec.type_.as_deref() == Some("LoadBalancer");
            let ports: Vec<u16> = if lb {
                spec.ports
                    .iter()
                    .flatten()
                    .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
                    .map(|p| p.port as u16)
                    .collect()
            } else {
                vec![]
            };
            servers.retain(|(n, s, p), task| {
                let keep = !(n == &ns && s == &name) || ports.contains(p);
                if !keep {
                    task.abort();
                }
                keep
            });
            for port in &ports {
                servers
                    .entry((ns.clone(), name.clone(), *port))
                    .or_insert_with(|| tokio::spawn(backend(SocketAddr::new(ip, *port), member.clone())));
            }
            let has = svc
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.as_ref())
                .is_some_and(|i| i.iter().any(|x| x.ip.as_deref() == Some(ip.to_string().as_str())));
            if lb && !has {
                let patch = json!({"status": {"loadBalancer": {"ingress": [{"ip": ip.to_string()}]}}});
                let api: Api<Service> = Api::namespaced(client.clone(), &ns);
                let _ = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await;
            }
        }
    }
}
