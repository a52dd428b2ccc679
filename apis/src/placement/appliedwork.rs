//! AppliedWork: on a member cluster, the owner of every object applied from
//! the hub Work of the same name. Deleting it lets garbage collection remove
//! those objects.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::WorkResourceIdentifier;

/// The hub Work this AppliedWork mirrors.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "AppliedWork",
    category = "fleet",
    category = "fleet-placement",
    status = "AppliedWorkStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct AppliedWorkSpec {
    pub work_name: String,
    pub work_namespace: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedWorkStatus {
    /// The objects applied from the Work; an entry goes when its manifest leaves the Work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_resources: Vec<AppliedResourceMeta>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedResourceMeta {
    #[serde(flatten)]
    pub identifier: WorkResourceIdentifier,
    /// The applied object's UID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
}
