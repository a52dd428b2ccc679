//! Label and annotation keys, each defined once (placement and networking keys in their own files, re-exported here).

/// The prefix of every KubeFleet label and annotation.
pub const FLEET_PREFIX: &str = "kubernetes-fleet.io/";

/// On a reserved member namespace (`fleet-member-<name>`) and other objects the fleet itself owns.
pub const IS_FLEET_RESOURCE: &str = "kubernetes-fleet.io/is-fleet-resource";
/// The member cluster a hub object belongs to; also set on every MemberCluster
/// so overrides and affinities can select a cluster by name.
pub const MEMBER_NAME: &str = "kubernetes-fleet.io/member-name";

mod networking;
mod placement;
pub use networking::*;
pub use placement::*;
