//! ClusterResourcePlacement and ResourcePlacement: which resources to place,
//! where, and how. Both kinds share [`PlacementSpec`] and [`PlacementStatus`].

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PlacementPolicy, PlacementStatus, RolloutStrategy};

/// Places cluster-scoped resources (a selected Namespace brings everything in
/// it, see `selectionScope`) onto member clusters.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourcePlacement",
    shortname = "crp",
    category = "fleet",
    category = "fleet-placement",
    status = "PlacementStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Type","type":"string","priority":1,"jsonPath":".spec.policy.placementType"}"#,
    printcolumn = r#"{"name":"Scheduled","type":"string","jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementScheduled\")].status"}"#,
    printcolumn = r#"{"name":"Scheduled-Gen","type":"string","jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementScheduled\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Work-Synchronized","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementWorkSynchronized\")].status"}"#,
    printcolumn = r#"{"name":"Work-Synchronized-Gen","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementWorkSynchronized\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementAvailable\")].status"}"#,
    printcolumn = r#"{"name":"Available-Gen","type":"string","jsonPath":".status.conditions[?(@.type==\"ClusterResourcePlacementAvailable\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(
    validation = Rule::new("!(has(oldSelf.policy) && !has(self.policy))").message("policy cannot be removed once set"),
    validation = Rule::new("!(self.statusReportingScope == 'NamespaceAccessible' && size(self.resourceSelectors.filter(x, x.kind == 'Namespace')) != 1)").message("when statusReportingScope is NamespaceAccessible, exactly one resourceSelector with kind 'Namespace' is required"),
    validation = Rule::new("!has(oldSelf.statusReportingScope) || self.statusReportingScope == oldSelf.statusReportingScope").message("statusReportingScope is immutable")
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourcePlacementSpec {
    #[serde(flatten)]
    pub placement: PlacementSpec,
}

/// Places namespaced resources of its own namespace onto member clusters; it
/// cannot select Namespaces.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ResourcePlacement",
    namespaced,
    shortname = "rp",
    category = "fleet",
    category = "fleet-placement",
    status = "PlacementStatus",
    printcolumn = r#"{"name":"Gen","type":"string","jsonPath":".metadata.generation"}"#,
    printcolumn = r#"{"name":"Type","type":"string","priority":1,"jsonPath":".spec.policy.placementType"}"#,
    printcolumn = r#"{"name":"Scheduled","type":"string","jsonPath":".status.conditions[?(@.type==\"ResourcePlacementScheduled\")].status"}"#,
    printcolumn = r#"{"name":"Scheduled-Gen","type":"string","jsonPath":".status.conditions[?(@.type==\"ResourcePlacementScheduled\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Work-Synchronized","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"ResourcePlacementWorkSynchronized\")].status"}"#,
    printcolumn = r#"{"name":"Work-Synchronized-Gen","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"ResourcePlacementWorkSynchronized\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type==\"ResourcePlacementAvailable\")].status"}"#,
    printcolumn = r#"{"name":"Available-Gen","type":"string","jsonPath":".status.conditions[?(@.type==\"ResourcePlacementAvailable\")].observedGeneration"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(validation = Rule::new("!(has(oldSelf.policy) && !has(self.policy))").message("policy cannot be removed once set"))]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlacementSpec {
    #[serde(flatten)]
    pub placement: PlacementSpec,
}

shared_spec!(ClusterResourcePlacementSpec, placement, PlacementSpec);
shared_spec!(ResourcePlacementSpec, placement, PlacementSpec);

/// The spec of both placement kinds.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(
    validation = Rule::new("size(self.resourceSelectors.filter(x, x.kind == 'Namespace' && x.group == \"\" && x.version == 'v1' && has(x.selectionScope) && x.selectionScope == 'NamespaceWithResourceSelectors')) <= 1").message("only one namespace selector with NamespaceWithResourceSelectors mode is allowed"),
    validation = Rule::new("size(self.resourceSelectors.filter(x, x.kind == 'Namespace' && x.group == \"\" && x.version == 'v1' && has(x.selectionScope) && x.selectionScope == 'NamespaceWithResourceSelectors')) == 0 || (size(self.resourceSelectors.filter(x, x.kind == 'Namespace' && x.group == \"\" && x.version == 'v1' && has(x.selectionScope) && x.selectionScope == 'NamespaceWithResourceSelectors' && has(x.name) && size(x.name) > 0 && !has(x.labelSelector))) == 1)").message("namespace selector with NamespaceWithResourceSelectors mode must select by name (not by label)"),
    validation = Rule::new("size(self.resourceSelectors.filter(x, x.kind == 'Namespace' && x.group == \"\" && x.version == 'v1' && has(x.selectionScope) && x.selectionScope == 'NamespaceWithResourceSelectors')) == 0 || size(self.resourceSelectors.filter(x, x.kind == 'Namespace' && x.group == \"\" && x.version == 'v1')) == 1").message("when using NamespaceWithResourceSelectors mode, only one namespace selector is allowed (cannot mix with other namespace selectors)")
)]
#[serde(rename_all = "camelCase")]
pub struct PlacementSpec {
    /// What to place; the selectors are ORed.
    #[schemars(length(min = 1, max = 100))]
    #[x_kube(validation = Rule::new("self.all(x, !(has(x.name) && size(x.name) > 0 && has(x.labelSelector)))").message("name and labelSelector are mutually exclusive in a resource selector"))]
    pub resource_selectors: Vec<ResourceSelectorTerm>,
    /// Where to place; unset means every joined member cluster (stored as PickAll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = {"placementType": "PickAll"}))]
    #[x_kube(
        validation = Rule::new("!(self.placementType != oldSelf.placementType)").message("placement type is immutable"),
        validation = Rule::new("self.placementType != 'PickFixed' || (!has(self.affinity) && !has(self.numberOfClusters) && !has(self.topologySpreadConstraints) && !has(self.tolerations))").message("affinity, numberOfClusters, topologySpreadConstraints, and tolerations cannot be set when placementType is PickFixed"),
        validation = Rule::new("self.placementType != 'PickAll' || (!has(self.clusterNames) && !has(self.numberOfClusters) && !has(self.topologySpreadConstraints))").message("clusterNames, numberOfClusters, and topologySpreadConstraints cannot be set when placementType is PickAll"),
        validation = Rule::new("self.placementType != 'PickN' || (!has(self.clusterNames) && has(self.numberOfClusters))").message("clusterNames cannot be set and numberOfClusters must be set when placementType is PickN"),
        validation = Rule::new("self.placementType != 'PickAll' || !has(self.affinity) || !has(self.affinity.clusterAffinity) || !has(self.affinity.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution)").message("PreferredDuringSchedulingIgnoredDuringExecution will be ignored for placement policy type PickAll")
    )]
    pub policy: Option<PlacementPolicy>,
    #[serde(default)]
    pub strategy: RolloutStrategy,
    /// How many old policy and resource snapshots to keep for rollback.
    #[serde(default = "default_revision_history_limit")]
    #[schemars(range(min = 1, max = 1000))]
    pub revision_history_limit: i32,
    /// Where the status is visible; immutable.
    #[serde(default)]
    pub status_reporting_scope: StatusReportingScope,
}

fn default_revision_history_limit() -> i32 {
    10
}

impl PlacementSpec {
    /// A spec with these selectors and every other field defaulted, as the API server would.
    pub fn new(resource_selectors: Vec<ResourceSelectorTerm>) -> Self {
        Self {
            resource_selectors,
            policy: None,
            strategy: RolloutStrategy::default(),
            revision_history_limit: default_revision_history_limit(),
            status_reporting_scope: StatusReportingScope::default(),
        }
    }
}

/// Selects resources by group, version and kind (ANDed), and by `name` or
/// `labelSelector` (at most one; neither selects every object of the kind).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSelectorTerm {
    /// `""` is the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// What a Namespace selector brings along; ignored for other kinds.
    #[serde(default)]
    pub selection_scope: SelectionScope,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum SelectionScope {
    /// The Namespace object only.
    NamespaceOnly,
    /// The Namespace and everything in it.
    #[default]
    NamespaceWithResources,
    /// The Namespace (selected by name, the only Namespace selector) plus what
    /// the other selectors select in it; cluster-scoped selectors pass through.
    NamespaceWithResourceSelectors,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum StatusReportingScope {
    /// Status on the ClusterResourcePlacement only.
    #[default]
    ClusterScopeOnly,
    /// Also a ClusterResourcePlacementStatus in the one selected namespace.
    NamespaceAccessible,
}
