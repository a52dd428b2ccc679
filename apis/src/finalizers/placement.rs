//! Finalizers on `placement.kubernetes-fleet.io` objects.

/// On a ClusterResourcePlacement: held by the placement controller until its
/// snapshots are cleaned up.
pub const PLACEMENT_CLEANUP: &str = "kubernetes-fleet.io/crp-cleanup";
/// On a ResourcePlacement: as [`PLACEMENT_CLEANUP`].
pub const RESOURCE_PLACEMENT_CLEANUP: &str = "kubernetes-fleet.io/rp-cleanup";
/// On a placement: held by the scheduler until every binding derived from it is gone.
pub const SCHEDULER_CLEANUP: &str = "kubernetes-fleet.io/scheduler-cleanup";
/// On a binding: held by the scheduler so that deleting the binding triggers a
/// scheduling cycle for its placement.
pub const SCHEDULER_BINDING_CLEANUP: &str = "kubernetes-fleet.io/scheduler-crb-cleanup";
/// On a binding: held by the work generator until its Works are gone. On a
/// Work: held by the member agent until the placed objects are removed.
pub const WORK_CLEANUP: &str = "kubernetes-fleet.io/work-cleanup";
/// On a ClusterResourceOverride or ResourceOverride: held until its snapshots are gone.
pub const OVERRIDE_CLEANUP: &str = "kubernetes-fleet.io/override-cleanup";
/// On a ClusterResourcePlacementStatus.
pub const CLUSTER_RESOURCE_PLACEMENT_STATUS_CLEANUP: &str =
    "kubernetes-fleet.io/cluster-resource-placement-status-cleanup";
/// On a staged update run: held until its dependent objects are gone.
pub const STAGED_UPDATE_RUN: &str = "kubernetes-fleet.io/stagedupdaterun-finalizer";
/// On a Kosmos PromotePolicy: held until the ClusterResourceAdoption made for
/// it is deleted (a cluster-scoped object cannot be owned by a namespaced one).
pub const PROMOTE_POLICY_CLEANUP: &str = "flotilla.dev/promote-policy-cleanup";
/// On a migration: held until its taints and weight override are cleaned up
/// (and, if deleted mid-way, until it has rolled back).
pub const MIGRATION_CLEANUP: &str = "flotilla.dev/migration-cleanup";
