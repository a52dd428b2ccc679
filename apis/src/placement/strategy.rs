//! How a placement rolls out, applies, deletes and reports back its resources.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::KubeSchema;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(validation = Rule::new("!(self.type == 'External' && has(self.rollingUpdate))").message("rollingUpdate cannot be set when the rollout strategy type is External"))]
#[serde(rename_all = "camelCase")]
pub struct RolloutStrategy {
    #[serde(default, rename = "type")]
    #[x_kube(validation = Rule::new("!(self != 'External' && oldSelf == 'External')").message("cannot change rollout strategy type from 'External' to other types"))]
    pub type_: RolloutStrategyType,
    /// Used when the type is RollingUpdate (the admission webhook fills in its defaults then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = {}))]
    #[x_kube(validation = Rule::new("!has(self.serverSideApplyConfig) || self.type == 'ServerSideApply'").message("serverSideApplyConfig is only valid for ServerSideApply strategy type"))]
    pub apply_strategy: Option<ApplyStrategy>,
    /// What happens to placed resources when the placement is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_strategy: Option<DeleteStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.type != 'Mirror' || (has(self.destination) && size(self.destination) != 0)").message("when reportBackStrategy.type is 'Mirror', a destination must be specified"))]
    pub report_back_strategy: Option<ReportBackStrategy>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum RolloutStrategyType {
    /// Replace old placements gradually, within maxUnavailable and maxSurge.
    #[default]
    RollingUpdate,
    /// An external controller (a staged update run) rolls out; cannot be changed back.
    External,
}

/// Both percentages are of the target cluster count, rounded up.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdateConfig {
    /// How many target clusters may be unavailable during the rollout, e.g. `5` or `10%`.
    #[serde(default = "default_25_percent")]
    #[schemars(schema_with = "count_or_percentage")]
    pub max_unavailable: IntOrString,
    /// How many clusters may be scheduled above the target count; never 0 when maxUnavailable is 0.
    #[serde(default = "default_25_percent")]
    #[schemars(schema_with = "count_or_percentage")]
    pub max_surge: IntOrString,
    /// How long to wait before treating applied resources whose availability
    /// cannot be tracked as available.
    #[serde(default = "default_unavailable_period_seconds")]
    #[schemars(range(min = 0))]
    pub unavailable_period_seconds: i32,
}

impl Default for RollingUpdateConfig {
    fn default() -> Self {
        Self {
            max_unavailable: default_25_percent(),
            max_surge: default_25_percent(),
            unavailable_period_seconds: default_unavailable_period_seconds(),
        }
    }
}

fn default_25_percent() -> IntOrString {
    IntOrString::String("25%".into())
}

fn default_unavailable_period_seconds() -> i32 {
    60
}

/// An IntOrString that is a non-negative count or a percentage up to 100%.
fn count_or_percentage(g: &mut SchemaGenerator) -> Schema {
    let mut s = g.subschema_for::<IntOrString>();
    s.insert("pattern".into(), "^((100|[0-9]{1,2})%|[0-9]+)$".into());
    s
}

/// When and how to apply the selected resources on a member cluster. Placements
/// that place the same resource with different apply strategies conflict.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyStrategy {
    #[serde(default)]
    pub comparison_option: ComparisonOptionType,
    #[serde(default)]
    pub when_to_apply: WhenToApplyType,
    #[serde(default, rename = "type")]
    pub type_: ApplyStrategyType,
    /// Apply even to objects other (non-fleet) owners also own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_co_ownership: bool,
    /// Honoured only when the type is ServerSideApply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_side_apply_config: Option<ServerSideApplyConfig>,
    /// What to do when the object already exists on the member cluster.
    #[serde(default)]
    pub when_to_take_over: WhenToTakeOverType,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ComparisonOptionType {
    /// Compare only the fields the hub manifest sets.
    #[default]
    PartialComparison,
    /// Compare every field.
    FullComparison,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum WhenToApplyType {
    /// Apply periodically, overwriting changes made on the member cluster.
    #[default]
    Always,
    /// Stop applying to objects that drifted on the member cluster.
    IfNotDrifted,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ApplyStrategyType {
    /// Three-way merge, keeping the last applied configuration in an annotation.
    #[default]
    ClientSideApply,
    /// Server-side apply, fleet being the field manager.
    ServerSideApply,
    /// Apply nothing; report differences only.
    ReportDiff,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum WhenToTakeOverType {
    /// Take over existing objects, overwriting what the hub manifest sets.
    #[default]
    Always,
    /// Take over only objects that do not differ from the hub manifest.
    IfNoDiff,
    /// Never take over an existing object.
    Never,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerSideApplyConfig {
    /// Take over conflicting fields instead of failing the apply.
    #[serde(default, rename = "force")]
    pub force_conflicts: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteStrategy {
    #[serde(default)]
    pub propagation_policy: DeletePropagationPolicy,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum DeletePropagationPolicy {
    /// Leave the placed resources on the member clusters.
    Abandon,
    /// Delete the placed resources from the member clusters.
    #[default]
    Delete,
}

/// Whether and where to copy the status of placed resources back to the hub.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportBackStrategy {
    #[serde(default, rename = "type")]
    pub type_: ReportBackStrategyType,
    /// Required when the type is Mirror.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<ReportBackDestination>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ReportBackStrategyType {
    #[default]
    Disabled,
    Mirror,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ReportBackDestination {
    /// The hub's original object; only when exactly one cluster is picked.
    OriginalResource,
    /// The Work object's manifest conditions.
    #[serde(rename = "WorkAPI")]
    WorkApi,
}
