//! member-agent: runs in each member cluster, joins the fleet and applies its Works.
//! For now it connects to the hub and to its member cluster and serves its admin
//! endpoints; joining, heartbeats and the applier arrive with later issues.

use std::path::PathBuf;

use clap::Parser;
use flotilla_runtime::{Readiness, admin::AdminArgs, client};
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
    #[command(flatten)]
    admin: AdminArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let readiness = Readiness::default();
    let admin = args.admin.start("member-agent", Registry::default(), readiness.clone()).await?;
    info!(member = %args.member_name, "starting");

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
