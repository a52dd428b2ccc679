//! Kurator's `backup.kurator.dev` kinds that Flotilla serves unchanged, so a
//! user's existing manifests keep working: Migrate, honoured by adopting the
//! source's selected objects and placing them on every target.

mod migrate;

pub use migrate::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

pub const GROUP: &str = "backup.kurator.dev";

/// The `backup.kurator.dev` CRDs the hub installs (v1alpha1 only, as Kurator serves them).
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![Migrate::crd()]
}
