//! `cluster.kubernetes-fleet.io`: which clusters are in the fleet.

mod internalmembercluster;
mod membercluster;
mod status;

pub use internalmembercluster::*;
pub use membercluster::*;
pub use status::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use crate::crd::served_as;

pub const GROUP: &str = "cluster.kubernetes-fleet.io";

/// The CRDs of this group; KubeFleet serves both kinds as v1 and v1beta1.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![served_as::<MemberCluster>(&["v1"]), served_as::<InternalMemberCluster>(&["v1"])]
}

/// The hub namespace reserved for one member: its InternalMemberCluster, Works and exports.
pub fn member_namespace(member: &str) -> String {
    format!("fleet-member-{member}")
}

/// The Role and RoleBinding that let a member agent use its reserved namespace.
pub fn member_role_name(member: &str) -> String {
    format!("fleet-role-{member}")
}

pub fn member_role_binding_name(member: &str) -> String {
    format!("fleet-rolebinding-{member}")
}
