//! member-agent: runs in each member cluster, joins the fleet and applies its
//! Works. It talks to the hub with its own credentials.

use std::path::PathBuf;

use clap::Parser;
use flotilla_runtime::{
    Readiness, Supervisor,
    admin::AdminArgs,
    client::{self, HubAuth},
};
use member_agent::{join, metrics};
use prometheus_client::registry::Registry;
use tracing::info;

#[derive(Parser, Debug)]
#[command(name = "member-agent", version, about = "Flotilla member agent")]
struct Args {
    /// This member's name in the fleet (its MemberCluster on the hub).
    #[arg(long, env = "MEMBER_CLUSTER_NAME")]
    member_name: String,
    /// The hub API server, e.g. https://hub.example:6443 (with --hub-ca and an identity).
    #[arg(long, env = "HUB_SERVER_URL", conflicts_with = "hub_kubeconfig")]
    hub_url: Option<String>,
    /// PEM file of the CA that signed the hub's serving certificate.
    #[arg(long, env = "HUB_CERTIFICATE_AUTHORITY", requires = "hub_url")]
    hub_ca: Option<PathBuf>,
    /// This agent's client certificate for the hub (PEM).
    #[arg(long, env = "IDENTITY_CERT", requires_all = ["hub_url", "identity_key"], conflicts_with = "token_file")]
    identity_cert: Option<PathBuf>,
    /// The key of --identity-cert (PEM).
    #[arg(long, env = "IDENTITY_KEY", requires = "identity_cert")]
    identity_key: Option<PathBuf>,
    /// A file holding this agent's bearer token for the hub.
    #[arg(long, env = "CONFIG_PATH", requires = "hub_url")]
    token_file: Option<PathBuf>,
    /// Alternatively, a kubeconfig holding the agent's own hub credentials.
    #[arg(long, env = "HUB_KUBECONFIG")]
    hub_kubeconfig: Option<PathBuf>,
    /// Kubeconfig of the member cluster; without it, the in-cluster config is used.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Apply this member's Works (turn off to run the agent for membership only).
    #[arg(long, env = "ENABLE_WORK_APPLIER", default_value_t = true, action = clap::ArgAction::Set)]
    work_applier: bool,
    #[command(flatten)]
    admin: AdminArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut registry = Registry::default();
    let metrics = metrics::Metrics::register(&mut registry);
    let readiness = Readiness::default();
    let admin = args.admin.start("member-agent", registry, readiness.clone()).await?;
    info!(member = %args.member_name, "starting");

    let hub = match (&args.hub_url, &args.hub_kubeconfig) {
        (Some(url), _) => {
            let auth = match (&args.identity_cert, &args.identity_key, &args.token_file) {
                (Some(cert), Some(key), _) => HubAuth::ClientCertificate { cert: cert.clone(), key: key.clone() },
                (_, _, Some(token)) => HubAuth::TokenFile(token.clone()),
                _ => anyhow::bail!("--hub-url needs an identity: --identity-cert and --identity-key, or --token-file"),
            };
            client::connect_to(url, args.hub_ca.as_deref(), auth, "hub").await?
        }
        (None, Some(kc)) => client::connect(Some(kc), "hub").await?,
        (None, None) => anyhow::bail!("say how to reach the hub: --hub-url with an identity, or --hub-kubeconfig"),
    };
    let member = client::connect(args.kubeconfig.as_deref(), "member").await?;
    let hub_version = client::check(&hub, "hub").await?;
    let member_version = client::check(&member, "member").await?;
    info!(%hub_version, %member_version, "connected to the hub and the member cluster");

    let agent = join::Agent { name: args.member_name, hub, member, metrics, work_applier: args.work_applier };
    let ready = readiness.clone();
    // Supervised: the first to stop ends the agent (see Supervisor).
    let mut tasks = Supervisor::default();
    tasks.spawn("joining", join::run(agent, move |r| ready.set(r)));
    tasks.spawn("admin server", async move { admin.await? });
    tasks.wait(&readiness).await?;
    info!("shut down");
    Ok(())
}
