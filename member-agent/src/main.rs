//! member-agent: runs in each member cluster, joins the fleet and applies its Works.
//! For now it connects to the hub and to its member cluster and serves its admin
//! endpoints; joining, heartbeats and the applier arrive with later issues.

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;
use flotilla_runtime::{AdminServer, Readiness, admin::shutdown_signal, client, telemetry};
use prometheus_client::registry::Registry;
use tracing::info;

#[derive(Parser, Debug)]
#[command(name = "member-agent", version, about = "Flotilla member agent")]
struct Args {
    /// This member's name in the fleet (its MemberCluster on the hub).
    #[arg(long, env = "MEMBER_CLUSTER_NAME")]
    member_name: String,
    /// Kubeconfig holding the agent's own hub credentials.
    #[arg(long, env = "HUB_KUBECONFIG")]
    hub_kubeconfig: PathBuf,
    /// Kubeconfig of the member cluster; without it, the in-cluster config is used.
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
    let admin = AdminServer::bind(args.admin_address, Registry::default(), "member-agent", readiness.clone()).await?;
    info!(address = %admin.local_addr()?, member = %args.member_name, "admin server listening");
    let admin = tokio::spawn(admin.serve(shutdown_signal()));

    let hub = client::connect(Some(&args.hub_kubeconfig), "hub").await?;
    let member = client::connect(args.kubeconfig.as_deref(), "member").await?;
    let hub_version = client::check(&hub, "hub").await?;
    let member_version = client::check(&member, "member").await?;
    info!(%hub_version, %member_version, "connected to the hub and the member cluster");
    readiness.set(true);

    admin.await??;
    info!("shut down");
    Ok(())
}
