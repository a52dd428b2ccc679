//! The controller honouring Kurator's Migrate (`kurator`): it adopts the
//! source's selected objects (finding their namespaces with a dry run first
//! when the filter names none), then adds every target to the adoption's
//! placement, and tells the progress in Kurator's phases. Deleting a Migrate
//! leaves everything where it is, as Kurator does: the adoption and its
//! placement stay, so the fleet keeps managing every copy.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use apis::{
    conditions::{self, Status, cluster as cc, placement as p},
    kurator::{Migrate, MigratePhase, MigrateStatus},
    labels,
    placement::{AdoptionPhase, ClusterResourceAdoption, ClusterResourcePlacement},
};
use flotilla_runtime::{
    Reconciles,
    api::{CallFailed as Error, doing, ok_if_gone},
};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef, watcher},
};
use serde_json::json;
use tracing::{info, warn};

use super::kurator::{self, Member};
use crate::adoption::controller::member_changes;

const CONTROLLER: &str = "migrate";

struct Context {
    client: Client,
    reconciles: Reconciles,
}

fn condition(
    type_: &str,
    ok: impl Into<Status>,
    reason: &str,
    message: impl Into<String>,
    m: &Migrate,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
    conditions::new(type_, ok, reason, message, m.metadata.generation)
}

async fn write(client: &Client, m: &Migrate, status: &MigrateStatus) -> Result<(), Error> {
    if m.status.as_ref() == Some(status) {
        return Ok(());
    }
    if m.status.as_ref().and_then(|s| s.phase) != status.phase {
        info!(migrate = %m.name_any(), namespace = ?m.namespace(), phase = ?status.phase, "Migrate phase");
    }
    let api: Api<Migrate> = Api::namespaced(client.clone(), &m.namespace().unwrap_or_default());
    ok_if_gone(api.patch_status(&m.name_any(), &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await)
        .map_err(doing("writing the Migrate's status"))
}

/// Sets the phase and `sourceReady=False` with why, writes the status, and waits for a change.
async fn source_not_ready(
    client: &Client,
    m: &Migrate,
    mut status: MigrateStatus,
    phase: MigratePhase,
    reason: &str,
    message: String,
) -> Result<Action, Error> {
    status.phase = Some(phase);
    conditions::set(&mut status.conditions, condition(p::KURATOR_SOURCE_READY, false, reason, message, m));
    write(client, m, &status).await?;
    Ok(Action::await_change())
}

async fn create_adoption(
    client: &Client,
    m: &Migrate,
    name: &str,
    spec: apis::placement::AdoptionSpec,
) -> Result<(), Error> {
    let ns = m.namespace().unwrap_or_default();
    let a = ClusterResourceAdoption {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some([(labels::KURATOR_MIGRATE.to_string(), kurator::label_value(&ns, &m.name_any()))].into()),
            ..Default::default()
        },
        spec,
        status: None,
    };
    match Api::<ClusterResourceAdoption>::all(client.clone()).create(&PostParams::default(), &a).await {
        Ok(_) => {
            info!(migrate = %m.name_any(), adoption = %name, "adoption created");
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(doing("creating an adoption")(e)),
    }
}

async fn reconcile(m: Arc<Migrate>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _timer = ctx.reconciles.start(CONTROLLER);
    let client = &ctx.client;
    let (ns, name) = (m.namespace().unwrap_or_default(), m.name_any());
    let mut status = m.status.clone().unwrap_or_default();
    let mcs = Api::<apis::cluster::MemberCluster>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(doing("listing members"))?;
    let members: Vec<Member> = mcs
        .items
        .iter()
        .map(|mc| Member {
            name: mc.metadata.name.as_deref().unwrap_or_default(),
            kurator_name: mc.labels().get(labels::KURATOR_CLUSTER_NAME).map(String::as_str),
            joined: mc.metadata.deletion_timestamp.is_none()
                && mc.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, cc::JOINED)),
        })
        .collect();
    let mut errors = kurator::unsupported(&m.spec);
    let resolved = kurator::clusters(&m.spec, &members);
    if let Err(e) = &resolved {
        errors.extend(e.iter().cloned());
    }
    let adoptions: Api<ClusterResourceAdoption> = Api::all(client.clone());
    let adoption_name = kurator::adoption_name(&ns, &name);
    let adoption = adoptions.get_opt(&adoption_name).await.map_err(doing("reading the adoption"))?;
    if adoption.is_none() && !errors.is_empty() {
        return source_not_ready(
            client,
            &m,
            status,
            MigratePhase::FailedValidation,
            p::REASON_KURATOR_VALIDATION_FAILED,
            errors.join("; "),
        )
        .await;
    }
    let Ok((source, targets)) = resolved else {
        // Started already, and a cluster went away since: say so, keep what was done.
        conditions::set(
            &mut status.conditions,
            condition(p::KURATOR_TARGETS_READY, false, p::REASON_KURATOR_VALIDATION_FAILED, errors.join("; "), &m),
        );
        write(client, &m, &status).await?;
        return Ok(Action::await_change());
    };
    let kind_of = |c: &str| {
        let kurator_name = members.iter().find(|x| x.name == c).and_then(|x| x.kurator_name);
        kurator::kind_of(&m.spec, c, kurator_name)
    };

    // The adoption of the source's objects, after finding their namespaces if need be.
    let Some(adoption) = adoption else {
        let namespaces = match kurator::named_namespaces(&m.spec) {
            Some(n) => n,
            None => {
                let scan_name = kurator::scan_name(&ns, &name);
                let scan = adoptions.get_opt(&scan_name).await.map_err(doing("reading the scan"))?;
                let Some(scan) = scan else {
                    create_adoption(client, &m, &scan_name, kurator::scan_spec(&m.spec, &source, &scan_name)).await?;
                    let msg = format!("finding the objects the filter selects on {source}");
                    return source_not_ready(
                        client,
                        &m,
                        status,
                        MigratePhase::WaitingForSource,
                        p::REASON_KURATOR_FINDING_OBJECTS,
                        msg,
                    )
                    .await;
                };
                let st = scan.status.clone().unwrap_or_default();
                let diffed = conditions::is_true(&st.conditions, p::ADOPTION_DIFFED);
                if st.phase == Some(AdoptionPhase::Failed) {
                    let why = kurator::failures(&st);
                    return source_not_ready(
                        client,
                        &m,
                        status,
                        MigratePhase::Failed,
                        p::REASON_KURATOR_ADOPTION_FAILED,
                        why,
                    )
                    .await;
                }
                if !diffed {
                    return Ok(Action::await_change());
                }
                let found = kurator::found_namespaces(&st);
                ok_if_gone(adoptions.delete(&scan_name, &DeleteParams::background()).await)
                    .map_err(doing("deleting the scan"))?;
                if found.is_empty() {
                    let msg = format!("no object on {source} matches spec.policy.resourceFilter");
                    return source_not_ready(
                        client,
                        &m,
                        status,
                        MigratePhase::Failed,
                        p::REASON_KURATOR_NOTHING_SELECTED,
                        msg,
                    )
                    .await;
                }
                found
            }
        };
        create_adoption(
            client,
            &m,
            &adoption_name,
            kurator::adoption_spec(&m.spec, &source, namespaces, &adoption_name),
        )
        .await?;
        let msg = format!("adopting the selected objects on {source} (they keep running)");
        return source_not_ready(client, &m, status, MigratePhase::WaitingForSource, p::REASON_KURATOR_ADOPTING, msg)
            .await;
    };

    let st = adoption.status.clone().unwrap_or_default();
    status.source_cluster_status = Some(kurator::source_status(&source, &kind_of(&source), &adoption_name, Some(&st)));
    match st.phase {
        Some(AdoptionPhase::Adopted) => {}
        Some(AdoptionPhase::Failed | AdoptionPhase::Released) => {
            let why = kurator::failures(&st);
            return source_not_ready(client, &m, status, MigratePhase::Failed, p::REASON_KURATOR_ADOPTION_FAILED, why)
                .await;
        }
        _ => {
            status.phase = Some(MigratePhase::WaitingForSource);
            write(client, &m, &status).await?;
            return Ok(Action::await_change());
        }
    }
    let msg = format!("{} object(s) adopted on {source}", st.adopted_count);
    conditions::set(
        &mut status.conditions,
        condition(p::KURATOR_SOURCE_READY, true, p::REASON_KURATOR_ADOPTED, msg, &m),
    );

    // The targets join the adoption's placement.
    let crps: Api<ClusterResourcePlacement> = Api::all(client.clone());
    let Some(crp) = crps.get_opt(&adoption_name).await.map_err(doing("reading the placement"))? else {
        return Ok(Action::requeue(Duration::from_secs(1)));
    };
    let names = crp.spec.policy.as_ref().map(|p| p.cluster_names.clone()).unwrap_or_default();
    let missing: Vec<&String> = targets.iter().filter(|t| !names.contains(t)).collect();
    if !missing.is_empty() {
        let mut all = names.clone();
        all.extend(missing.into_iter().cloned());
        let patch =
            json!({"metadata": {"resourceVersion": crp.resource_version()}, "spec": {"policy": {"clusterNames": all}}});
        crps.patch(&adoption_name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(doing("adding the targets to the placement"))?;
        info!(migrate = %name, targets = ?targets, "targets added to the placement");
    }
    let started = conditions::find(&status.conditions, p::KURATOR_SOURCE_READY).map(|c| c.last_transition_time.clone());
    let per_cluster: BTreeMap<&str, Option<Time>> = crp
        .status
        .iter()
        .flat_map(|s| &s.placement_statuses)
        .map(|c| {
            let available = conditions::find(&c.conditions, p::AVAILABLE)
                .filter(|x| x.status == "True")
                .map(|x| x.last_transition_time.clone());
            (c.cluster_name.as_str(), available)
        })
        .collect();
    status.target_cluster_status = targets
        .iter()
        .map(|t| {
            let available = per_cluster.get(t.as_str()).cloned().flatten();
            kurator::target_status(t, &kind_of(t), &kurator::restore_name(t, &ns, &name), started.clone(), available)
        })
        .collect();
    let done = status
        .target_cluster_status
        .iter()
        .filter(|t| t.restore_status_in_cluster.as_ref().is_some_and(|s| s.phase == "Completed"));
    let (n, all) = (done.count(), targets.len());
    if n == all {
        status.phase = Some(MigratePhase::Completed);
        let msg = format!("the objects run on {}", targets.join(", "));
        conditions::set(
            &mut status.conditions,
            condition(p::KURATOR_TARGETS_READY, true, p::REASON_KURATOR_PLACED, msg, &m),
        );
    } else {
        status.phase = Some(MigratePhase::InProgress);
        let msg = format!("{n} of {all} target(s) run the objects");
        conditions::set(
            &mut status.conditions,
            condition(p::KURATOR_TARGETS_READY, false, p::REASON_KURATOR_PLACING, msg, &m),
        );
    }
    write(client, &m, &status).await?;
    Ok(Action::await_change())
}

fn error_policy(m: Arc<Migrate>, e: &Error, ctx: Arc<Context>) -> Action {
    warn!(migrate = %m.name_any(), error = %e, "Migrate pass failed; retrying");
    ctx.reconciles.failed(CONTROLLER);
    Action::requeue(Duration::from_secs(2))
}

/// Runs until shutdown.
pub async fn run(client: Client, reconciles: Reconciles) -> anyhow::Result<()> {
    let controller = Controller::new(Api::<Migrate>::all(client.clone()), watcher::Config::default());
    let (s1, s2, s3) = (controller.store(), controller.store(), controller.store());
    let by = |store: &kube::runtime::reflector::Store<Migrate>, f: &dyn Fn(&Migrate) -> bool| {
        store.state().iter().filter(|m| f(m)).map(|m| ObjectRef::from_obj(&**m)).collect::<Vec<_>>()
    };
    controller
        .watches(
            Api::<ClusterResourceAdoption>::all(client.clone()),
            watcher::Config::default().labels(labels::KURATOR_MIGRATE),
            move |a| {
                let v = a.labels().get(labels::KURATOR_MIGRATE).cloned().unwrap_or_default();
                by(&s1, &|m| kurator::label_value(&m.namespace().unwrap_or_default(), &m.name_any()) == v)
            },
        )
        .watches(
            Api::<ClusterResourcePlacement>::all(client.clone()),
            watcher::Config::default().labels(labels::ADOPTION),
            move |c| {
                by(&s2, &|m| kurator::adoption_name(&m.namespace().unwrap_or_default(), &m.name_any()) == c.name_any())
            },
        )
        .watches_stream(member_changes(&client), move |_| by(&s3, &|_| true))
        .shutdown_on_signal()
        .run(reconcile, error_policy, Arc::new(Context { client, reconciles }))
        .for_each(|_| async {})
        .await;
    Ok(())
}
