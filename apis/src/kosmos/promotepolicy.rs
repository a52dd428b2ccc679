//! Kosmos's PromotePolicy (`kosmos.io/v1alpha1`, namespaced, fields and
//! phases as Kosmos defines them): adopt the applications of a member
//! cluster's namespaces without restarting them; `rollback: "true"` hands
//! them back. Flotilla honours one by the ClusterResourceAdoption it makes
//! for it, and mirrors that adoption's progress in Kosmos's phases.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "kosmos.io",
    version = "v1alpha1",
    kind = "PromotePolicy",
    namespaced,
    status = "PromotePolicyStatus",
    printcolumn = r#"{"name":"Cluster","type":"string","jsonPath":".spec.clusterName"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct PromotePolicySpec {
    /// The member cluster whose applications are promoted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_name: String,
    /// The namespaces to promote (Kosmos: empty means all; Flotilla requires some).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_namespaces: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_namespaces: Option<Vec<String>>,
    /// Namespaced resources to promote, as `resource[.group]`; `*` or empty: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_namespace_scoped_resources: Option<Vec<String>>,
    /// Namespaced resources not to promote, as `resource[.group]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_namespace_scoped_resources: Option<Vec<String>>,
    /// `"true"` hands the promoted applications back.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rollback: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotePolicyStatus {
    /// Prechecking, FailedPrecheck, Backuping, FailedBackup, Detaching,
    /// FailedDetach, Restoring, FailedRestore, FailedRollback, RolledBack, Completed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precheck_errors: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub failure_reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<PromotePolicyProgress>,
    /// Kosmos keeps a backup file; Flotilla's "backup" is the hub's
    /// templates: the placement that holds them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub backedup_file: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotePolicyProgress {
    #[serde(default)]
    pub total_items: i64,
    #[serde(default)]
    pub items_backed_up: i64,
}

// Kosmos's phases.
pub const PHASE_PRECHECKING: &str = "Prechecking";
pub const PHASE_FAILED_PRECHECK: &str = "FailedPrecheck";
pub const PHASE_BACKUPING: &str = "Backuping";
pub const PHASE_RESTORING: &str = "Restoring";
pub const PHASE_FAILED_RESTORE: &str = "FailedRestore";
pub const PHASE_FAILED_ROLLBACK: &str = "FailedRollback";
pub const PHASE_ROLLED_BACK: &str = "RolledBack";
pub const PHASE_COMPLETED: &str = "Completed";
