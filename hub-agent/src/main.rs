//! hub-agent: runs on the hub and turns placements and overrides into per-cluster Works.
//! For now it connects to the hub and serves its admin endpoints; the
//! controllers arrive with the membership, placement and override issues.

use std::path::PathBuf;

use clap::Parser;
use flotilla_runtime::{Readiness, admin::AdminArgs, client};
use prometheus_client::registry::Registry;
use tracing::info;

#[derive(Parser, Debug)]
#[command(name = "hub-agent", version, about = "Flotilla hub agent")]
struct Args {
    /// Kubeconfig of the hub cluster; without it, the in-cluster config is used.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    #[command(flatten)]
    admin: AdminArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let readiness = Readiness::default();
    let admin = args.admin.start("hub-agent", Registry::default(), readiness.clone()).await?;

    let hub = client::connect(args.kubeconfig.as_deref(), "hub").await?;
    let version = client::check(&hub, "hub").await?;
    info!(%version, "connected to the hub");
    readiness.set(true);

    admin.await??;
    info!("shut down");
    Ok(())
}
