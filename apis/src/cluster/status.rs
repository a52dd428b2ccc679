//! Status shared by MemberCluster and InternalMemberCluster: the member agent
//! writes it on the InternalMemberCluster and the hub mirrors it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::{
    api::resource::Quantity,
    apis::meta::v1::{Condition, Time},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// Properties such as `kubernetes-fleet.io/node-count`, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertyValue>,
    #[serde(default)]
    pub resource_usage: ResourceUsage,
    /// Namespace → work name, for namespace affinity.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespaces: BTreeMap<String, String>,
    /// One entry per agent type; each agent applies only its own entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::list_map_by_type::<AgentStatus>")]
    pub agent_status: Vec<AgentStatus>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyValue {
    pub value: String,
    pub observation_time: Time,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUsage {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: BTreeMap<String, Quantity>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocatable: BTreeMap<String, Quantity>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub available: BTreeMap<String, Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observation_time: Option<Time>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
pub enum AgentType {
    MemberAgent,
    MultiClusterServiceAgent,
    ServiceExportImportAgent,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    #[serde(rename = "type")]
    pub type_: AgentType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_received_heartbeat: Option<Time>,
}

/// Property names the member agent reports.
pub mod properties {
    pub const NODE_COUNT: &str = "kubernetes-fleet.io/node-count";
    pub const TOTAL_CPU: &str = "resources.kubernetes-fleet.io/total-cpu";
    pub const TOTAL_MEMORY: &str = "resources.kubernetes-fleet.io/total-memory";
    pub const ALLOCATABLE_CPU: &str = "resources.kubernetes-fleet.io/allocatable-cpu";
    pub const ALLOCATABLE_MEMORY: &str = "resources.kubernetes-fleet.io/allocatable-memory";
    pub const AVAILABLE_CPU: &str = "resources.kubernetes-fleet.io/available-cpu";
    pub const AVAILABLE_MEMORY: &str = "resources.kubernetes-fleet.io/available-memory";
}
