//! Staged updates (KubeFleet's): a strategy names stages of clusters (by
//! label, in order, with approvals and waits between them); an update run
//! rolls one resource snapshot of a placement whose rollout strategy is
//! `External` through those stages; an approval request gates a stage until
//! someone sets its `Approved` condition. Cluster-scoped kinds serve
//! ClusterResourcePlacements, namespaced ones ResourcePlacements of their
//! namespace; each pair shares its spec and status.

use k8s_openapi::apimachinery::pkg::{
    apis::meta::v1::{Condition, LabelSelector, Time},
    util::intstr::IntOrString,
};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApplyStrategy, NamespacedName};

// Strategies.

/// Stages run in order; a cluster the placement selected must fall into
/// exactly one stage.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterStagedUpdateStrategy",
    shortname = "csus",
    category = "fleet",
    category = "fleet-placement"
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStagedUpdateStrategySpec {
    #[serde(flatten)]
    pub strategy: UpdateStrategySpec,
}

#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "StagedUpdateStrategy",
    namespaced,
    shortname = "sus",
    category = "fleet",
    category = "fleet-placement"
)]
#[serde(rename_all = "camelCase")]
pub struct StagedUpdateStrategySpec {
    #[serde(flatten)]
    pub strategy: UpdateStrategySpec,
}

shared_spec!(ClusterStagedUpdateStrategySpec, strategy, UpdateStrategySpec);
shared_spec!(StagedUpdateStrategySpec, strategy, UpdateStrategySpec);

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStrategySpec {
    /// The stages, in the order they run (at most 31, names unique).
    #[schemars(length(max = 31))]
    #[x_kube(validation = Rule::new("self.all(s, self.exists_one(t, t.name == s.name))").message("stage names must be unique"))]
    pub stages: Vec<StageConfig>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StageConfig {
    #[schemars(length(max = 63), regex(pattern = r"^[a-z0-9]+$"))]
    pub name: String,
    /// The member clusters of this stage; none selects no cluster, `{}` all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// A label whose integer value orders the stage's clusters (then by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorting_label_key: Option<String>,
    /// How many of the stage's clusters update at once: a number (≥ 1) or a
    /// percentage of them, rounded down, at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // A pattern applies to the string form only; a CEL `matches` here costs
    // too much for the API server's budget across 31 stages.
    #[schemars(extend("default" = 1, "pattern" = "^(100|[1-9][0-9]?)%$"))]
    #[x_kube(validation = Rule::new("type(self) != int || self >= 1").message("maxConcurrency must be at least 1"))]
    pub max_concurrency: Option<IntOrString>,
    /// After the stage's clusters are updated: at most one TimedWait and one Approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    #[x_kube(
        validation = Rule::new("!self.exists(e, e.type == 'Approval' && has(e.waitTime))").message("AfterStageTaskType is Approval, waitTime is not allowed"),
        validation = Rule::new("!self.exists(e, e.type == 'TimedWait' && !has(e.waitTime))").message("AfterStageTaskType is TimedWait, waitTime is required"),
        validation = Rule::new("self.all(e, self.exists_one(f, f.type == e.type))").message("afterStageTasks must be of different types")
    )]
    pub after_stage_tasks: Vec<StageTask>,
    /// Before the stage starts: at most one Approval.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 1))]
    #[x_kube(
        validation = Rule::new("!self.exists(e, e.type == 'Approval' && has(e.waitTime))").message("AfterStageTaskType is Approval, waitTime is not allowed"),
        validation = Rule::new("!self.exists(e, e.type == 'TimedWait')").message("BeforeStageTaskType cannot be TimedWait")
    )]
    pub before_stage_tasks: Vec<StageTask>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum StageTaskType {
    TimedWait,
    Approval,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageTask {
    #[serde(rename = "type")]
    pub type_: StageTaskType,
    /// For TimedWait: how long, e.g. `30s`, `5m`, `1h30m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(?:(?:0|[1-9][0-9]*)(\.[0-9]+)?(?:s|m|h))+$"))]
    pub wait_time: Option<String>,
}

// Update runs.

/// The state changes a run refuses (rule, message), KubeFleet's.
const INITIALIZE_TO_STOP: (&str, &str) = (
    "!(has(oldSelf.state) && oldSelf.state == 'Initialize' && self.state == 'Stop')",
    "invalid state transition: cannot transition from Initialize to Stop",
);
const RUN_TO_INITIALIZE: (&str, &str) = (
    "!(has(oldSelf.state) && oldSelf.state == 'Run' && self.state == 'Initialize')",
    "invalid state transition: cannot transition from Run to Initialize",
);
const STOP_TO_INITIALIZE: (&str, &str) = (
    "!(has(oldSelf.state) && oldSelf.state == 'Stop' && self.state == 'Initialize')",
    "invalid state transition: cannot transition from Stop to Initialize",
);

/// Rolls a ClusterResourcePlacement's resource snapshot through a strategy's stages.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterStagedUpdateRun",
    shortname = "csur",
    category = "fleet",
    category = "fleet-placement",
    status = "UpdateRunStatus",
    printcolumn = r#"{"name":"Placement","type":"string","jsonPath":".spec.placementName"}"#,
    printcolumn = r#"{"name":"Resource-Snapshot-Index","type":"string","jsonPath":".spec.resourceSnapshotIndex"}"#,
    printcolumn = r#"{"name":"Policy-Snapshot-Index","type":"string","jsonPath":".status.policySnapshotIndexUsed"}"#,
    printcolumn = r#"{"name":"Initialized","type":"string","jsonPath":".status.conditions[?(@.type==\"Initialized\")].status"}"#,
    printcolumn = r#"{"name":"Progressing","type":"string","jsonPath":".status.conditions[?(@.type==\"Progressing\")].status"}"#,
    printcolumn = r#"{"name":"Succeeded","type":"string","jsonPath":".status.conditions[?(@.type==\"Succeeded\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Strategy","type":"string","priority":1,"jsonPath":".spec.stagedRolloutStrategyName"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(
    validation = Rule::new(INITIALIZE_TO_STOP.0).message(INITIALIZE_TO_STOP.1),
    validation = Rule::new(RUN_TO_INITIALIZE.0).message(RUN_TO_INITIALIZE.1),
    validation = Rule::new(STOP_TO_INITIALIZE.0).message(STOP_TO_INITIALIZE.1)
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStagedUpdateRunSpec {
    #[serde(flatten)]
    pub run: UpdateRunSpec,
}

/// Rolls a ResourcePlacement (of the run's namespace) through a StagedUpdateStrategy's stages.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "StagedUpdateRun",
    namespaced,
    shortname = "sur",
    category = "fleet",
    category = "fleet-placement",
    status = "UpdateRunStatus",
    printcolumn = r#"{"name":"Placement","type":"string","jsonPath":".spec.placementName"}"#,
    printcolumn = r#"{"name":"Resource-Snapshot-Index","type":"string","jsonPath":".spec.resourceSnapshotIndex"}"#,
    printcolumn = r#"{"name":"Policy-Snapshot-Index","type":"string","jsonPath":".status.policySnapshotIndexUsed"}"#,
    printcolumn = r#"{"name":"Initialized","type":"string","jsonPath":".status.conditions[?(@.type==\"Initialized\")].status"}"#,
    printcolumn = r#"{"name":"Progressing","type":"string","jsonPath":".status.conditions[?(@.type==\"Progressing\")].status"}"#,
    printcolumn = r#"{"name":"Succeeded","type":"string","jsonPath":".status.conditions[?(@.type==\"Succeeded\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Strategy","type":"string","priority":1,"jsonPath":".spec.stagedRolloutStrategyName"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(
    validation = Rule::new(INITIALIZE_TO_STOP.0).message(INITIALIZE_TO_STOP.1),
    validation = Rule::new(RUN_TO_INITIALIZE.0).message(RUN_TO_INITIALIZE.1),
    validation = Rule::new(STOP_TO_INITIALIZE.0).message(STOP_TO_INITIALIZE.1)
)]
#[serde(rename_all = "camelCase")]
pub struct StagedUpdateRunSpec {
    #[serde(flatten)]
    pub run: UpdateRunSpec,
}

shared_spec!(ClusterStagedUpdateRunSpec, run, UpdateRunSpec);
shared_spec!(StagedUpdateRunSpec, run, UpdateRunSpec);

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRunSpec {
    /// The placement to roll; its rollout strategy must be External.
    #[schemars(length(max = 255))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("placementName is immutable"))]
    pub placement_name: String,
    /// The resource snapshot index to roll out; empty takes a snapshot of the
    /// placement's resources as they are when the run initializes.
    #[serde(default)]
    #[x_kube(validation = Rule::new("self == oldSelf").message("resourceSnapshotIndex is immutable"))]
    pub resource_snapshot_index: String,
    /// The strategy (a ClusterStagedUpdateStrategy, or a StagedUpdateStrategy of the run's namespace).
    #[x_kube(validation = Rule::new("self == oldSelf").message("stagedRolloutStrategyName is immutable"))]
    pub staged_rollout_strategy_name: String,
    #[serde(default)]
    pub state: UpdateRunState,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum UpdateRunState {
    /// Plan the stages, update nothing (the default).
    #[default]
    Initialize,
    /// Update (or resume updating) clusters.
    Run,
    /// Start no more clusters; those updating finish.
    Stop,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRunStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub policy_snapshot_index_used: String,
    /// How many clusters the policy snapshot asks for (PickAll: how many it selected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_observed_cluster_count: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_snapshot_index_used: String,
    /// The placement's apply strategy when the run initialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_strategy: Option<ApplyStrategy>,
    /// The strategy as it was when the run initialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged_update_strategy_snapshot: Option<UpdateStrategySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages_status: Vec<StageUpdatingStatus>,
    /// Clusters the placement no longer selects, whose bindings go last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_stage_status: Option<StageUpdatingStatus>,
    /// `Initialized`, `Progressing`, `Succeeded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageUpdatingStatus {
    pub stage_name: String,
    pub clusters: Vec<ClusterUpdatingStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after_stage_task_status: Vec<StageTaskStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before_stage_task_status: Vec<StageTaskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Time>,
    /// `Progressing`, `Succeeded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterUpdatingStatus {
    pub cluster_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_override_snapshots: Vec<NamespacedName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_resource_override_snapshots: Vec<String>,
    /// `Started`, `Succeeded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageTaskStatus {
    #[serde(rename = "type")]
    pub type_: StageTaskType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub approval_request_name: String,
    /// `ApprovalRequestCreated`, `ApprovalRequestApproved`, `WaitTimeElapsed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}

// Approval requests.

/// Gates a stage of a ClusterStagedUpdateRun until its `Approved` condition is True.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterApprovalRequest",
    shortname = "careq",
    category = "fleet",
    category = "fleet-placement",
    status = "ApprovalRequestStatus",
    printcolumn = r#"{"name":"Update-Run","type":"string","jsonPath":".spec.parentStageRollout"}"#,
    printcolumn = r#"{"name":"Stage","type":"string","jsonPath":".spec.targetStage"}"#,
    printcolumn = r#"{"name":"Approved","type":"string","jsonPath":".status.conditions[?(@.type==\"Approved\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("The spec field is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ClusterApprovalRequestSpec {
    #[serde(flatten)]
    pub request: ApprovalRequestSpec,
}

/// Gates a stage of a StagedUpdateRun until its `Approved` condition is True.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ApprovalRequest",
    namespaced,
    shortname = "areq",
    category = "fleet",
    category = "fleet-placement",
    status = "ApprovalRequestStatus",
    printcolumn = r#"{"name":"Update-Run","type":"string","jsonPath":".spec.parentStageRollout"}"#,
    printcolumn = r#"{"name":"Stage","type":"string","jsonPath":".spec.targetStage"}"#,
    printcolumn = r#"{"name":"Approved","type":"string","jsonPath":".status.conditions[?(@.type==\"Approved\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("self == oldSelf").message("The spec field is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequestKindSpec {
    #[serde(flatten)]
    pub request: ApprovalRequestSpec,
}

shared_spec!(ClusterApprovalRequestSpec, request, ApprovalRequestSpec);
shared_spec!(ApprovalRequestKindSpec, request, ApprovalRequestSpec);

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequestSpec {
    /// The update run whose stage this gates.
    pub parent_stage_rollout: String,
    /// The stage it gates.
    pub target_stage: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequestStatus {
    /// `Approved` (set by whoever approves), `ApprovalAccepted` (set by the run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
