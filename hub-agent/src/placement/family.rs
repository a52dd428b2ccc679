//! The two placement families: ClusterResourcePlacement with its
//! cluster-scoped snapshots and bindings, and ResourcePlacement with
//! namespaced ones. They share every spec and status type, so the controller
//! is written once over [`Family`]; only the kinds, the condition names and
//! the scope differ.

use std::fmt::Debug;

use apis::{
    conditions::placement as p,
    finalizers,
    placement::{
        ClusterResourceBinding, ClusterResourcePlacement, ClusterResourceSnapshot, ClusterSchedulingPolicySnapshot,
        PlacementSpec, PlacementStatus, ResourceBinding, ResourceBindingSpec, ResourceBindingStatus, ResourcePlacement,
        ResourceSnapshot, ResourceSnapshotSpec, SchedulingPolicySnapshot, SchedulingPolicySnapshotSpec,
        SchedulingPolicySnapshotStatus, Work,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{Api, Client, Resource};
use serde::{Serialize, de::DeserializeOwned};

/// What every object the controller reads and writes is.
pub trait Object:
    Resource<DynamicType = ()> + Clone + Debug + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The API of this kind in `namespace` (ignored for cluster-scoped kinds).
    fn api(client: Client, namespace: &str) -> Api<Self>;
}

/// A kind whose spec is the shared type `S`.
pub trait WithSpec<S>: Object {
    fn spec(&self) -> &S;
    fn build(metadata: ObjectMeta, spec: S) -> Self;
}

/// A kind whose status is the shared type `T`.
pub trait WithStatus<T>: Object {
    fn status(&self) -> Option<&T>;
}

pub trait Family: Send + Sync + 'static {
    type Placement: WithSpec<PlacementSpec> + WithStatus<PlacementStatus>;
    type ResourceSnapshot: WithSpec<ResourceSnapshotSpec>;
    type PolicySnapshot: WithSpec<SchedulingPolicySnapshotSpec> + WithStatus<SchedulingPolicySnapshotStatus>;
    type Binding: WithSpec<ResourceBindingSpec> + WithStatus<ResourceBindingStatus>;
    /// The placement conditions, in order: Scheduled, RolloutStarted,
    /// Overridden, WorkSynchronized, Applied, Available.
    const CONDITIONS: [&'static str; 6];
    /// The placement condition that replaces Applied and Available under ReportDiff.
    const DIFF_REPORTED: &'static str;
    const FINALIZER: &'static str;
    /// Whether placements, snapshots and bindings are namespaced.
    const NAMESPACED: bool;
}

pub struct Cluster;
pub struct Namespaced;

impl Family for Cluster {
    type Placement = ClusterResourcePlacement;
    type ResourceSnapshot = ClusterResourceSnapshot;
    type PolicySnapshot = ClusterSchedulingPolicySnapshot;
    type Binding = ClusterResourceBinding;
    const CONDITIONS: [&'static str; 6] = p::CRP_CONDITION_TYPES;
    const DIFF_REPORTED: &'static str = p::CRP_DIFF_REPORTED;
    const FINALIZER: &'static str = finalizers::PLACEMENT_CLEANUP;
    const NAMESPACED: bool = false;
}

impl Family for Namespaced {
    type Placement = ResourcePlacement;
    type ResourceSnapshot = ResourceSnapshot;
    type PolicySnapshot = SchedulingPolicySnapshot;
    type Binding = ResourceBinding;
    const CONDITIONS: [&'static str; 6] = p::RP_CONDITION_TYPES;
    const DIFF_REPORTED: &'static str = p::RP_DIFF_REPORTED;
    const FINALIZER: &'static str = finalizers::RESOURCE_PLACEMENT_CLEANUP;
    const NAMESPACED: bool = true;
}

macro_rules! object {
    (cluster $kind:ty) => {
        impl Object for $kind {
            fn api(client: Client, _: &str) -> Api<Self> {
                Api::all(client)
            }
        }
    };
    (namespaced $kind:ty) => {
        impl Object for $kind {
            fn api(client: Client, namespace: &str) -> Api<Self> {
                Api::namespaced(client, namespace)
            }
        }
    };
}

macro_rules! with_spec {
    ($kind:ty, $spec:ty, |$s:ident| $get:expr) => {
        impl WithSpec<$spec> for $kind {
            fn spec(&self) -> &$spec {
                let $s = &self.spec;
                $get
            }
            fn build(metadata: ObjectMeta, spec: $spec) -> Self {
                let mut o = <$kind>::new("", spec.into());
                o.metadata = metadata;
                o
            }
        }
    };
}

macro_rules! with_status {
    ($kind:ty, $status:ty) => {
        impl WithStatus<$status> for $kind {
            fn status(&self) -> Option<&$status> {
                self.status.as_ref()
            }
        }
    };
}

object!(cluster ClusterResourcePlacement);
object!(cluster ClusterResourceSnapshot);
object!(cluster ClusterSchedulingPolicySnapshot);
object!(cluster ClusterResourceBinding);
object!(namespaced ResourcePlacement);
object!(namespaced ResourceSnapshot);
object!(namespaced SchedulingPolicySnapshot);
object!(namespaced ResourceBinding);
object!(namespaced Work);

with_spec!(ClusterResourcePlacement, PlacementSpec, |s| &s.placement);
with_spec!(ResourcePlacement, PlacementSpec, |s| &s.placement);
with_spec!(ClusterResourceSnapshot, ResourceSnapshotSpec, |s| &s.snapshot);
with_spec!(ResourceSnapshot, ResourceSnapshotSpec, |s| s);
with_spec!(ClusterSchedulingPolicySnapshot, SchedulingPolicySnapshotSpec, |s| &s.snapshot);
with_spec!(SchedulingPolicySnapshot, SchedulingPolicySnapshotSpec, |s| s);
with_spec!(ClusterResourceBinding, ResourceBindingSpec, |s| &s.binding);
with_spec!(ResourceBinding, ResourceBindingSpec, |s| s);

with_status!(ClusterResourcePlacement, PlacementStatus);
with_status!(ResourcePlacement, PlacementStatus);
with_status!(ClusterSchedulingPolicySnapshot, SchedulingPolicySnapshotStatus);
with_status!(SchedulingPolicySnapshot, SchedulingPolicySnapshotStatus);
with_status!(ClusterResourceBinding, ResourceBindingStatus);
with_status!(ResourceBinding, ResourceBindingStatus);

// For the kinds of other controllers that share a spec or status between a
// cluster-scoped and a namespaced kind (staged update runs).
pub(crate) use {object, with_spec, with_status};
