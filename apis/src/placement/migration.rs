//! ClusterResourcePlacementMigration and ResourcePlacementMigration
//! (Flotilla's, v1alpha1): move a placement's application from some clusters
//! to others in one object: place on the targets with no traffic, check the
//! health gates, shift the traffic in steps, drain and retire the sources,
//! and roll back on failure. Both kinds share their spec and status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Moves a ClusterResourcePlacement.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1alpha1",
    kind = "ClusterResourcePlacementMigration",
    shortname = "crpm",
    category = "fleet",
    category = "fleet-placement",
    status = "MigrationStatus",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"From","type":"string","jsonPath":".status.fromClusters"}"#,
    printcolumn = r#"{"name":"To","type":"string","jsonPath":".status.toClusters"}"#,
    printcolumn = r#"{"name":"Weight","type":"integer","jsonPath":".status.targetWeight"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourcePlacementMigrationSpec {
    #[serde(flatten)]
    pub migration: MigrationSpec,
}

/// Moves a ResourcePlacement of its namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1alpha1",
    kind = "ResourcePlacementMigration",
    namespaced,
    shortname = "rpm",
    category = "fleet",
    category = "fleet-placement",
    status = "MigrationStatus",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"From","type":"string","jsonPath":".status.fromClusters"}"#,
    printcolumn = r#"{"name":"To","type":"string","jsonPath":".status.toClusters"}"#,
    printcolumn = r#"{"name":"Weight","type":"integer","jsonPath":".status.targetWeight"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlacementMigrationSpec {
    #[serde(flatten)]
    pub migration: MigrationSpec,
}

shared_spec!(ClusterResourcePlacementMigrationSpec, migration, MigrationSpec);
shared_spec!(ResourcePlacementMigrationSpec, migration, MigrationSpec);

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationSpec {
    /// The placement whose application moves.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("placementName is immutable"))]
    pub placement_name: String,
    /// The clusters the application leaves.
    #[x_kube(validation = Rule::new("self == oldSelf").message("from is immutable"))]
    pub from: SourceClusters,
    /// The clusters the application moves to.
    #[x_kube(validation = Rule::new("self == oldSelf").message("to is immutable"))]
    pub to: TargetClusters,
    /// How traffic moves; none: the placement moves, no traffic is shifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<MigrationTraffic>,
    /// Checked at every step: one that fails (the data says no) rolls back at
    /// once when automatic; one that cannot pass yet holds the step, and
    /// rolls back after `rollback.stepTimeoutSeconds` of waiting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub health_gates: Vec<HealthGate>,
    #[serde(default)]
    pub source_cleanup: SourceCleanup,
    #[serde(default)]
    pub rollback: RollbackPolicy,
    /// Hold at the current step.
    #[serde(default)]
    pub suspend: bool,
    /// Roll back now.
    #[serde(default)]
    pub abort: bool,
}

/// Cluster names, or a label selector; one of them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.clusterNames) != has(self.clusterSelector)").message("exactly one of clusterNames and clusterSelector must be set"))]
pub struct SourceClusters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub cluster_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_selector: Option<LabelSelector>,
}

/// Cluster names, or a label selector with how many of them; one of them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.clusterNames) != has(self.clusterSelector)").message("exactly one of clusterNames and clusterSelector must be set"),
    validation = Rule::new("!has(self.numberOfClusters) || has(self.clusterSelector)").message("numberOfClusters goes with clusterSelector")
)]
pub struct TargetClusters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub cluster_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_selector: Option<LabelSelector>,
    /// How many of the selected clusters; all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub number_of_clusters: Option<i32>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationTraffic {
    /// The backend (or profile) whose endpoints carry the application's traffic.
    pub backend_ref: TrafficRef,
    /// The targets' share of the traffic at each step, in percent, rising to 100.
    #[serde(default = "default_steps")]
    #[schemars(length(min = 1, max = 20))]
    #[x_kube(
        validation = Rule::new("self.all(s, s.weight >= 0 && s.weight <= 100)").message("each step's weight is a percentage, 0 to 100"),
        validation = Rule::new("self.map(s, s.weight).isSorted() && self.all(a, self.exists_one(b, b.weight == a.weight))").message("steps' weights must increase"),
        validation = Rule::new("self[self.size() - 1].weight == 100").message("the last step's weight must be 100")
    )]
    pub steps: Vec<TrafficStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
}

fn default_steps() -> Vec<TrafficStep> {
    [0, 10, 50, 100].into_iter().map(|weight| TrafficStep { weight, pause_seconds: 10 }).collect()
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRef {
    pub kind: TrafficRefKind,
    pub name: String,
    pub namespace: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum TrafficRefKind {
    #[default]
    TrafficManagerBackend,
    TrafficManagerProfile,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficStep {
    #[schemars(range(min = 0, max = 100))]
    pub weight: i32,
    /// How long to hold the step once its gates pass.
    #[serde(default)]
    #[schemars(range(min = 0, max = 86400))]
    pub pause_seconds: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Drain {
    /// At least this long between the sources' last traffic and their eviction.
    #[serde(default)]
    #[schemars(range(min = 0, max = 86400))]
    pub min_seconds: i32,
    /// At most this long waiting for the requests in flight to the sources
    /// (default: `rollback.stepTimeoutSeconds`); the sources are then retired
    /// with whatever is still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub max_connection_age_seconds: Option<i32>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.type != 'Probe' || has(self.probe)").message("a Probe gate needs probe"),
    validation = Rule::new("self.type != 'ErrorRatio' || has(self.errorRatio)").message("an ErrorRatio gate needs errorRatio")
)]
pub struct HealthGate {
    #[serde(rename = "type")]
    pub type_: HealthGateType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeGate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_ratio: Option<ErrorRatioGate>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum HealthGateType {
    /// The placement is Available on every target.
    #[default]
    PlacementAvailable,
    /// Requests through the data plane succeed often enough.
    Probe,
    /// The data plane's own counts for the targets' endpoints stay below a ratio.
    ErrorRatio,
    /// Someone approves (an ApprovalRequest, as in staged update runs).
    Approval,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeGate {
    /// Requested through the data plane, e.g. `/healthz`.
    pub url: String,
    /// The share of probes that must succeed, e.g. `"0.99"`.
    #[schemars(regex(pattern = r"^(0(\.[0-9]+)?|1(\.0+)?)$"))]
    pub min_success_ratio: String,
    #[serde(default = "default_window")]
    #[schemars(range(min = 1, max = 3600))]
    pub window_seconds: i32,
}

fn default_window() -> i32 {
    30
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorRatioGate {
    /// The largest share of failed requests tolerated, e.g. `"0.001"`.
    #[schemars(regex(pattern = r"^(0(\.[0-9]+)?|1(\.0+)?)$"))]
    pub max: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceCleanup {
    #[serde(default)]
    pub policy: SourceCleanupPolicy,
    /// How long a `ScaleDownThenEvict` source stays restorable after its traffic is gone.
    #[serde(default)]
    #[schemars(range(min = 0, max = 604800))]
    pub retain_seconds: i32,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum SourceCleanupPolicy {
    /// Scale the sources' workloads to 0, keep them `retainSeconds`, then evict.
    ScaleDownThenEvict,
    /// Evict the sources (through a ClusterResourcePlacementEviction, honouring a budget).
    #[default]
    Evict,
    /// Leave the sources' objects where they are; only the placement leaves.
    Abandon,
    /// Delete the source MemberCluster once no other placement is on it: it
    /// leaves the fleet keeping the application's objects (seed 002's last step).
    LeaveFleet,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackPolicy {
    /// Roll back by itself when a step's gates fail for `stepTimeoutSeconds`.
    #[serde(default = "yes")]
    pub automatic: bool,
    #[serde(default = "default_step_timeout")]
    #[schemars(range(min = 1, max = 86400))]
    pub step_timeout_seconds: i32,
}

fn yes() -> bool {
    true
}

fn default_step_timeout() -> i32 {
    600
}

impl Default for RollbackPolicy {
    fn default() -> Self {
        RollbackPolicy { automatic: true, step_timeout_seconds: default_step_timeout() }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum MigrationPhase {
    Pending,
    Placing,
    Verifying,
    Shifting,
    Draining,
    RetiringSource,
    Succeeded,
    RollingBack,
    RolledBack,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigrationStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<MigrationPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Each phase entered, and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseRecord>,
    /// The step being walked (0-based), and the targets' share of traffic now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_weight: Option<i32>,
    /// When the current step started waiting (its weights written, or its
    /// gates stopped passing), when the data plane served its weights, and
    /// since when its gates have passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_started: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_served: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_passed: Option<Time>,
    /// The clusters resolved, comma-separated (for `kubectl get`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from_clusters: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to_clusters: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<MigrationCluster>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurements: Option<Measurements>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhaseRecord {
    pub phase: MigrationPhase,
    pub time: Time,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MigrationCluster {
    pub cluster_name: String,
    pub role: MigrationRole,
    #[serde(default)]
    pub applied: bool,
    #[serde(default)]
    pub available: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_replicas: Option<i32>,
    /// Its endpoint's weight in the backend now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum MigrationRole {
    #[default]
    Source,
    Target,
}

/// What the data plane measured during the move.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Measurements {
    pub requests: i64,
    pub failed_requests: i64,
    /// The longest time from a failed request to the next successful one, in milliseconds.
    pub longest_no_success_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// p99 before the move started, for comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_p99_ms: Option<f64>,
}
