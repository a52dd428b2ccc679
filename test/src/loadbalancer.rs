//! The local fleet's cloud load balancer: every LoadBalancer Service on
//! member `i` gets the loopback ingress address 127.0.10.`i`, and behind each
//! of its TCP ports a small HTTP server answers with the member's name, so
//! traffic shifted between members can be seen. `/healthz` answers "ok", or
//! 503 while the Service is annotated `loadbalancer.flotilla.dev/healthy:
//! "false"`; `/slow/<ms>` answers after that many milliseconds (a request in
//! flight). A Service that goes, or stops being a LoadBalancer, loses its
//! server.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, Response, StatusCode};
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

/// The annotation that makes a Service's health check fail.
pub const HEALTHY: &str = "loadbalancer.flotilla.dev/healthy";

/// Serves `name` on `addr` until aborted (connections included); `healthy` says how `/healthz` answers.
async fn backend(addr: SocketAddr, name: String, healthy: Arc<AtomicBool>) {
    match TcpListener::bind(addr).await {
        Ok(l) => serve(l, name, healthy, Arc::default()).await,
        Err(e) => eprintln!("loadbalancer: cannot listen on {addr}: {e}"),
    }
}

/// The accept loop of `backend`. `open` is the number of connection tasks
/// held, kept current at each accept: finished ones are reaped there, so a
/// long load of short connections keeps memory flat.
async fn serve(listener: TcpListener, name: String, healthy: Arc<AtomicBool>, open: Arc<AtomicUsize>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((s, _)) = listener.accept().await else { continue };
        while connections.try_join_next().is_some() {}
        open.store(connections.len() + 1, Ordering::Relaxed);
        let (name, healthy) = (name.clone(), healthy.clone());
        connections.spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (name, healthy) = (name.clone(), healthy.clone());
                async move {
                    let path = req.uri().path();
                    if path == "/healthz" {
                        let ok = healthy.load(Ordering::Relaxed);
                        let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                        let mut r = Response::new(Full::new(Bytes::from(if ok { "ok" } else { "unhealthy" })));
                        *r.status_mut() = status;
                        return Ok::<_, Infallible>(r);
                    }
                    if let Some(ms) = path.strip_prefix("/slow/").and_then(|m| m.parse::<u64>().ok()) {
                        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(name))))
                }
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
        let mut health: HashMap<(String, String), Arc<AtomicBool>> = HashMap::new();
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
            let ok = svc.annotations().get(HEALTHY).map(String::as_str) != Some("false");
            let flag =
                health.entry((ns.clone(), name.clone())).or_insert_with(|| Arc::new(AtomicBool::new(true))).clone();
            flag.store(ok, Ordering::Relaxed);
            for port in &ports {
                servers
                    .entry((ns.clone(), name.clone(), *port))
                    .or_insert_with(|| tokio::spawn(backend(SocketAddr::new(ip, *port), member.clone(), flag.clone())));
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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn finished_connections_are_reaped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicUsize::new(0));
        let server = tokio::spawn(serve(listener, "member-1".into(), Arc::new(AtomicBool::new(true)), open.clone()));
        for _ in 0..200 {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).await.unwrap();
            assert!(answer.ends_with("member-1"), "{answer}");
        }
        // The server sees each close a moment after the client: poll (a new
        // connection updates the count) until the last tasks have finished.
        let mut last = usize::MAX;
        for _ in 0..100 {
            drop(tokio::net::TcpStream::connect(addr).await.unwrap());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            last = open.load(Ordering::Relaxed);
            if last <= 3 {
                break;
            }
        }
        assert!(last <= 3, "200 closed connections still hold {last} tasks");
        server.abort();
    }
}
