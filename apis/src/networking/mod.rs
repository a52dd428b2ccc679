//! `networking.fleet.azure.com`: exporting services and weighting traffic across clusters.

mod common;
mod internalserviceexport;
mod internalserviceimport;
mod multiclusterservice;
mod serviceexport;
mod serviceimport;
mod trafficmanagerbackend;
mod trafficmanagerprofile;

pub use common::*;
pub use internalserviceexport::*;
pub use internalserviceimport::*;
pub use multiclusterservice::*;
pub use serviceexport::*;
pub use serviceimport::*;
pub use trafficmanagerbackend::*;
pub use trafficmanagerprofile::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use crate::crd::served_as;

pub const GROUP: &str = "networking.fleet.azure.com";

/// Every kind of this group. fleet-networking serves all of them as v1alpha1
/// (and ServiceExport, TrafficManagerProfile and TrafficManagerBackend also as
/// v1beta1); Flotilla stores all as v1beta1 and serves both.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        served_as::<ServiceExport>(&["v1alpha1"]),
        served_as::<InternalServiceExport>(&["v1alpha1"]),
        served_as::<ServiceImport>(&["v1alpha1"]),
        served_as::<InternalServiceImport>(&["v1alpha1"]),
        served_as::<MultiClusterService>(&["v1alpha1"]),
        served_as::<TrafficManagerProfile>(&["v1alpha1"]),
        served_as::<TrafficManagerBackend>(&["v1alpha1"]),
    ]
}

/// The kinds a member cluster serves: what users export and import there.
pub fn member_crds() -> Vec<CustomResourceDefinition> {
    vec![
        served_as::<ServiceExport>(&["v1alpha1"]),
        served_as::<ServiceImport>(&["v1alpha1"]),
        served_as::<MultiClusterService>(&["v1alpha1"]),
    ]
}
