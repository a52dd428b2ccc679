//! Every field manager the agents write with, one scheme: `<agent>/<controller>`,
//! so `kubectl get --show-managed-fields` says which controller wrote a field.
//! The one exception is KubeFleet's own name for applied objects.

pub const HUB_MEMBERSHIP: &str = "hub-agent/membership";
pub const HUB_PLACEMENT: &str = "hub-agent/placement";
pub const HUB_OVERRIDES: &str = "hub-agent/overrides";
pub const HUB_SERVICE_IMPORTS: &str = "hub-agent/service-imports";
pub const MEMBER_JOIN: &str = "member-agent/join";
pub const MEMBER_EXPORT: &str = "member-agent/export";
/// Objects the member agent applies from Works: KubeFleet's work applier's
/// name, so an object applied by either keeps one owner across a switch.
pub const MEMBER_APPLY: &str = "work-api-agent";
/// The member agent answering the hub's ResourceExports and releasing adopted objects.
pub const MEMBER_RESOURCE_EXPORT: &str = "member-agent/resource-export";
