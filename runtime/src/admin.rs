//! The admin server: `/healthz` (the process serves), `/readyz` (the agent is
//! connected and its controllers are running) and `/metrics` (Prometheus text).

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{Router, extract::State, http::StatusCode, http::header, response::IntoResponse, routing::get};
use prometheus_client::{encoding::text::encode, metrics::info::Info, registry::Registry};
use tokio::net::TcpListener;

/// The flags every agent takes for its admin server and logging.
#[derive(clap::Args, Debug, Clone)]
pub struct AdminArgs {
    /// Address of the admin server (/healthz, /readyz, /metrics).
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub admin_address: SocketAddr,
    /// Log one JSON object per line.
    #[arg(long)]
    pub log_json: bool,
}

impl AdminArgs {
    /// Sets up logging and starts the admin server, which serves until SIGTERM
    /// or Ctrl-C; await the handle to run until then.
    pub async fn start(
        &self,
        agent: &'static str,
        registry: Registry,
        readiness: Readiness,
    ) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
        crate::telemetry::init(self.log_json);
        let server = AdminServer::bind(self.admin_address, registry, agent, readiness).await?;
        tracing::info!(address = %server.local_addr()?, "admin server listening");
        Ok(tokio::spawn(server.serve(shutdown_signal())))
    }
}

/// Set once the agent can do its job; `/readyz` answers 503 until then.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

#[derive(Clone)]
struct AppState {
    registry: Arc<Registry>,
    readiness: Readiness,
}

pub struct AdminServer {
    listener: TcpListener,
    state: AppState,
}

impl AdminServer {
    /// Binds `addr` now, so a bad address fails at startup, not later.
    pub async fn bind(
        addr: SocketAddr,
        mut registry: Registry,
        agent: &'static str,
        readiness: Readiness,
    ) -> anyhow::Result<Self> {
        registry.register(
            "flotilla_build",
            "Which Flotilla agent and version this is",
            Info::new(vec![("agent", agent), ("version", env!("CARGO_PKG_VERSION"))]),
        );
        let listener =
            TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("binding the admin server to {addr}: {e}"))?;
        Ok(Self { listener, state: AppState { registry: Arc::new(registry), readiness } })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(self.state);
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await?;
        Ok(())
    }
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    if s.readiness.get() { (StatusCode::OK, "ok") } else { (StatusCode::SERVICE_UNAVAILABLE, "not ready") }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    let mut body = String::new();
    match encode(&mut body, &s.registry) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install a SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let code = out[9..12].parse().unwrap();
        (code, out)
    }

    #[tokio::test]
    async fn serves_health_readiness_and_metrics() {
        let readiness = Readiness::default();
        let server =
            AdminServer::bind("127.0.0.1:0".parse().unwrap(), Registry::default(), "test-agent", readiness.clone())
                .await
                .unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));

        assert_eq!(get(addr, "/healthz").await.0, 200);
        assert_eq!(get(addr, "/readyz").await.0, 503, "not ready before the agent says so");
        readiness.set(true);
        assert_eq!(get(addr, "/readyz").await.0, 200);
        let (code, body) = get(addr, "/metrics").await;
        assert_eq!(code, 200);
        assert!(body.contains(r#"flotilla_build_info{agent="test-agent""#), "{body}");
        assert_eq!(get(addr, "/nope").await.0, 404);

        stop.send(()).unwrap();
        task.await.unwrap().unwrap();
    }
}
