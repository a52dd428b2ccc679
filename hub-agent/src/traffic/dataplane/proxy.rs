//! The proxies. HTTP (HTTP/1.1 and HTTP/2, hyper): each request goes to an
//! endpoint picked by weight; a failed connect is retried on another
//! endpoint, so an endpoint that just went away costs no failed request. The
//! request body is buffered first so it can be sent again. Hop-by-hop
//! headers stop at the proxy both ways (`headers`), so upstream connections
//! stay pooled whatever the client asks of its own; an HTTP/1.1 `Upgrade`
//! (WebSocket) is forwarded only as a real upgrade, the two upgraded
//! connections then joined byte for byte. TCP: each
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

use super::{headers, routes::Table};

/// Requests above this size are refused (the body is buffered for retries).
const MAX_BODY: usize = 16 << 20;

pub type Body = BoxBody<Bytes, hyper::Error>;

/// What the proxies report per endpoint (name, cluster): a request or
/// connection done (ok, seconds), and the number in flight going up or down;
/// and per client request (or connection) its answer: ok, seconds.
pub struct Observer {
    pub done: Box<Done>,
    pub in_flight: Box<InFlight>,
    pub answered: Box<Answered>,
}

/// (endpoint, cluster, ok, seconds).
pub type Done = dyn Fn(&str, &str, bool, f64) + Send + Sync;
/// (endpoint, cluster, change).
pub type InFlight = dyn Fn(&str, &str, i64) + Send + Sync;
/// (ok, seconds): an answer below 500 is ok.
pub type Answered = dyn Fn(bool, f64) + Send + Sync;

pub type Observe = Arc<Observer>;

/// A request (or connection) counted in flight until dropped: a client that
/// goes away mid-request drops the future, and the count still comes down.
struct InFlightGuard<'a> {
    observe: &'a Observer,
    endpoint: &'a str,
    cluster: &'a str,
}

impl<'a> InFlightGuard<'a> {
    fn new(observe: &'a Observer, endpoint: &'a str, cluster: &'a str) -> Self {
        (observe.in_flight)(endpoint, cluster, 1);
        InFlightGuard { observe, endpoint, cluster }
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        (self.observe.in_flight)(self.endpoint, self.cluster, -1);
    }
}

fn text(status: StatusCode, s: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(s.to_string())).map_err(|never: Infallible| match never {}).boxed();
    Response::builder().status(status).body(body).expect("a valid response")
}

async fn forward(
    mut req: Request<Incoming>,
    table: Arc<Table>,
    client: Client<HttpConnector, Full<Bytes>>,
    observe: Observe,
) -> Result<Response<Body>, Infallible> {
    let upgrade = headers::upgrade(req.headers());
    let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let mut sent = headers::end_to_end(&parts.headers);
    if let Some(protocol) = &upgrade {
        headers::with_upgrade(&mut sent, protocol.clone());
    }
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
        let mut out = Request::builder()
            .method(parts.method.clone())
            .uri(uri)
            .body(Full::new(body.clone()))
            .expect("a valid request");
        *out.headers_mut() = sent.clone();
        let started = Instant::now();
        ep.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let flight = InFlightGuard::new(&observe, &ep.name, &ep.cluster);
        let result = client.request(out).await;
        drop(flight);
        match result {
            Ok(mut resp) => {
                let ok = !resp.status().is_server_error();
                (observe.done)(&ep.name, &ep.cluster, ok, started.elapsed().as_secs_f64());
                let switching = resp.status() == StatusCode::SWITCHING_PROTOCOLS;
                let upgraded = switching.then(|| hyper::upgrade::on(&mut resp));
                let (mut p, b) = resp.into_parts();
                p.headers = headers::end_to_end(&p.headers);
                match (upgraded, client_upgrade, &upgrade) {
                    (Some(backend), Some(client), Some(protocol)) => {
                        headers::with_upgrade(&mut p.headers, protocol.clone());
                        tokio::spawn(join_upgraded(client, backend, ep.name.clone()));
                    }
                    // A 101 nobody asked for cannot be honoured.
                    (Some(_), ..) => {
                        return Ok(text(
                            StatusCode::BAD_GATEWAY,
                            &format!("endpoint {}: unrequested upgrade", ep.name),
                        ));
                    }
                    _ => {}
                }
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

/// Copies bytes both ways between the client's and the backend's upgraded connections.
async fn join_upgraded(client: hyper::upgrade::OnUpgrade, backend: hyper::upgrade::OnUpgrade, endpoint: String) {
    match futures::future::try_join(client, backend).await {
        Ok((c, b)) => {
            let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(c), &mut TokioIo::new(b)).await;
        }
        Err(e) => debug!(%endpoint, error = %e, "upgrade failed"),
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
            let service = hyper::service::service_fn(move |req| {
                let (table, client, observe) = (table.clone(), client.clone(), observe.clone());
                async move {
                    let started = Instant::now();
                    let resp = forward(req, table, client, observe.clone()).await?;
                    (observe.answered)(!resp.status().is_server_error(), started.elapsed().as_secs_f64());
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .await;
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
                        let flight = InFlightGuard::new(&observe, &ep.name, &ep.cluster);
                        let ok = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await.is_ok();
                        drop(flight);
                        (observe.done)(&ep.name, &ep.cluster, ok, started.elapsed().as_secs_f64());
                        (observe.answered)(ok, started.elapsed().as_secs_f64());
                        return;
                    }
                    Err(_) => {
                        ep.errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        (observe.done)(&ep.name, &ep.cluster, false, started.elapsed().as_secs_f64());
                        tried.push(i);
                    }
                }
            }
            (observe.answered)(false, 0.0);
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
            answered: Box::new(|_: bool, _: f64| {}),
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

    /// A backend that records every request's headers and counts accepted
    /// connections; its answers carry hop-by-hop headers of their own. A
    /// request with `Upgrade: echo` is switched to a connection that echoes.
    struct Recording {
        addr: SocketAddr,
        seen: Arc<std::sync::Mutex<Vec<http::HeaderMap>>>,
        accepted: Arc<std::sync::atomic::AtomicUsize>,
    }

    async fn recording_backend() -> Recording {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s2, a2) = (seen.clone(), accepted.clone());
        tokio::spawn(async move {
            loop {
                let (s, _) = listener.accept().await.unwrap();
                a2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let seen = s2.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                        seen.lock().unwrap().push(req.headers().clone());
                        async move {
                            if req.headers().get(http::header::UPGRADE).is_some_and(|u| u == "echo") {
                                let on = hyper::upgrade::on(&mut req);
                                tokio::spawn(async move {
                                    let mut io = TokioIo::new(on.await.unwrap());
                                    let mut buf = [0u8; 64];
                                    while let Ok(n) = io.read(&mut buf).await {
                                        if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                                            break;
                                        }
                                    }
                                });
                                let r = Response::builder()
                                    .status(StatusCode::SWITCHING_PROTOCOLS)
                                    .header("connection", "upgrade")
                                    .header("upgrade", "echo")
                                    .body(Full::new(Bytes::new()))
                                    .unwrap();
                                return Ok::<_, Infallible>(r);
                            }
                            let r = Response::builder()
                                .header("keep-alive", "timeout=5")
                                .header("connection", "x-backend-hop")
                                .header("x-backend-hop", "1")
                                .header("x-backend-end", "1")
                                .body(Full::new(Bytes::from("ok")))
                                .unwrap();
                            Ok::<_, Infallible>(r)
                        }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
        Recording { addr, seen, accepted }
    }

    /// One request on a connection of its own, as raw HTTP/1.1; the whole answer.
    async fn raw(proxy: SocketAddr, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = TcpStream::connect(proxy).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn hop_by_hop_headers_stop_at_the_proxy_both_ways() {
        let b = recording_backend().await;
        let table = Arc::new(Table::default());
        table.store(&[wanted("b", b.addr, 1)], 1);
        let p = proxy(table).await;
        let answer = raw(
            p,
            "GET / HTTP/1.1\r\nHost: app\r\nConnection: close, X-Client-Hop\r\nKeep-Alive: timeout=9\r\n\
             Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nX-Client-Hop: 1\r\nX-Request-Id: 7\r\n\r\n",
        )
        .await;
        let seen = b.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        for h in ["connection", "keep-alive", "proxy-connection", "te", "upgrade", "x-client-hop"] {
            assert!(!seen[0].contains_key(h), "the backend received {h}: {:?}", seen[0]);
        }
        assert_eq!(seen[0].get("x-request-id").unwrap(), "7", "end-to-end headers pass");
        assert_eq!(seen[0].get("host").unwrap(), "app");
        let head = answer.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{answer}");
        assert!(
            !head.contains("keep-alive") && !head.contains("x-backend-hop"),
            "the client received hop-by-hop headers: {head}"
        );
        assert!(head.contains("x-backend-end: 1"), "{head}");
    }

    #[tokio::test]
    async fn clients_that_close_their_connections_leave_the_backends_pooled() {
        let b = recording_backend().await;
        let table = Arc::new(Table::default());
        table.store(&[wanted("b", b.addr, 1)], 1);
        let p = proxy(table).await;
        const N: usize = 50;
        for _ in 0..N {
            let answer = raw(p, "GET / HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n").await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        let accepted = b.accepted.load(std::sync::atomic::Ordering::SeqCst);
        println!("{N} client connections closed after one request each: the backend accepted {accepted}");
        assert!(accepted <= 2, "{N} client connections cost the backend {accepted} connections");
    }

    #[tokio::test]
    async fn an_upgrade_is_forwarded_and_joins_both_connections() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let b = recording_backend().await;
        let table = Arc::new(Table::default());
        table.store(&[wanted("b", b.addr, 1)], 1);
        let p = proxy(table).await;
        let mut s = TcpStream::connect(p).await.unwrap();
        s.write_all(b"GET /ws HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n").await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            assert_eq!(s.read(&mut byte).await.unwrap(), 1, "closed before the answer: {head:?}");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 101"), "{head}");
        assert!(head.contains("upgrade: echo"), "{head}");
        let seen = b.seen.lock().unwrap().clone();
        assert_eq!(seen[0].get("upgrade").unwrap(), "echo");
        s.write_all(b"ping").await.unwrap();
        let mut got = [0u8; 4];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping", "bytes cross the upgraded connections");
    }
}
