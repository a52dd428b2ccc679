//! hub-agent: runs on the hub and turns placements and overrides into per-cluster Works.
//! For now it connects to the hub and serves its admin endpoints; the
//! controllers arrive with the membership, placement and override issues.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use flotilla_runtime::{AdminServer, Readiness, admin::shutdown_signal, client, telemetry};
use prometheus_client::registry::Registry;
use tracing::info;

#[derive(Parser, Debug)]
#[command(name = "hub-agent", version, about = "Flotilla hub agent")]
struct Args {
    /// Kubeconfig of the hub cluster; without it, the in-cluster config is used.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Address of the admin server (/healthz, /readyz, /metrics).
    #[arg(long, default_value = "0.0.0.0:8080")]
    admin_address: SocketAddr,
    /// Log one JSON object per line.
    #[arg(long)]
    log_json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    telemetry::init(args.log_json);

    let readiness = Readiness::default();
    let admin = AdminServer::bind(args.admin_address, Registry::default(), "hub-agent", readiness.clone()).await?;
    info!(address = %admin.local_addr()?, "admin server listening");
    let admin = tokio::spawn(admin.serve(shutdown_signal()));

    let hub = client::connect(args.kubeconfig.as_deref(), "hub").await?;
    let version = client::check(&hub, "hub").await?;
    info!(%version, "connected to the hub");
    readiness.set(true);

    admin.await??;
    info!("shut down");
    Ok(())
}
