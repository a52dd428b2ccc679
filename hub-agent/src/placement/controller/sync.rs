//! Work synchronization in a pass: each bound (or still serving, unscheduled)
//! binding gets exactly the Works its snapshot group calls for, written only
//! when they differ; its Overridden, WorkSynchronized, Applied and Available
//! conditions follow.

use std::{collections::BTreeSet, sync::Arc};

use apis::{
    cluster::member_namespace,
    conditions::{self, Status, placement as p},
    placement::{BindingState, Work},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use tracing::{debug, info};

use super::{
    FIELD_MANAGER,
    reconcile::{Error, Pass, delete_object, kind_of, works_by_binding},
    snapshots::{Group, stored_group},
};
use crate::placement::{
    family::{Family, Object, WithSpec, WithStatus},
    works::{desired, status},
};

pub async fn works<F: Family>(pass: &mut Pass<'_, F>, latest: &Group) -> Result<(), Error> {
    let existing = works_by_binding(pass);
    let delete_policy = pass.spec().strategy.delete_strategy.as_ref().map(|d| d.propagation_policy).unwrap_or_default();
    let names: Vec<String> = pass
        .bindings
        .iter()
        .filter(|b| {
            b.meta().deletion_timestamp.is_none()
                && b.spec().state != BindingState::Scheduled
                && !b.spec().resource_snapshot_name.is_empty()
        })
        .map(|b| b.name_any())
        .collect();
    for name in names {
        let b = pass.bindings.iter().find(|b| b.name_any() == name).expect("listed above").clone();
        let spec = b.spec();
        let generation = b.meta().generation;
        let mut conds: Vec<Condition> = Vec::new();
        let rollout = pass.binding_conditions.remove(&name).unwrap_or_else(|| {
            let old = b.status().map(|s| s.conditions.as_slice()).unwrap_or_default();
            conditions::find(old, p::ROLLOUT_STARTED).cloned().into_iter().collect()
        });
        conds.extend(rollout);
        conds.push(conditions::new(
            p::OVERRIDDEN,
            Status::True,
            p::REASON_NO_OVERRIDE_SPECIFIED,
            "No override rules are configured for the selected resources",
            generation,
        ));
        let have: Vec<Arc<Work>> = existing.get(&name).cloned().unwrap_or_default();

        let stored;
        let group = if spec.resource_snapshot_name == latest.master {
            Some(latest)
        } else {
            stored = stored_group(pass, &spec.resource_snapshot_name);
            stored.as_ref()
        };
        let outcome = match group {
            None => Err(format!("resource snapshot {} is not found", spec.resource_snapshot_name)),
            Some(group) => {
                let source = desired::Source {
                    placement: &pass.name,
                    placement_namespace: pass.namespace.as_deref(),
                    binding: Pass::<F>::binding_owner(&b),
                    cluster: &spec.target_cluster,
                    master: &group.master,
                    index: &group.index,
                    snapshots: group
                        .snapshots
                        .iter()
                        .map(|(sub, r)| desired::Snapshot { subindex: *sub, resources: r })
                        .collect(),
                    apply_strategy: spec.apply_strategy.as_ref(),
                    delete_policy,
                    resource_override_hash: desired::list_hash(&spec.resource_override_snapshots),
                    cluster_resource_override_hash: desired::list_hash(&spec.cluster_resource_override_snapshots),
                };
                desired::desired(&source)
            }
        };
        let want = match outcome {
            Ok(w) => w,
            Err(message) => {
                conds.push(conditions::new(
                    p::WORK_SYNCHRONIZED,
                    Status::False,
                    p::REASON_SYNC_WORK_FAILED,
                    format!("Failed to synchronize the work to the latest: {message}"),
                    generation,
                ));
                pass.binding_conditions.insert(name, conds);
                continue;
            }
        };

        let api: Api<Work> = Api::namespaced(pass.ctx.client.clone(), &member_namespace(&spec.target_cluster));
        let mut wrote = false;
        let mut failure = None;
        let mut current: Vec<Work> = Vec::new();
        for w in &want {
            let wname = w.name_any();
            match have.iter().find(|h| h.name_any() == wname) {
                Some(h) if desired::matches(h, w) => current.push((**h).clone()),
                _ => {
                    let params = PatchParams::apply(FIELD_MANAGER).force();
                    match api.patch(&wname, &params, &Patch::Apply(w)).await {
                        Ok(written) => {
                            debug!(placement = %pass.key, work = %wname, "work written");
                            pass.wrote(kind_of::<Work>(), &written);
                            current.push(written);
                            wrote = true;
                        }
                        Err(e) => {
                            failure = Some(format!("writing work {wname}: {e}"));
                            break;
                        }
                    }
                }
            }
        }
        let wanted: BTreeSet<String> = want.iter().map(|w| w.name_any()).collect();
        if failure.is_none() {
            for h in have.iter().filter(|h| !wanted.contains(&h.name_any()) && h.metadata.deletion_timestamp.is_none())
            {
                if let Err(e) = delete_object(&api, &h.name_any()).await {
                    failure = Some(format!("deleting work {}: {e}", h.name_any()));
                    break;
                }
                pass.deleted(kind_of::<Work>(), h.namespace(), &h.name_any());
                wrote = true;
            }
        }
        match failure {
            Some(message) => conds.push(conditions::new(
                p::WORK_SYNCHRONIZED,
                Status::False,
                p::REASON_SYNC_WORK_FAILED,
                format!("Failed to synchronize the work to the latest: {message}"),
                generation,
            )),
            None => {
                conds.push(conditions::new(
                    p::WORK_SYNCHRONIZED,
                    Status::True,
                    p::REASON_ALL_WORK_SYNCED,
                    "All of the works are synchronized to the latest",
                    generation,
                ));
                if wrote {
                    conds.push(conditions::new(
                        p::APPLIED,
                        Status::False,
                        p::REASON_APPLY_IN_PROGRESS,
                        "Resources are being applied",
                        generation,
                    ));
                } else {
                    let refs: Vec<&Work> = current.iter().collect();
                    conds.extend(status::conditions(&refs, generation.unwrap_or(0)));
                    pass.binding_reports.insert(name.clone(), status::reports(&refs));
                }
            }
        }
        pass.binding_conditions.insert(name, conds);
    }
    Ok(())
}

/// Deletes a binding and its Works. Each Work carries the delete-propagation
/// policy, so the member agent knows whether the objects go too.
pub async fn delete_binding<F: Family>(pass: &mut Pass<'_, F>, name: &str) -> Result<(), Error> {
    let works = works_by_binding(pass).remove(name).unwrap_or_default();
    for w in works.iter().filter(|w| w.metadata.deletion_timestamp.is_none()) {
        let api: Api<Work> = Api::namespaced(pass.ctx.client.clone(), &w.namespace().unwrap_or_default());
        delete_object(&api, &w.name_any()).await.map_err(pass.kube(&format!("deleting work {}", w.name_any())))?;
        pass.deleted(kind_of::<Work>(), w.namespace(), &w.name_any());
    }
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    delete_object(&api, name).await.map_err(pass.kube(&format!("deleting binding {name}")))?;
    pass.deleted(kind_of::<F::Binding>(), pass.namespace.clone(), name);
    pass.bindings.retain(|b| b.name_any() != name);
    pass.binding_conditions.remove(name);
    info!(placement = %pass.key, binding = %name, "binding deleted");
    Ok(())
}
