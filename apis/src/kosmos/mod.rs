//! Kosmos's `kosmos.io` kinds that Flotilla serves unchanged, so a user's
//! existing manifests keep working: PromotePolicy, honoured as a
//! ClusterResourceAdoption.

mod promotepolicy;

pub use promotepolicy::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub const GROUP: &str = "kosmos.io";

/// The `kosmos.io` CRDs the hub installs (served as Kosmos serves them: v1alpha1 only).
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![PromotePolicy::crd()]
}
