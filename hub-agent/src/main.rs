//! hub-agent: runs on the hub and turns placements and overrides into
//! per-cluster Works: membership (MemberCluster ⇄ InternalMemberCluster) and
//! placement (ClusterResourcePlacement/ResourcePlacement → snapshots →
//! bindings → Works).

use std::{path::PathBuf, sync::Arc, time::Duration};

use apis::placement::{ClusterResourceOverride, ResourceOverride};
use clap::Parser;
use flotilla_runtime::{Readiness, Supervisor, admin::AdminArgs, client};
use hub_agent::{
    adoption, eviction, membership, metrics, migration, overrides,
    placement::{
        self,
        family::{Cluster, Namespaced},
    },
    stagedupdate, traffic, webhook,
};
use prometheus_client::registry::Registry;
use tracing::info;

#[derive(Parser, Debug)]
#[command(name = "hub-agent", version, about = "Flotilla hub agent")]
struct Args {
    /// Kubeconfig of the hub cluster; without it, the in-cluster config is used.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// How long a deleted member's agent gets to acknowledge leaving before the
    /// hub removes the member's namespace without it.
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration)]
    force_delete_wait_time: Duration,
    /// A member whose last heartbeat is older than this gets no new placements.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    heartbeat_timeout: Duration,
    /// A member that has not been healthy for this long gets no new placements.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    unhealthy_timeout: Duration,
    #[command(flatten)]
    webhook: webhook::WebhookArgs,
    #[command(flatten)]
    traffic: traffic::profiles::TrafficArgs,
    #[command(flatten)]
    admin: AdminArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut registry = Registry::default();
    let metrics = metrics::Metrics::register(&mut registry);
    let traffic_metrics = traffic::dataplane::plane::Metrics::register(&mut registry);
    let readiness = Readiness::default();
    let admin = args.admin.start("hub-agent", registry, readiness.clone()).await?;

    let hub = client::connect(args.kubeconfig.as_deref(), "hub").await?;
    let version = client::check(&hub, "hub").await?;
    info!(%version, "connected to the hub");

    let config = membership::Config {
        force_delete_wait: args.force_delete_wait_time,
        eligibility: membership::eligibility::Policy {
            heartbeat_timeout: args.heartbeat_timeout,
            unhealthy_timeout: args.unhealthy_timeout,
        },
    };
    let placement_config = placement::controller::Config { eligibility: config.eligibility };
    // Ready once both controllers have loaded their caches and the webhook (if any) listens.
    let (membership_ready, placement_ready) = (tokio::sync::oneshot::channel(), tokio::sync::oneshot::channel());
    let webhook_ready = tokio::sync::oneshot::channel();
    let ready = readiness.clone();
    tokio::spawn(async move {
        if membership_ready.1.await.is_ok() && placement_ready.1.await.is_ok() && webhook_ready.1.await.is_ok() {
            ready.set(true);
        }
    });
    // Every controller is supervised: the first to stop ends the agent (a
    // failure exits non-zero so Kubernetes restarts it), never a half-running
    // agent whose readiness still says yes.
    let mut tasks = Supervisor::default();
    let webhook_tx = webhook_ready.0;
    tasks.spawn(
        "webhook",
        webhook::serve(args.webhook, hub.clone(), move || {
            let _ = webhook_tx.send(());
        }),
    );
    let membership_tx = membership_ready.0;
    tasks.spawn(
        "membership",
        membership::run(hub.clone(), config, metrics.clone(), move || {
            let _ = membership_tx.send(());
        }),
    );
    let reconciles = metrics.reconciles.clone();
    tasks.spawn(
        "cluster resource overrides",
        overrides::controller::run::<ClusterResourceOverride>(hub.clone(), reconciles.clone()),
    );
    tasks.spawn("evictions", eviction::controller::run(hub.clone(), reconciles.clone()));
    tasks.spawn("adoptions", adoption::controller::run(hub.clone(), reconciles.clone()));
    tasks.spawn("promote policies", adoption::promote::run(hub.clone(), reconciles.clone()));
    tasks
        .spawn("cluster staged update runs", stagedupdate::controller::run::<Cluster>(hub.clone(), reconciles.clone()));
    tasks.spawn("staged update runs", stagedupdate::controller::run::<Namespaced>(hub.clone(), reconciles.clone()));
    tasks.spawn("resource overrides", overrides::controller::run::<ResourceOverride>(hub.clone(), reconciles.clone()));
    tasks.spawn("service imports", traffic::imports::controller::run(hub.clone(), reconciles.clone()));
    // The data plane feeds the recordings the migrations start.
    let recorder = Arc::new(traffic::dataplane::recording::Recorder::default());
    tasks.spawn("migrations", migration::controller::run(hub.clone(), recorder.clone(), reconciles.clone()));
    tasks.spawn("kurator migrates", migration::migrate::run(hub.clone(), reconciles.clone()));
    tasks.spawn("resource placement migrations", migration::namespaced::run(hub.clone(), reconciles.clone()));
    tasks.spawn(
        "traffic profiles",
        traffic::profiles::controller::run(hub.clone(), args.traffic, traffic_metrics, recorder, reconciles),
    );
    let placement_tx = placement_ready.0;
    tasks.spawn(
        "placement",
        placement::controller::run(hub, placement_config, metrics, move || {
            let _ = placement_tx.send(());
        }),
    );
    tasks.spawn("admin server", async move { admin.await? });

    tasks.wait(&readiness).await?;
    info!("shut down");
    Ok(())
}
