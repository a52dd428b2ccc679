//! `placement.kubernetes-fleet.io`: what goes where.
//!
//! Kinds that come in a cluster-scoped and a namespaced flavour share one spec
//! type: [`PlacementSpec`] (ClusterResourcePlacement, ResourcePlacement),
//! [`ResourceSnapshotSpec`], [`SchedulingPolicySnapshotSpec`] and
//! [`ResourceBindingSpec`]. A cluster-scoped kind's spec holds the shared spec
//! flattened (so the wire format is unchanged) and dereferences to it.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use kube::CustomResourceExt;

use crate::crd::served_as;

/// `Deref`, `DerefMut` and `From` between a kind's thin spec and the spec it
/// shares with its sibling kind (held in `$field`, flattened).
macro_rules! shared_spec {
    ($outer:ty, $field:ident, $inner:ty) => {
        impl ::std::ops::Deref for $outer {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.$field
            }
        }
        impl ::std::ops::DerefMut for $outer {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.$field
            }
        }
        impl From<$inner> for $outer {
            fn from($field: $inner) -> Self {
                Self { $field }
            }
        }
    };
}

mod adoption;
mod appliedwork;
mod binding;
mod clusterresourceplacement;
mod disruptionbudget;
mod envelope;
mod eviction;
mod export;
mod manifest;
mod migration;
mod overrides;
mod overridesnapshot;
mod policy;
mod policysnapshot;
mod snapshot;
mod stagedupdate;
mod status;
mod strategy;
mod work;

pub use adoption::*;
pub use appliedwork::*;
pub use binding::*;
pub use clusterresourceplacement::*;
pub use disruptionbudget::*;
pub use envelope::*;
pub use eviction::*;
pub use export::*;
pub use manifest::*;
pub use migration::*;
pub use overrides::*;
pub use overridesnapshot::*;
pub use policy::*;
pub use policysnapshot::*;
pub use snapshot::*;
pub use stagedupdate::*;
pub use status::*;
pub use strategy::*;
pub use work::*;

pub const GROUP: &str = "placement.kubernetes-fleet.io";

/// Every CRD of this group, as the hub installs them, each served under the
/// versions KubeFleet serves it as (always stored as v1beta1).
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        served_as::<ClusterResourcePlacement>(&["v1"]),
        served_as::<ResourcePlacement>(&["v1"]),
        served_as::<ClusterResourceSnapshot>(&["v1"]),
        served_as::<ResourceSnapshot>(&[]),
        served_as::<ClusterSchedulingPolicySnapshot>(&["v1"]),
        served_as::<SchedulingPolicySnapshot>(&[]),
        served_as::<ClusterResourceBinding>(&["v1"]),
        served_as::<ResourceBinding>(&[]),
        served_as::<Work>(&["v1"]),
        served_as::<AppliedWork>(&["v1"]),
        served_as::<ClusterResourceOverride>(&["v1alpha1", "v1"]),
        served_as::<ResourceOverride>(&["v1alpha1", "v1"]),
        served_as::<ClusterResourceOverrideSnapshot>(&["v1alpha1", "v1"]),
        served_as::<ResourceOverrideSnapshot>(&["v1alpha1", "v1"]),
        served_as::<ClusterResourceEnvelope>(&[]),
        served_as::<ResourceEnvelope>(&[]),
        served_as::<ClusterResourcePlacementEviction>(&["v1alpha1"]),
        served_as::<ClusterResourcePlacementDisruptionBudget>(&["v1alpha1"]),
        served_as::<ClusterStagedUpdateStrategy>(&["v1"]),
        served_as::<StagedUpdateStrategy>(&["v1"]),
        served_as::<ClusterStagedUpdateRun>(&["v1"]),
        served_as::<StagedUpdateRun>(&["v1"]),
        served_as::<ClusterApprovalRequest>(&["v1"]),
        served_as::<ApprovalRequest>(&["v1"]),
    ]
}

/// Flotilla's own kinds of this group, which KubeFleet has not: alpha,
/// served and stored as v1alpha1 only.
pub fn flotilla_crds() -> Vec<CustomResourceDefinition> {
    vec![
        ClusterResourceAdoption::crd(),
        ResourceExport::crd(),
        ClusterResourcePlacementMigration::crd(),
        ResourcePlacementMigration::crd(),
    ]
}

/// The CRDs a member cluster needs: AppliedWork, the owner of placed objects.
pub fn member_crds() -> Vec<CustomResourceDefinition> {
    vec![served_as::<AppliedWork>(&["v1"])]
}
