//! Work synchronization in a pass: each bound (or still serving, unscheduled)
//! binding gets exactly the Works its snapshot group calls for, written only
//! when they differ; its Overridden, WorkSynchronized, Applied and Available
//! conditions follow.

use std::{collections::BTreeMap, sync::Arc};

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{
        ApplyStrategyType, BindingState, ClusterResourceOverrideSnapshot, PlacementReports, ResourceBindingSpec,
        ResourceOverrideSnapshot, Work,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::reflector::ObjectRef,
};
use tracing::debug;

use super::{
    FIELD_MANAGER,
    expectations::Child,
    pass::{Error, Pass},
    rolling::Rolled,
    snapshots::{Group, stored_group},
    write::{all, delete_object},
};
use crate::{
    overrides::{
        engine::Cluster as OverrideCluster,
        resolved::{self, Resolved},
    },
    placement::{
        family::{Family, WithSpec, WithStatus},
        works::{desired, plan},
    },
};

/// One binding's Works: what to write and delete, decided before any write.
struct Planned {
    binding: String,
    generation: Option<i64>,
    conditions: Vec<Condition>,
    /// Works already as wanted.
    current: Vec<Work>,
    /// Why the wanted Works could not be made (a condition, not a retry).
    invalid: Option<String>,
    /// The binding's apply strategy is ReportDiff.
    report_diff: bool,
    /// Overriding failed: the binding's status stops at Overridden.
    override_failed: bool,
}

enum Op {
    /// Every write is a server-side apply, creation included: one field
    /// manager of one operation then owns every field, so a field the next
    /// version omits (an emptied manifest list, a cleared option) is removed.
    /// A create (POST) would leave its fields to an `Update` entry that no
    /// later apply can take away.
    Apply(Box<Work>),
    Delete {
        namespace: String,
        name: String,
    },
}

enum Done {
    Applied(Box<Work>),
    Deleted { namespace: String, name: String },
    Failed(String),
}

/// How soon to try again after a Work write failed.
const RETRY: std::time::Duration = std::time::Duration::from_secs(2);

fn failed_any(done: &[(usize, Done)]) -> bool {
    done.iter().any(|(_, d)| matches!(d, Done::Failed(_)))
}

/// Each binding's status as the rollout and the Works leave it.
pub struct Synced {
    pub bindings: BTreeMap<String, BindingReport>,
}

pub struct BindingReport {
    pub conditions: Vec<Condition>,
    /// Failed, drifted and diffed placements from its Works; `None` keeps
    /// what the binding reports now.
    pub reports: Option<PlacementReports>,
}

pub async fn works<F: Family>(pass: &mut Pass<'_, F>, latest: &Group, mut rolled: Rolled) -> Result<Synced, Error> {
    let existing = pass.works_by_binding();
    let delete_policy = pass.spec().strategy.delete_strategy.as_ref().map(|d| d.propagation_policy).unwrap_or_default();
    let mut planned: Vec<Planned> = Vec::new();
    let mut ops: Vec<(usize, Op)> = Vec::new();
    let mut blocked: Vec<(usize, String)> = Vec::new();
    let bindings: Vec<F::Binding> = pass
        .bindings
        .iter()
        .filter(|b| {
            b.meta().deletion_timestamp.is_none()
                && b.spec().state != BindingState::Scheduled
                && !b.spec().resource_snapshot_name.is_empty()
        })
        .cloned()
        .collect();
    for b in &bindings {
        let name = b.name_any();
        let spec = b.spec();
        let generation = b.meta().generation;
        let mut conds: Vec<Condition> = rolled.conditions.remove(&name).map(|c| vec![c]).unwrap_or_else(|| {
            let old = b.status().map(|s| s.conditions.as_slice()).unwrap_or_default();
            conditions::find(old, p::ROLLOUT_STARTED).cloned().into_iter().collect()
        });
        let stored;
        let group = if spec.resource_snapshot_name == latest.master {
            Some(latest)
        } else {
            stored = stored_group(pass, &spec.resource_snapshot_name);
            stored.as_ref()
        };
        let have: &[Arc<Work>] = existing.get(&name).map(Vec::as_slice).unwrap_or_default();
        let from_bound_snapshot = |w: &Arc<Work>| {
            w.annotations().get(labels::PARENT_RESOURCE_SNAPSHOT_NAME) == Some(&spec.resource_snapshot_name)
        };
        // The binding's overrides applied for its cluster; a failure keeps its Works as they are.
        let (cro_snapshots, ro_snapshots) = (pass.ctx.overrides.cluster.state(), pass.ctx.overrides.namespaced.state());
        let no_labels = BTreeMap::new();
        let member = pass.ctx.clusters.get(&ObjectRef::new(&spec.target_cluster));
        let cluster = OverrideCluster {
            name: &spec.target_cluster,
            labels: member.as_ref().and_then(|m| m.metadata.labels.as_ref()).unwrap_or(&no_labels),
        };
        let overridden = group.map(|g| {
            let resolved = resolve_overrides(spec, &cro_snapshots, &ro_snapshots)?;
            g.snapshots
                .iter()
                .map(|(sub, r)| resolved::apply(r, &resolved, &cluster).map(|v| (*sub, v)))
                .collect::<Result<Vec<_>, String>>()
        });
        let no_overrides =
            spec.cluster_resource_override_snapshots.is_empty() && spec.resource_override_snapshots.is_empty();
        let override_failed = match &overridden {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        };
        conds.push(match &override_failed {
            Some(e) => conditions::new(
                p::OVERRIDDEN,
                Status::False,
                p::REASON_OVERRIDDEN_FAILED,
                format!("Failed to apply the override rules on the resources: {e}"),
                generation,
            ),
            None if no_overrides => conditions::new(
                p::OVERRIDDEN,
                Status::True,
                p::REASON_NO_OVERRIDE_SPECIFIED,
                "No override rules are configured for the selected resources",
                generation,
            ),
            None => conditions::new(
                p::OVERRIDDEN,
                Status::True,
                p::REASON_OVERRIDDEN_SUCCEEDED,
                "Successfully applied the override rules on the resources",
                generation,
            ),
        });
        let wanted = match (group, overridden) {
            // The bound snapshot was pruned (a short history) but its Works are
            // in place: they stay as they are until the rollout moves the binding.
            (None, _) if !have.is_empty() && have.iter().all(from_bound_snapshot) => Ok(None),
            (None, _) => Err(format!("resource snapshot {} is not found", spec.resource_snapshot_name)),
            // Overriding failed: nothing half-applied, the Works stay at their last good version.
            (Some(_), Some(Err(_))) => Ok(None),
            (Some(group), Some(Ok(snapshots))) => desired::desired(&desired::Source {
                placement: &pass.name,
                placement_namespace: pass.namespace.as_deref(),
                binding: &name,
                owner: (!F::NAMESPACED).then(|| Pass::<F>::binding_owner(b)),
                cluster: &spec.target_cluster,
                master: &group.master,
                index: &group.index,
                snapshots: snapshots
                    .iter()
                    .map(|(sub, r)| desired::Snapshot { subindex: *sub, resources: r })
                    .collect(),
                apply_strategy: spec.apply_strategy.as_ref(),
                delete_policy,
                resource_override_hash: desired::list_hash(&spec.resource_override_snapshots),
                cluster_resource_override_hash: desired::list_hash(&spec.cluster_resource_override_snapshots),
            })
            .map(Some),
            (Some(_), None) => unreachable!("overridden is computed for every group"),
        };
        let i = planned.len();
        let report_diff = spec.apply_strategy.as_ref().is_some_and(|a| a.type_ == ApplyStrategyType::ReportDiff);
        let mut this = Planned {
            binding: name.clone(),
            generation,
            conditions: conds,
            current: vec![],
            invalid: None,
            report_diff,
            override_failed: override_failed.is_some(),
        };
        match wanted {
            Err(message) => this.invalid = Some(message),
            Ok(None) => this.current = have.iter().map(|w| (**w).clone()).collect(),
            Ok(Some(want)) => {
                // A taken name (still being deleted, another binding's) is
                // never overwritten; its watch event brings the next pass.
                let c = plan::changes(have, &want, |w| taken(pass, w, &name));
                this.current = c.current;
                ops.extend(c.apply.into_iter().map(|w| (i, Op::Apply(Box::new(w)))));
                ops.extend(c.delete.into_iter().map(|(namespace, name)| (i, Op::Delete { namespace, name })));
                blocked.extend(c.blocked.into_iter().map(|why| (i, why)));
            }
        }
        planned.push(this);
    }

    let client = pass.ctx.client.clone();
    let done = all(ops.into_iter().map(|(i, op)| {
        let client = client.clone();
        async move {
            let result = match op {
                Op::Apply(w) => {
                    let api: Api<Work> = Api::namespaced(client, &w.namespace().unwrap_or_default());
                    let params = PatchParams::apply(FIELD_MANAGER).force();
                    match api.patch(&w.name_any(), &params, &Patch::Apply(&*w)).await {
                        Ok(written) => Done::Applied(Box::new(written)),
                        Err(e) => Done::Failed(format!("writing work {}: {e}", w.name_any())),
                    }
                }
                Op::Delete { namespace, name } => {
                    let api: Api<Work> = Api::namespaced(client, &namespace);
                    match delete_object(&api, &name).await {
                        Ok(()) => Done::Deleted { namespace, name },
                        Err(e) => Done::Failed(format!("deleting work {name}: {e}")),
                    }
                }
            };
            (i, result)
        }
    }))
    .await;
    let done: Vec<(usize, Done)> =
        done.into_iter().chain(blocked.into_iter().map(|(i, m)| (i, Done::Failed(m)))).collect();

    if failed_any(&done) {
        // A failed write is not an event: look again, or it would wait for one.
        pass.requeue_after(RETRY);
    }
    let mut wrote = vec![false; planned.len()];
    let mut failed: Vec<Option<String>> = vec![None; planned.len()];
    for (i, result) in done {
        match result {
            Done::Applied(w) => {
                debug!(placement = %pass.key, work = %w.name_any(), "work written");
                pass.wrote(Child::of::<Work>(), &*w);
                wrote[i] = true;
            }
            Done::Deleted { namespace, name } => {
                pass.deleted(Child::of::<Work>(), Some(namespace), &name);
                wrote[i] = true;
            }
            Done::Failed(m) => {
                failed[i].get_or_insert(m);
            }
        }
    }

    // Bindings without Works yet (Scheduled, not started) report the rollout's word alone.
    let mut synced = Synced {
        bindings: (rolled.conditions.into_iter())
            .map(|(name, c)| (name, BindingReport { conditions: vec![c], reports: None }))
            .collect(),
    };
    for (i, planned) in planned.into_iter().enumerate() {
        let report = if planned.override_failed {
            // The binding's status stops at Overridden.
            BindingReport { conditions: planned.conditions, reports: None }
        } else {
            let outcome = match planned.invalid.or(failed[i].take()) {
                Some(message) => plan::Outcome::Failed(message),
                None if wrote[i] => plan::Outcome::Written,
                None => plan::Outcome::Unchanged(&planned.current),
            };
            let (conditions, reports) =
                plan::conditions(planned.conditions, outcome, planned.report_diff, planned.generation);
            BindingReport { conditions, reports }
        };
        synced.bindings.insert(planned.binding, report);
    }
    Ok(synced)
}

/// Why the Work `w` of binding `binding`, absent from its Works, cannot be
/// written now: a Work of that name is still being deleted, or belongs to
/// another binding.
fn taken<F: Family>(pass: &Pass<'_, F>, w: &Work, binding: &str) -> Option<String> {
    let found = pass.ctx.works.get(&ObjectRef::new(&w.name_any()).within(&w.namespace().unwrap_or_default()))?;
    let why = if found.metadata.deletion_timestamp.is_some() {
        "is still being deleted"
    } else if found.labels().get(labels::PARENT_BINDING).map(String::as_str) != Some(binding) {
        "belongs to another binding"
    } else {
        return None;
    };
    Some(format!("work {} {why}; it is not overwritten", w.name_any()))
}

/// The override snapshots `spec` names, found among the stored ones.
fn resolve_overrides<'a>(
    spec: &'a ResourceBindingSpec,
    cluster: &'a [Arc<ClusterResourceOverrideSnapshot>],
    namespaced: &'a [Arc<ResourceOverrideSnapshot>],
) -> Result<Vec<Resolved<'a>>, String> {
    let mut out = Vec::new();
    for name in &spec.cluster_resource_override_snapshots {
        let s = cluster
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
            .ok_or_else(|| format!("cluster resource override snapshot {name} is not found"))?;
        out.push(Resolved::Cluster { name, spec: &s.spec.override_spec });
    }
    for n in &spec.resource_override_snapshots {
        let s = namespaced
            .iter()
            .find(|s| {
                s.metadata.name.as_deref() == Some(&n.name) && s.metadata.namespace.as_deref() == Some(&n.namespace)
            })
            .ok_or_else(|| format!("resource override snapshot {}/{} is not found", n.namespace, n.name))?;
        out.push(Resolved::Namespaced { namespace: &n.namespace, name: &n.name, spec: &s.spec.override_spec });
    }
    Ok(out)
}
