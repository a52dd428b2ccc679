//! ClusterResourceOverride and ResourceOverride: per-cluster changes (JSON
//! patches, or not placing at all) applied to selected resources before they
//! are placed. A ResourceOverride is applied after, and so wins over, a
//! ClusterResourceOverride.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ClusterSelector, ResourceSelectorTerm};

/// Overrides cluster-scoped resources (a selected Namespace covers everything in it).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourceOverride",
    category = "fleet",
    category = "fleet-placement",
    validation = Rule::new("!has(self.spec.placement) || self.spec.placement.scope != 'Namespaced'").message("clusterResourceOverride placement reference cannot be Namespaced scope").field_path(".spec.placement.scope"),
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(validation = Rule::new(PLACEMENT_IMMUTABLE).message("The placement field is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourceOverrideSpec {
    /// The ClusterResourcePlacement to roll the override out with right away;
    /// unset, the override applies at the next rollout. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRef>,
    /// What to override, by name only; the selectors are ORed.
    #[schemars(length(min = 1, max = 20))]
    #[x_kube(
        validation = Rule::new("self.all(x, !has(x.labelSelector))").message("label selector is not supported for resource selection in clusterResourceSelectors"),
        validation = Rule::new("self.all(x, has(x.name) && size(x.name) > 0)").message("resource name is required for resource selection in clusterResourceSelectors")
    )]
    pub cluster_resource_selectors: Vec<ResourceSelectorTerm>,
    pub policy: OverridePolicy,
}

/// Overrides namespaced resources in its own namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourceOverride",
    namespaced,
    category = "fleet",
    category = "fleet-placement",
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(validation = Rule::new(PLACEMENT_IMMUTABLE).message("The placement field is immutable"))]
#[serde(rename_all = "camelCase")]
pub struct ResourceOverrideSpec {
    /// The ClusterResourcePlacement, or ResourcePlacement in this namespace, to
    /// roll the override out with right away; unset, the override applies at
    /// the next rollout. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRef>,
    /// What to override; the selectors are ORed.
    #[schemars(length(min = 1, max = 20))]
    pub resource_selectors: Vec<ResourceSelector>,
    pub policy: OverridePolicy,
}

/// In a JSON patch value: replaced by the name of the member cluster.
pub const OVERRIDE_CLUSTER_NAME_VARIABLE: &str = "${MEMBER-CLUSTER-NAME}";
/// In a JSON patch value: `${MEMBER-CLUSTER-LABEL-KEY-<key>}` is replaced by
/// the value of the member cluster's label `<key>` (case-sensitive); the
/// override fails if the cluster has no such label.
pub const OVERRIDE_CLUSTER_LABEL_KEY_VARIABLE_PREFIX: &str = "${MEMBER-CLUSTER-LABEL-KEY-";

/// A placement reference can be neither added, removed nor changed.
const PLACEMENT_IMMUTABLE: &str = "(has(oldSelf.placement) && has(self.placement) && oldSelf.placement == self.placement) || (!has(oldSelf.placement) && !has(self.placement))";

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementRef {
    pub name: String,
    /// Namespaced (a ResourcePlacement) only from a ResourceOverride.
    #[serde(default)]
    pub scope: ResourceScope,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ResourceScope {
    #[default]
    Cluster,
    Namespaced,
}

/// Selects one namespaced object of the override's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub struct ResourceSelector {
    /// `""` is the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverridePolicy {
    /// Applied in order; where two rules change the same field, the last wins.
    #[schemars(length(min = 1, max = 20))]
    pub override_rules: Vec<OverrideRule>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[x_kube(
    validation = Rule::new("self.overrideType != 'Delete' || !has(self.jsonPatchOverrides)").message("jsonPatchOverrides cannot be set when overrideType is Delete"),
    validation = Rule::new("self.overrideType != 'JSONPatch' || has(self.jsonPatchOverrides)").message("jsonPatchOverrides must be set when overrideType is JSONPatch"),
    validation = Rule::new("!has(self.clusterSelector) || self.clusterSelector.clusterSelectorTerms.all(t, has(t.labelSelector) && !has(t.propertySelector) && !has(t.propertySorter))").message("clusterSelector.clusterSelectorTerms of an override support labelSelector only, and it is required")
)]
#[serde(rename_all = "camelCase")]
pub struct OverrideRule {
    /// The clusters to override on (label selectors only): an empty selector
    /// selects every cluster, no selector none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_selector: Option<ClusterSelector>,
    #[serde(default)]
    pub override_type: OverrideType,
    /// JSONPatch only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 20))]
    pub json_patch_overrides: Vec<JsonPatchOverride>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum OverrideType {
    /// Apply `jsonPatchOverrides` (RFC 6902).
    #[default]
    #[serde(rename = "JSONPatch")]
    JsonPatch,
    /// Do not place the selected resources on the matching clusters.
    Delete,
}

/// One RFC 6902 operation. The path may not touch apiVersion, kind, status or
/// metadata other than labels and annotations.
// That `remove` carries no value cannot be a schema rule: CEL cannot see a
// field of any JSON type (`value`), so whoever applies overrides checks it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(
    validation = Rule::new("self.path.startsWith('/')").message(Message::Expression("self.path == '' ? 'path cannot be empty' : 'path must start with /: path ' + self.path".into())).field_path(".path"),
    validation = Rule::new("!(self.path == '/kind' || self.path.startsWith('/kind/') || self.path == '/apiVersion' || self.path.startsWith('/apiVersion/'))").message(Message::Expression("'cannot override typeMeta fields: path ' + self.path".into())).field_path(".path"),
    validation = Rule::new("self.path != '/metadata'").message(Message::Expression("'cannot override field metadata: path ' + self.path".into())).field_path(".path"),
    validation = Rule::new("!self.path.startsWith('/metadata/') || self.path == '/metadata/labels' || self.path.startsWith('/metadata/labels/') || self.path == '/metadata/annotations' || self.path.startsWith('/metadata/annotations/')").message(Message::Expression("'cannot override metadata fields except annotations and labels: path ' + self.path".into())).field_path(".path"),
    validation = Rule::new("self.path != '/status' && !self.path.startsWith('/status/')").message(Message::Expression("'cannot override status fields: path ' + self.path".into())).field_path(".path"),
    validation = Rule::new(r#"!self.path.matches(r'/[\t\n\v\f\r\x{85}\p{Z}]*(/|$)')"#).message(Message::Expression("'path cannot contain empty string: path ' + self.path".into())).field_path(".path")
)]
pub struct JsonPatchOverride {
    pub op: JsonPatchOverrideOperator,
    /// A JSON pointer; the override fails if it does not exist.
    #[schemars(length(max = 1024))]
    pub path: String,
    /// Not with `remove`. The variables `${MEMBER-CLUSTER-NAME}` and
    /// `${MEMBER-CLUSTER-LABEL-KEY-<key>}` are replaced per cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::any_json")]
    pub value: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonPatchOverrideOperator {
    Add,
    Remove,
    Replace,
}
