//! KubeFleet-compatible API types for Flotilla.
//!
//! Groups, versions, kinds and JSON field names match KubeFleet and
//! fleet-networking, so their manifests and tutorials apply unchanged. Every
//! KubeFleet kind is stored as `v1beta1` and also served under the versions
//! KubeFleet serves (see [`crd`]); Flotilla's own kinds (adoption) and
//! Kosmos's (`kosmos.io`) and Kurator's (`backup.kurator.dev`) are `v1alpha1` only. Names used on the wire — labels, annotations,
//! finalizers, condition types and reasons — are defined once, here.

pub mod cluster;
pub mod conditions;
pub mod crd;
pub mod finalizers;
pub mod kosmos;
pub mod kurator;
pub mod labels;
pub mod networking;
pub mod placement;
pub mod quantity;
pub mod schema;
