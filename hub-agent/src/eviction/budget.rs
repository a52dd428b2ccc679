//! Whether a ClusterResourcePlacementDisruptionBudget lets one more of its
//! placement's clusters go, as KubeFleet counts: `available` bindings are
//! those whose Available condition is True at their generation, `total` is
//! every binding of the placement; an unavailable binding (an involuntary
//! outage) counts against the budget like an eviction. Percentages are of
//! `numberOfClusters` (PickN), rounded up; for PickAll only an integer
//! `minAvailable` means anything. Pure.

use apis::placement::{PlacementDisruptionBudgetSpec, PlacementType};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::placement::rollout::strategy::scaled;

/// The placement's bindings as the budget counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub available: usize,
    pub total: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// No budget names the placement: any eviction may go.
    NoBudget,
    Allowed(Counts),
    Blocked(Counts),
    /// `maxUnavailable`, or a percentage `minAvailable`, on a PickAll placement.
    Misconfigured,
}

pub fn judge(
    budget: Option<&PlacementDisruptionBudgetSpec>,
    placement_type: PlacementType,
    number_of_clusters: usize,
    counts: Counts,
) -> Verdict {
    let Some(budget) = budget else { return Verdict::NoBudget };
    let pick_all = placement_type == PlacementType::PickAll;
    if pick_all && (budget.max_unavailable.is_some() || matches!(budget.min_available, Some(IntOrString::String(_)))) {
        return Verdict::Misconfigured;
    }
    let Counts { available, total } = counts;
    let desired = if placement_type == PlacementType::PickN { number_of_clusters } else { 0 };
    // A value the schema refuses (negative, not a percentage) allows nothing.
    let allowed = match (&budget.max_unavailable, &budget.min_available) {
        (Some(max), _) => scaled(max, desired).map_or(0, |max| max as i64 - (total - available) as i64),
        (None, Some(IntOrString::Int(min))) if pick_all => available as i64 - i64::from(*min),
        (None, Some(min)) => scaled(min, desired).map_or(0, |min| available as i64 - min as i64),
        // Neither: nothing may go, as in KubeFleet.
        (None, None) => 0,
    };
    if allowed > 0 { Verdict::Allowed(counts) } else { Verdict::Blocked(counts) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(max: Option<IntOrString>, min: Option<IntOrString>) -> PlacementDisruptionBudgetSpec {
        PlacementDisruptionBudgetSpec { max_unavailable: max, min_available: min }
    }
    fn int(i: i32) -> Option<IntOrString> {
        Some(IntOrString::Int(i))
    }
    fn pct(s: &str) -> Option<IntOrString> {
        Some(IntOrString::String(s.into()))
    }
    const ALL_UP: Counts = Counts { available: 3, total: 3 };

    /// KubeFleet's e2e cases: PickN(3) over 3 available clusters.
    #[test]
    fn pick_n_budgets_as_kubefleets_e2e_cases() {
        let n = |b| judge(Some(&b), PlacementType::PickN, 3, ALL_UP);
        assert_eq!(n(budget(int(0), None)), Verdict::Blocked(ALL_UP));
        assert_eq!(n(budget(int(1), None)), Verdict::Allowed(ALL_UP));
        assert_eq!(n(budget(pct("33%"), None)), Verdict::Allowed(ALL_UP), "33% of 3 rounds up to 1");
        assert_eq!(n(budget(pct("0%"), None)), Verdict::Blocked(ALL_UP));
        assert_eq!(n(budget(None, int(3))), Verdict::Blocked(ALL_UP));
        assert_eq!(n(budget(None, int(2))), Verdict::Allowed(ALL_UP));
        assert_eq!(n(budget(None, pct("66%"))), Verdict::Allowed(ALL_UP), "66% of 3 rounds up to 2");
        assert_eq!(n(budget(None, pct("100%"))), Verdict::Blocked(ALL_UP));
    }

    #[test]
    fn pick_all_takes_only_an_integer_min_available() {
        let all = |b| judge(Some(&b), PlacementType::PickAll, 0, ALL_UP);
        assert_eq!(all(budget(None, int(3))), Verdict::Blocked(ALL_UP));
        assert_eq!(all(budget(None, int(2))), Verdict::Allowed(ALL_UP));
        assert_eq!(all(budget(int(1), None)), Verdict::Misconfigured);
        assert_eq!(all(budget(pct("10%"), None)), Verdict::Misconfigured);
        assert_eq!(all(budget(None, pct("50%"))), Verdict::Misconfigured);
    }

    #[test]
    fn an_unavailable_cluster_counts_against_the_budget() {
        let one_down = Counts { available: 2, total: 3 };
        let b = budget(int(1), None);
        assert_eq!(judge(Some(&b), PlacementType::PickN, 3, one_down), Verdict::Blocked(one_down));
        let b = budget(None, int(2));
        assert_eq!(judge(Some(&b), PlacementType::PickAll, 0, one_down), Verdict::Blocked(one_down));
    }

    #[test]
    fn no_budget_allows_and_an_empty_budget_blocks() {
        assert_eq!(judge(None, PlacementType::PickN, 3, ALL_UP), Verdict::NoBudget);
        assert_eq!(judge(Some(&budget(None, None)), PlacementType::PickN, 3, ALL_UP), Verdict::Blocked(ALL_UP));
    }
}
