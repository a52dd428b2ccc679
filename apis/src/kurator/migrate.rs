//! Kurator's Migrate (`backup.kurator.dev/v1alpha1`, namespaced; fields,
//! phases and status as Kurator defines them): copy the objects a filter
//! selects on one source cluster to one or more target clusters. Where
//! Kurator goes through Velero (a backup on the source, a restore on each
//! target), Flotilla adopts the source's objects without restarting them (a
//! ClusterResourceAdoption) and places them on the targets; the status reads
//! the same.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "backup.kurator.dev",
    version = "v1alpha1",
    kind = "Migrate",
    namespaced,
    category = "kurator-dev",
    status = "MigrateStatus",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase","description":"Phase of the Migrate"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct MigrateSpec {
    /// The one cluster the objects come from.
    pub source_cluster: Destination,
    /// The clusters they go to.
    pub target_cluster: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<MigratePolicy>,
}

/// Clusters named directly, or a fleet (Flotilla: the hub's own; alone, every joined member).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fleet: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterReference>,
}

/// A cluster as Kurator names it (kind `AttachedCluster` or `Cluster`): Flotilla
/// takes the member of that name, or the member labelled
/// `flotilla.dev/kurator-cluster-name=<name>`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReference {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigratePolicy {
    /// Which objects; none: every object of the source's namespaces (not the system ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_filter: Option<ResourceFilter>,
    /// Velero's backup order per resource (Flotilla applies in its own dependency order: accepted, unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_resources: Option<BTreeMap<String, String>>,
    /// Source namespace → target namespace (not supported yet: refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_mapping: Option<BTreeMap<String, String>>,
    /// Which kinds keep their status (Flotilla places objects, status is the target's own: refused when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_status: Option<PreserveStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_node_ports: Option<bool>,
}

/// Which resources keep their status (Velero's restore `preserveStatus`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreserveStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_resources: Option<Vec<String>>,
}

/// Velero's resource filter, as Kurator carries it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_namespaces: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_namespaces: Option<Vec<String>>,
    /// Resources as `resource[.group]`; `*` or none: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_cluster_resources: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_cluster_scoped_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_cluster_scoped_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_namespace_scoped_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_namespace_scoped_resources: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub or_label_selectors: Option<Vec<LabelSelector>>,
}

/// Kurator's phases: New, FailedValidation, WaitingForSource, SourceReady, InProgress, Completed, Failed.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum MigratePhase {
    New,
    FailedValidation,
    WaitingForSource,
    SourceReady,
    InProgress,
    Completed,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigrateStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<MigratePhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_cluster_status: Option<BackupDetails>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_cluster_status: Vec<RestoreDetails>,
}

/// The source's side: Kurator's backup; Flotilla's adoption, named in `backupNameInCluster`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupDetails {
    pub cluster_name: String,
    pub cluster_kind: String,
    pub backup_name_in_cluster: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_status_in_cluster: Option<OperationStatus>,
}

/// A target's side: Kurator's restore; Flotilla's placement on that cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreDetails {
    pub cluster_name: String,
    pub cluster_kind: String,
    pub restore_name_in_cluster: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_status_in_cluster: Option<OperationStatus>,
}

/// The fields of Velero's BackupStatus/RestoreStatus a user reads.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    /// `InProgress`, `Completed` or `Failed`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub failure_reason: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    #[serde(default)]
    pub total_items: i32,
    #[serde(default)]
    pub items_backed_up: i32,
}
