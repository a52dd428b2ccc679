//! ClusterResourceOverrideSnapshot and ResourceOverrideSnapshot: an immutable
//! copy of an override, named `<override>-<index>` (from 0). Bindings refer to
//! the snapshots, not the overrides.

use k8s_openapi::ByteString;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::{ClusterResourceOverrideSpec, ResourceOverrideSpec};

/// A copy of a ClusterResourceOverride's spec.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourceOverrideSnapshot",
    category = "fleet",
    category = "fleet-placement"
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourceOverrideSnapshotSpec {
    pub override_spec: ClusterResourceOverrideSpec,
    /// SHA-256 of `overrideSpec`.
    #[schemars(schema_with = "super::manifest::bytes")]
    pub override_hash: ByteString,
}

/// A copy of a ResourceOverride's spec, in the override's namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourceOverrideSnapshot",
    namespaced,
    category = "fleet",
    category = "fleet-placement"
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("spec is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ResourceOverrideSnapshotSpec {
    pub override_spec: ResourceOverrideSpec,
    /// SHA-256 of `overrideSpec`.
    #[schemars(schema_with = "super::manifest::bytes")]
    pub override_hash: ByteString,
}
