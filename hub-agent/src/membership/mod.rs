//! Membership: MemberCluster ⇄ InternalMemberCluster, the member's reserved
//! namespace and RBAC, status mirroring, leaving and forced cleanup.

pub mod desired;
pub mod eligibility;
mod reconcile;
pub mod status;

use std::{sync::Arc, time::Duration};

use apis::{cluster::InternalMemberCluster, cluster::MemberCluster, labels};
use futures::{Stream, StreamExt};
use k8s_openapi::api::{
    core::v1::Namespace,
    rbac::v1::{Role, RoleBinding},
};
use kube::{
    Api, Client, Resource,
    runtime::{
        Controller, WatchStreamExt,
        reflector::{self, ReflectHandle, Store},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use tracing::{info, warn};

use crate::metrics::Metrics;

pub const CONTROLLER: &str = "membercluster";
/// The field manager of everything the membership controller writes.
pub const FIELD_MANAGER: &str = flotilla_runtime::field_manager::HUB_MEMBERSHIP;

#[derive(Clone, Debug)]
pub struct Config {
    /// How long a deleted member's agent gets to acknowledge leaving before the
    /// hub cleans up without it (KubeFleet: 15 minutes).
    pub force_delete_wait: Duration,
    pub eligibility: eligibility::Policy,
}

pub struct Context {
    pub client: Client,
    pub config: Config,
    pub metrics: Metrics,
    pub imcs: Store<InternalMemberCluster>,
    pub namespaces: Store<Namespace>,
    pub roles: Store<Role>,
    pub role_bindings: Store<RoleBinding>,
}

/// A watch of `K` objects labelled with a member name, feeding a store that the
/// reconciler reads and a stream that triggers it: one watch serves both.
fn shared_watch<K>(api: Api<K>) -> (Store<K>, ReflectHandle<K>, impl Stream<Item = ()> + Send)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store_shared(1024);
    let subscriber = writer.subscribe().expect("a shared store has subscribers");
    let config = watcher::Config::default().labels(labels::MEMBER_NAME).any_semantic();
    let driver = watcher(api, config).default_backoff().reflect_shared(writer).map(|ev| {
        if let Err(e) = ev {
            warn!(error = %e, "membership watch failed; retrying");
        }
    });
    (store, subscriber, driver)
}

/// Runs the MemberCluster controller until shutdown.
pub async fn run(client: Client, config: Config, metrics: Metrics, ready: impl FnOnce() + Send) -> anyhow::Result<()> {
    let (imcs, imc_events, imc_driver) = shared_watch::<InternalMemberCluster>(Api::all(client.clone()));
    let (namespaces, ns_events, ns_driver) = shared_watch::<Namespace>(Api::all(client.clone()));
    let (roles, role_events, role_driver) = shared_watch::<Role>(Api::all(client.clone()));
    let (role_bindings, rb_events, rb_driver) = shared_watch::<RoleBinding>(Api::all(client.clone()));
    let drivers =
        futures::stream::select_all([imc_driver.boxed(), ns_driver.boxed(), role_driver.boxed(), rb_driver.boxed()])
            .for_each(|_| async {});
    let drivers = tokio::spawn(drivers);

    let ctx = Arc::new(Context { client: client.clone(), config, metrics, imcs, namespaces, roles, role_bindings });
    // Reconcile only once every store has listed, or it would recreate what exists.
    let _ = futures::join!(
        ctx.imcs.wait_until_ready(),
        ctx.namespaces.wait_until_ready(),
        ctx.roles.wait_until_ready(),
        ctx.role_bindings.wait_until_ready()
    );
    info!("membership controller started");
    ready();

    Controller::new(Api::<MemberCluster>::all(client), watcher::Config::default().any_semantic())
        .owns_shared_stream(imc_events)
        .owns_shared_stream(ns_events)
        .owns_shared_stream(role_events)
        .owns_shared_stream(rb_events)
        .shutdown_on_signal()
        .run(reconcile::reconcile, reconcile::error_policy, ctx)
        .for_each(|_| async {})
        .await;
    drivers.abort();
    Ok(())
}
