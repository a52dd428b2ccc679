//! Active health checks, one task per endpoint, per the profile's
//! monitorConfig: HTTP GET of `path` on `port` (with the custom headers)
//! answering 200–399, or a TCP connect (also used for HTTPS, whose
//! certificate Flotilla does not check), within `timeoutInSeconds`, every
//! `intervalInSeconds`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::Request;
use http_body_util::Empty;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use tokio::net::TcpStream;
use tracing::info;

use super::{health::Health, routes::Endpoint};

/// How to probe, from the profile's monitorConfig.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitor {
    pub http: bool,
    pub port: u16,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub interval: Duration,
    pub timeout: Duration,
    pub tolerated: u32,
}

async fn probe(addr: SocketAddr, m: &Monitor) -> bool {
    let target = SocketAddr::new(addr.ip(), m.port);
    if !m.http {
        return matches!(tokio::time::timeout(m.timeout, TcpStream::connect(target)).await, Ok(Ok(_)));
    }
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::get(format!("http://{target}{}", m.path));
    for (k, v) in &m.headers {
        req = req.header(k, v);
    }
    let Ok(req) = req.body(Empty::new()) else { return false };
    match tokio::time::timeout(m.timeout, client.request(req)).await {
        Ok(Ok(resp)) => (200..400).contains(&resp.status().as_u16()),
        _ => false,
    }
}

/// Probes `endpoint` until aborted, marking it healthy or not.
pub async fn run(endpoint: Arc<Endpoint>, monitor: Monitor, on_change: Arc<dyn Fn() + Send + Sync>) {
    let mut health = Health::default();
    loop {
        let ok = probe(endpoint.addr, &monitor).await;
        let healthy = health.record(ok, monitor.tolerated);
        if healthy != endpoint.healthy() {
            info!(endpoint = %endpoint.name, healthy, "endpoint health changed");
            endpoint.set_healthy(healthy);
            on_change();
        }
        tokio::time::sleep(monitor.interval).await;
    }
}
