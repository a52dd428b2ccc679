//! `cluster.kubernetes-fleet.io`: MemberCluster and InternalMemberCluster.

pub const READY_TO_JOIN: &str = "ReadyToJoin";
pub const JOINED: &str = "Joined";
pub const HEALTHY: &str = "Healthy";
pub const PROPERTY_PROVIDER_STARTED: &str = "ClusterPropertyProviderStarted";
pub const PROPERTY_COLLECTION_SUCCEEDED: &str = "ClusterPropertyCollectionSucceeded";

pub const REASON_READY_TO_JOIN: &str = "MemberClusterReadyToJoin";
pub const REASON_NOT_READY_TO_JOIN: &str = "MemberClusterNotReadyToJoin";
pub const REASON_JOINED: &str = "MemberClusterJoined";
pub const REASON_LEFT: &str = "MemberClusterLeft";
pub const REASON_JOIN_STATE_UNKNOWN: &str = "MemberClusterJoinStateUnknown";

/// Reasons of the member agent's own conditions in `agentStatus`.
pub const REASON_AGENT_JOINED: &str = "InternalMemberClusterJoined";
pub const REASON_AGENT_LEFT: &str = "InternalMemberClusterLeft";
pub const REASON_AGENT_HEALTHY: &str = "InternalMemberClusterHealthy";
pub const REASON_AGENT_UNHEALTHY: &str = "InternalMemberClusterUnhealthy";
pub const REASON_PROPERTIES_COLLECTED: &str = "PropertiesCollected";
pub const REASON_PROPERTY_COLLECTION_FAILED: &str = "PropertyCollectionFailed";
