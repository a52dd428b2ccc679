//! The scheduling policy of a placement: which member clusters to pick
//! (placement type, cluster affinity, topology spread, tolerations).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::KubeSchema;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::cluster::TaintEffect;

/// Which member clusters to place the selected resources on. Only joined
/// clusters that satisfy the rules are picked; with no policy, every joined
/// cluster is picked.
///
/// The rules that tie the other fields to `placementType` live on the `policy`
/// field of a placement spec, so a policy snapshot does not repeat them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PlacementPolicy {
    #[serde(default)]
    pub placement_type: PlacementType,
    /// The MemberClusters to place on; PickFixed only. Empty places nowhere
    /// (scales the placement to zero, as KubeFleet allows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "member_names")]
    pub cluster_names: Vec<String>,
    /// How many clusters to pick; required for PickN, not allowed otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub number_of_clusters: Option<i32>,
    /// Cluster affinity; PickAll and PickN only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// How to spread the placement across topology domains (ANDed); PickN only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Taints to tolerate; they cannot be updated or removed once set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(
        validation = Rule::new("self.all(x, x.operator != 'Exists' || !has(x.value) || size(x.value) == 0)").message("value must be empty when operator is Exists"),
        validation = Rule::new("self.all(x, (has(x.key) && size(x.key) > 0) || x.operator == 'Exists')").message("operator must be Exists when key is empty"),
        validation = Rule::new("oldSelf.all(x, x in self)").message("tolerations have been updated/deleted, only additions to tolerations are allowed")
    )]
    pub tolerations: Vec<Toleration>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum PlacementType {
    /// Every cluster that satisfies the rules.
    #[default]
    PickAll,
    /// The best `numberOfClusters` clusters that satisfy the rules.
    PickN,
    /// Exactly the clusters in `clusterNames`.
    PickFixed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Affinity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_affinity: Option<ClusterAffinity>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAffinity {
    /// Clusters that do not match are never picked; a later mismatch does not
    /// remove resources already placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.clusterSelectorTerms.all(t, !has(t.propertySorter))").message("PropertySorter is not allowed for RequiredDuringSchedulingIgnoredDuringExecution affinity"))]
    pub required_during_scheduling_ignored_during_execution: Option<ClusterSelector>,
    /// Each matching term adds its weight to a cluster's score (PickN only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(validation = Rule::new("self.all(p, !has(p.preference.propertySelector))").message("PropertySelector is not allowed for PreferredDuringSchedulingIgnoredDuringExecution affinity"))]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredClusterSelector>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSelector {
    /// ORed.
    #[schemars(length(max = 10))]
    pub cluster_selector_terms: Vec<ClusterSelectorTerm>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreferredClusterSelector {
    #[schemars(range(min = -100, max = 100))]
    pub weight: i32,
    pub preference: ClusterSelectorTerm,
}

/// The label and property selectors of one term are ANDed.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSelectorTerm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// Required terms only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_selector: Option<PropertySelector>,
    /// Preferred terms only: scales the weight linearly by the property's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_sorter: Option<PropertySorter>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertySelector {
    /// ANDed.
    pub match_expressions: Vec<PropertySelectorRequirement>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertySelectorRequirement {
    /// A property name, e.g. `kubernetes-fleet.io/node-count`.
    pub name: String,
    pub operator: PropertySelectorOperator,
    /// Exactly one Kubernetes quantity.
    #[schemars(length(max = 1))]
    pub values: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PropertySelectorOperator {
    Gt,
    Ge,
    Eq,
    Ne,
    Lt,
    Le,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertySorter {
    pub name: String,
    pub sort_order: PropertySortOrder,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PropertySortOrder {
    /// Lower values weigh more.
    Ascending,
    /// Higher values weigh more.
    Descending,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopologySpreadConstraint {
    /// The largest allowed difference in placement count between topology domains.
    #[serde(default = "default_max_skew")]
    #[schemars(range(min = 1))]
    pub max_skew: i32,
    /// A cluster label; clusters with the same value form one domain.
    pub topology_key: String,
    #[serde(default)]
    pub when_unsatisfiable: UnsatisfiableConstraintAction,
}

fn default_max_skew() -> i32 {
    1
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum UnsatisfiableConstraintAction {
    #[default]
    DoNotSchedule,
    ScheduleAnyway,
}

/// Tolerates the taints matching `<key, value, effect>` under `operator`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    /// Empty matches every key (then the operator must be Exists).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default)]
    pub operator: TolerationOperator,
    /// Empty when the operator is Exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Empty matches every effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "taint_effect")]
    pub effect: Option<TaintEffect>,
}

/// At most 100 distinct member cluster names (DNS subdomains of at most 63 characters).
fn member_names(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": "array",
        "maxItems": 100,
        "x-kubernetes-list-type": "set",
        "items": {
            "type": "string",
            "maxLength": 63,
            "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        },
    })
}

/// The schema of an optional [`TaintEffect`]: a plain string enum.
fn taint_effect(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<TaintEffect>()
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}
