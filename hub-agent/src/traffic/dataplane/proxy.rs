//! The proxies. HTTP (HTTP/1.1 and HTTP/2, hyper): each request goes to an
//! endpoint picked by weight; a failed connect is retried on another
//! endpoint, so an endpoint that just went away costs no failed request. The
//! request body is buffered first so it can be sent again. TCP: each
//! connection goes to a picked endpoint (retrying a failed connect) and bytes
//! are copied both ways.

use std::{convert::Infallible, sync::Arc, time::Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

use super::routes::Table;

/// Requests above this size are refused (the body is buffered for retries).
const MAX_BODY: usize = 16 << 20;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What the proxies report per endpoint (name, cluster): a request or
/// connection done (ok, seconds), and the number in flight going up or down.
pub struct Observer {
    pub done: Box<Done>,
    pub in_flight: Box<InFlight>,
}

/// (endpoint, cluster, ok, seconds).
pub type Done = dyn Fn(&str, &str, bool, f64) + Send + Sync;
/// (endpoint, cluster, change).
pub type InFlight = dyn Fn(&str, &str, i64) + Send + Sync;

pub type Observe = Arc<Observer>;

fn text(status: StatusCode, s: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(s.to_string())).map_err(|never: Infallible| match never {}).boxed();
    Response::builder().status(status).body(body).expect("a valid response")
}

async fn forward(
    req: Request<Incoming>,
    table: Arc<Table>,
    client: Client<HttpConnector, Full<Bytes>>,
    observe: Observe,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(text(StatusCode::PAYLOAD_TOO_LARGE, &format!("request body: {e}"))),
    };
    let routes = table.load();
    let mut tried = Vec::new();
    loop {
        let Some((i, ep)) = routes.pick(&tried) else {
            let why = if tried.is_empty() { "no endpoint" } else { "no endpoint could be reached" };
            return Ok(text(StatusCode::SERVICE_UNAVAILABLE, why));
        };
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let uri: Uri = format!("http://{}{path}", ep.addr).parse().expect("a valid URI");
        let mut out = Request::builder().method(parts.method.clone()).uri(uri);
        for (k, v) in &parts.headers {
            out = out.header(k, v);
        }
        let out = out.body(Full::new(body.clone())).expect("a valid request");
        let started = Instant::now();
        ep.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (observe.in_flight)(&ep.name, &ep.cluster, 1);
        let result = client.request(out).await;
        (observe.in_flight)(&ep.name, &ep.cluster, -1);
        match result {
            Ok(resp) => {
                let ok = !resp.status().is_server_error();
                (observe.done)(&ep.name, &ep.cluster, ok, started.elapsed().as_secs_f64());
                let (p, b) = resp.into_parts();
                return Ok(Response::from_parts(p, b.boxed()));
            }
            Err(e) if e.is_connect() => {
                // Nothing was sent: safe to try another endpoint.
                ep.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (observe.done)(&ep.name, &ep.cluster, false, started.elapsed().as_secs_f64());
                debug!(endpoint = %ep.name, error = %e, "connect failed; trying another endpoint");
                tried.push(i);
            }
            Err(e) => {
                ep.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (observe.done)(&ep.name, &ep.cluster, false, started.elapsed().as_secs_f64());
                return Ok(text(StatusCode::BAD_GATEWAY, &format!("endpoint {}: {e}", ep.name)));
            }
        }
    }
}

/// Serves HTTP on `listener` until the task is aborted.
pub async fn serve_http(listener: TcpListener, table: Arc<Table>, observe: Observe) {
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let (table, client, observe) = (table.clone(), client.clone(), observe.clone());
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req| forward(req, table.clone(), client.clone(), observe.clone()));
            let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Serves TCP on `listener` until the task is aborted.
pub async fn serve_tcp(listener: TcpListener, table: Arc<Table>, observe: Observe) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else { continue };
        let (table, observe) = (table.clone(), observe.clone());
        tokio::spawn(async move {
            let routes = table.load();
            let mut tried = Vec::new();
            while let Some((i, ep)) = routes.pick(&tried) {
                let started = Instant::now();
                ep.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                match TcpStream::connect(ep.addr).await {
                    Ok(mut outbound) => {
                        (observe.in_flight)(&ep.name, &ep.cluster, 1);
                        let ok = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await.is_ok();
                        (observe.in_flight)(&ep.name, &ep.cluster, -1);
                        (observe.done)(&ep.name, &ep.cluster, ok, started.elapsed().as_secs_f64());
                        return;
                    }
                    Err(_) => {
                        ep.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        (observe.done)(&ep.name, &ep.cluster, false, started.elapsed().as_secs_f64());
                        tried.push(i);
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::traffic::dataplane::routes::Wanted;

    /// An HTTP server answering `name`; aborting its task stops it entirely.
    async fn backend(name: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            // Connections live in the set: aborting the server closes them too.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let (s, _) = listener.accept().await.unwrap();
                connections.spawn(async move {
                    let svc = hyper::service::service_fn(move |_req: Request<Incoming>| async move {
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(name))))
                    });
                    let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(s), svc).await;
                });
            }
        });
        (addr, task)
    }

    async fn proxy(table: Arc<Table>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let observe = Observer {
            done: Box::new(|_: &str, _: &str, _: bool, _: f64| {}),
            in_flight: Box::new(|_: &str, _: &str, _: i64| {}),
        };
        tokio::spawn(serve_http(listener, table, Arc::new(observe)));
        addr
    }

    fn wanted(name: &str, addr: SocketAddr, weight: u32) -> Wanted {
        Wanted { name: name.into(), cluster: name.into(), addr, weight }
    }

    /// Sends `n` requests through `proxy`; counts answers by body, failures under "".
    async fn send(proxy: SocketAddr, n: usize) -> std::collections::BTreeMap<String, usize> {
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let mut out = std::collections::BTreeMap::new();
        for _ in 0..n {
            let req = Request::get(format!("http://{proxy}/")).body(Full::new(Bytes::new())).unwrap();
            let key = match client.request(req).await {
                Ok(r) if r.status().is_success() => {
                    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
                }
                _ => String::new(),
            };
            *out.entry(key).or_default() += 1;
        }
        out
    }

    #[tokio::test]
    async fn requests_follow_the_weights_and_a_vanished_endpoint_costs_no_failed_request() {
        let (a, _ta) = backend("a").await;
        let (b, tb) = backend("b").await;
        let table = Arc::new(Table::default());
        table.store(&[wanted("a", a, 80), wanted("b", b, 20)], 1);
        let p = proxy(table.clone()).await;
        let got = send(p, 500).await;
        let share_a = *got.get("a").unwrap_or(&0) as f64 / 500.0;
        assert!((0.72..=0.88).contains(&share_a), "80/20 split, got {got:?}");
        assert!(!got.contains_key(""), "no failures: {got:?}");

        // b goes away without telling anyone: its requests are retried on a.
        tb.abort();
        let _ = tb.await;
        let got = send(p, 200).await;
        assert_eq!(got.get("a"), Some(&200), "{got:?}");

        // New weights take effect for the next request.
        table.store(&[wanted("a", a, 0), wanted("b", b, 1)], 2);
        let got = send(p, 5).await;
        assert_eq!(got.get(""), Some(&5), "only b has weight and it is gone: 503s, {got:?}");
    }
}
