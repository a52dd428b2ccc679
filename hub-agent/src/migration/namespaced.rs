//! ResourcePlacementMigration (the namespaced kind) is served but not carried
//! out yet: its controller says so on each object (`Accepted=False`,
//! `KindNotSupported`) instead of leaving it silently Pending. Nothing moves.

use std::{sync::Arc, time::Duration};

use apis::{
    conditions::{self, placement as p},
    placement::{MigrationPhase, ResourcePlacementMigration},
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing, ok_if_gone},
};
use futures::StreamExt;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{Controller, controller::Action, watcher},
};
use serde_json::json;
use tracing::warn;

const CONTROLLER: &str = "resourceplacementmigration";

struct Context {
    client: Client,
    reconciles: Reconciles,
}

async fn reconcile(m: Arc<ResourcePlacementMigration>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let mut status = m.status.clone().unwrap_or_default();
    status.phase = Some(MigrationPhase::Pending);
    status.observed_generation = m.metadata.generation;
    let message = format!(
        "ResourcePlacementMigration is not carried out yet: nothing moves; move ResourcePlacement {} by hand, or its application with a ClusterResourcePlacement and a ClusterResourcePlacementMigration",
        m.spec.migration.placement_name
    );
    let c = conditions::new(
        p::MIGRATION_ACCEPTED,
        false,
        p::REASON_MIGRATION_KIND_NOT_SUPPORTED,
        message,
        m.metadata.generation,
    );
    if !conditions::set(&mut status.conditions, c) && m.status.as_ref().is_some_and(|s| s.phase == status.phase) {
        return Ok(Action::await_change());
    }
    let api: Api<ResourcePlacementMigration> = Api::namespaced(ctx.client.clone(), &m.namespace().unwrap_or_default());
    ok_if_gone(
        api.patch_status(&m.name_any(), &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await,
    )
    .map_err(doing("writing the status"))?;
    Ok(Action::await_change())
}

fn error_policy(m: Arc<ResourcePlacementMigration>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(migration = %m.name_any(), error = %e, "ResourcePlacementMigration pass failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    Controller::new(Api::<ResourcePlacementMigration>::all(client.clone()), watcher::Config::default())
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
