//! ClusterResourceAdoption (Flotilla's, v1alpha1): take the running objects
//! of a member's namespaces into the fleet without restarting anything. The
//! member agent exports them (a [`ResourceExport`] in its own hub namespace),
//! the hub makes them templates placed back on that cluster with
//! `whenToTakeOver: IfNoDiff`, watches the workloads' Pods stay as they were,
//! and on `release` hands everything back untouched.
//!
//! [`ResourceExport`]: super::ResourceExport

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What to adopt from which cluster, and how.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1alpha1",
    kind = "ClusterResourceAdoption",
    shortname = "crad",
    category = "fleet",
    category = "fleet-placement",
    status = "AdoptionStatus",
    printcolumn = r#"{"name":"Cluster","type":"string","jsonPath":".spec.clusterName"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Adopted","type":"integer","jsonPath":".status.adoptedCount"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Placement","type":"string","priority":1,"jsonPath":".status.placementName"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct AdoptionSpec {
    /// The member cluster whose objects are adopted.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("clusterName is immutable"))]
    pub cluster_name: String,
    /// The namespaces whose objects are adopted.
    #[x_kube(validation = Rule::new("self == oldSelf").message("namespaces is immutable"))]
    pub namespaces: AdoptedNamespaces,
    /// Narrows the objects adopted: an object is adopted if it matches any
    /// selector (none: every object not excluded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub resource_selectors: Vec<AdoptionResourceSelector>,
    /// Resources never adopted, as `resource[.group]` (`events`,
    /// `endpointslices.discovery.k8s.io`); absent takes [`DEFAULT_EXCLUDED_RESOURCES`].
    /// Objects a controller owns, service-account token Secrets and the
    /// `kube-root-ca.crt` ConfigMap are never adopted either: their
    /// controllers make them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub excluded_resources: Option<Vec<String>>,
    /// `DryRun` plans and changes nothing; `Adopt` (the default) adopts. A
    /// dry run may become `Adopt`; an adoption cannot become a dry run.
    #[serde(default)]
    #[x_kube(validation = Rule::new("oldSelf == 'DryRun' || self == oldSelf").message("mode may only change from DryRun to Adopt"))]
    pub mode: AdoptionMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Hand the objects back: the member lets go of them (no fleet owner,
    /// label or annotation left) and the hub forgets them; they keep running.
    #[serde(default)]
    pub release: bool,
    /// The placement made for the adopted objects; defaults to the adoption's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("placementName is immutable"))]
    pub placement_name: Option<String>,
}

/// The resources excluded when `excludedResources` is absent.
pub const DEFAULT_EXCLUDED_RESOURCES: &[&str] =
    &["events", "events.events.k8s.io", "endpoints", "endpointslices.discovery.k8s.io", "leases.coordination.k8s.io"];

/// Namespaces by name or by label selector, one of them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.names) != has(self.selector)").message("exactly one of names and selector must be set"))]
pub struct AdoptedNamespaces {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub names: Option<Vec<String>>,
    /// The member's namespaces with these labels, as the member sees them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdoptionResourceSelector {
    /// `""` is the core group.
    #[serde(default)]
    pub group: String,
    /// `*`: every kind (the group is then ignored), e.g. with a label selector.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AdoptionMode {
    DryRun,
    #[default]
    Adopt,
}

/// How long the workloads are watched after the takeover, and how many Pod
/// restarts are tolerated (any Pod replaced always fails the adoption).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    #[serde(default = "default_observation_seconds")]
    #[schemars(range(min = 0, max = 3600))]
    pub observation_seconds: i32,
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub max_pod_restarts: i32,
}

fn default_observation_seconds() -> i32 {
    30
}

impl Default for Verification {
    fn default() -> Self {
        Verification { observation_seconds: default_observation_seconds(), max_pod_restarts: 0 }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum AdoptionPhase {
    Pending,
    Discovering,
    Diffing,
    Adopting,
    Verifying,
    Adopted,
    Releasing,
    Released,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdoptionStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<AdoptionPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The placement that holds the adopted objects.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub placement_name: String,
    #[serde(default)]
    pub adopted_count: i32,
    /// When the takeover started and when the adoption was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_time: Option<Time>,
    /// `Discovered`, `Diffed`, `Adopted`, `WorkloadsUndisturbed`, `Released`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
    /// The namespaces this adoption created on the hub (deleted on release).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hub_namespaces: Vec<String>,
    /// The round of the member's export the workloads are verified on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_round: Option<i64>,
    /// Every object found, and what became of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<AdoptedResource>,
    /// Each adopted workload's Pods before the takeover and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadPods>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdoptedResource {
    #[serde(flatten)]
    pub reference: super::ObjectReference,
    pub result: AdoptionResult,
    /// Why, for anything but Adopted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Fields the template leaves out or that differ from the live object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_paths: Vec<String>,
}

/// `Planned` before the takeover (and in a dry run).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AdoptionResult {
    #[default]
    Planned,
    Adopted,
    Skipped,
    Excluded,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadPods {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub before: Vec<PodFact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Vec<PodFact>>,
}

/// What shows that a Pod was not disturbed: its identity, restarts and the
/// revision of its controller's template it runs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodFact {
    pub name: String,
    pub uid: String,
    pub restarts: i32,
    /// `pod-template-hash` (Deployments) or `controller-revision-hash` (StatefulSets, DaemonSets).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template_hash: String,
}
