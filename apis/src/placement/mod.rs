//! `placement.kubernetes-fleet.io`: what goes where.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

pub const GROUP: &str = "placement.kubernetes-fleet.io";

pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![]
}

pub fn member_crds() -> Vec<CustomResourceDefinition> {
    vec![]
}
