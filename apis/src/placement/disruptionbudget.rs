//! ClusterResourcePlacementDisruptionBudget: how many of a
//! ClusterResourcePlacement's clusters voluntary disruptions (evictions) may
//! take down at once. It applies to the placement of the same name.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// At most one of `maxUnavailable` and `minAvailable`. Percentages are of
/// `numberOfClusters` (PickN) and rounded up; for PickAll only an integer
/// `minAvailable` works, and PickFixed placements cannot be evicted at all.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "placement.kubernetes-fleet.io",
    version = "v1beta1",
    kind = "ClusterResourcePlacementDisruptionBudget",
    shortname = "crpdb",
    category = "fleet",
    category = "fleet-placement"
)]
#[x_kube(validation = Rule::new("!(has(self.maxUnavailable) && has(self.minAvailable))").message("Both MaxUnavailable and MinAvailable cannot be specified"))]
#[serde(rename_all = "camelCase")]
pub struct PlacementDisruptionBudgetSpec {
    /// How many clusters may be unavailable, e.g. `1` or `10%`; 0 allows no eviction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(COUNT_OR_PERCENTAGE).message(COUNT_OR_PERCENTAGE_MESSAGE))]
    pub max_unavailable: Option<IntOrString>,
    /// How many clusters must stay available, e.g. `1` or `10%`; 0 allows any eviction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new(COUNT_OR_PERCENTAGE).message(COUNT_OR_PERCENTAGE_MESSAGE))]
    pub min_available: Option<IntOrString>,
}

const COUNT_OR_PERCENTAGE: &str = "type(self) == string ? self.matches('^(100|[0-9]{1,2})%$') : self >= 0";
const COUNT_OR_PERCENTAGE_MESSAGE: &str = "If supplied value is String should match regex '^(100|[0-9]{1,2})%$' or If supplied value is Integer must be greater than or equal to 0";
