//! The last stage of a pass: each binding's status as the rollout and the
//! Works left it, then the placement's status folded from its bindings
//! (the pure `placement::status`), each written only when it differs.

use std::time::{Duration, Instant};

use apis::{
    conditions::{self, Status},
    placement::{ApplyStrategyType, PlacementStatus, ResourceBindingStatus, RolloutStrategyType},
};
use kube::{
    Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::events::{Event, EventType},
};
use tracing::warn;

use super::{
    pass::{Error, Pass},
    scheduling::Scheduled,
    snapshots::{Group, stored_group},
    sync::Synced,
    write::{patch_binding_statuses, status_patch},
};
use crate::{
    placement::{
        events,
        family::{Family, Object, WithSpec, WithStatus},
        selection::resolve::Selected,
        status::{self, BindingView},
    },
    resources::lookup::identifier,
};

/// The shortest time between two status writes of one placement.
const STATUS_INTERVAL: Duration = Duration::from_secs(1);

/// Writes each binding's status where this pass changed it.
pub async fn bindings<F: Family>(pass: &mut Pass<'_, F>, synced: Synced) -> Result<(), Error> {
    let mut patches = Vec::new();
    for (name, new) in synced.bindings {
        let Some(b) = pass.bindings.iter().find(|b| b.name_any() == name) else { continue };
        let old = b.status().cloned().unwrap_or_default();
        let reports = new.reports.unwrap_or_else(|| old.reports.clone());
        let mut want = ResourceBindingStatus { reports, conditions: new.conditions };
        status::keep_transition_times(&old.conditions, &mut want.conditions);
        if want != old {
            patches.push((name, status_patch(&want, &["failedPlacements", "driftedPlacements", "diffedPlacements"])));
        }
    }
    patch_binding_statuses(pass, patches).await
}

/// The placement's status from its bindings under the latest policy
/// snapshot. A placement's status names every cluster (hundreds of KiB on a
/// large fleet) and changes with each member's report: it is written at most
/// once per STATUS_INTERVAL, the first change at once and the last one always.
pub async fn placement<F: Family>(
    pass: &mut Pass<'_, F>,
    selected: &Selected,
    group: &Group,
    scheduled: &Scheduled,
) -> Result<(), Error> {
    let bindings: Vec<BindingView> = pass
        .bindings
        .iter()
        .filter(|b| {
            b.meta().deletion_timestamp.is_none()
                && b.spec().scheduling_policy_snapshot_name == scheduled.policy_snapshot
        })
        .map(|b| BindingView { spec: b.spec(), status: b.status(), generation: b.meta().generation.unwrap_or(0) })
        .collect();
    let report_diff =
        (pass.spec().strategy.apply_strategy.as_ref()).is_some_and(|a| a.type_ == ApplyStrategyType::ReportDiff);
    // External (KubeFleet's): the version its clusters agree on, whichever a
    // run rolled, is the one reported; while they differ, the runs tell.
    let mut reported =
        (selected.identifiers(), (!group.is_none()).then(|| (group.master.clone(), group.index.clone())));
    let mut external_unknown = None;
    if pass.spec().strategy.type_ == RolloutStrategyType::External {
        let version = status::external_version(&bindings);
        let run_kind = if F::NAMESPACED { "StagedUpdateRun" } else { "ClusterStagedUpdateRun" };
        external_unknown = status::external_unknown(&version, run_kind);
        if let status::ExternalVersion::One(name) = version {
            reported = match stored_group(pass, name) {
                Some(g) => {
                    let ids = g.snapshots.iter().flat_map(|(_, ms)| ms).map(|m| identifier(&m.0)).collect();
                    (ids, Some((g.master, g.index)))
                }
                None => (Vec::new(), None),
            };
        }
    }
    let st = status::status(&status::Input {
        types: F::CONDITIONS,
        diff_reported_type: F::DIFF_REPORTED,
        report_diff,
        generation: pass.generation,
        policy: pass.spec().policy.as_ref(),
        selected: reported.0,
        latest_snapshot: reported.1.as_ref().map(|(m, i)| (m.as_str(), i.as_str())),
        schedule: scheduled.status.as_ref(),
        bindings,
        previous: pass.placement.status(),
        external_unknown,
    });
    let since = pass.ctx.status_written.lock().expect("lock").get(&pass.key).map(|t| t.elapsed());
    match since {
        Some(since) if since < STATUS_INTERVAL && pass.placement.status() != Some(&st) => {
            pass.requeue_after(STATUS_INTERVAL - since);
        }
        _ => {
            let said = events::transitions(
                F::CONDITIONS,
                F::DIFF_REPORTED,
                report_diff,
                pass.generation,
                pass.placement.status(),
                &st,
            );
            if write_status(pass, st).await? {
                pass.ctx.status_written.lock().expect("lock").insert(pass.key.clone(), Instant::now());
                publish(pass, said);
            }
        }
    }
    Ok(())
}

/// Publishes `said` on the placement, in the background: an event is a
/// courtesy, and one that cannot be written is logged, not retried.
fn publish<F: Family>(pass: &Pass<'_, F>, said: Vec<(&'static str, &'static str)>) {
    if said.is_empty() {
        return;
    }
    let (recorder, reference, key) = (pass.ctx.recorder.clone(), pass.placement.object_ref(&()), pass.key.clone());
    tokio::spawn(async move {
        for (reason, note) in said {
            let event = Event {
                type_: EventType::Normal,
                reason: reason.into(),
                note: Some(note.into()),
                action: reason.into(),
                secondary: None,
            };
            if let Err(e) = recorder.publish(&event, &reference).await {
                warn!(placement = %key, %reason, error = %e, "cannot publish an event");
            }
        }
    });
}

/// The status of a placement that cannot be scheduled for `reason`: its
/// Scheduled condition False, and no later stage (none ran).
pub async fn not_scheduled<F: Family>(pass: &Pass<'_, F>, reason: &str, message: String) -> Result<(), Error> {
    let c = conditions::new(F::CONDITIONS[0], Status::False, reason, message, Some(pass.generation));
    let mut st = pass.placement.status().cloned().unwrap_or_default();
    conditions::set(&mut st.conditions, c);
    st.conditions.retain(|c| c.type_ == F::CONDITIONS[0]);
    write_status(pass, st).await?;
    Ok(())
}

/// Writes the placement's status if it differs; whether it wrote.
async fn write_status<F: Family>(pass: &Pass<'_, F>, status: PlacementStatus) -> Result<bool, Error> {
    if pass.placement.status() == Some(&status) {
        return Ok(false);
    }
    let patch =
        status_patch(&status, &["selectedResources", "observedResourceIndex", "placementStatuses", "conditions"]);
    F::Placement::api(pass.ctx.client.clone(), pass.ns())
        .patch_status(&pass.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(pass.kube("writing the status"))?;
    Ok(true)
}
