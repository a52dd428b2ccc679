//! `networking.fleet.azure.com`: exporting services and weighting traffic across clusters.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

pub const GROUP: &str = "networking.fleet.azure.com";

pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![]
}

pub fn member_crds() -> Vec<CustomResourceDefinition> {
    vec![]
}
