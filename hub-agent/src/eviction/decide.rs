//! What a ClusterResourcePlacementEviction does, in KubeFleet's order and
//! words: validate (the placement exists, is not being deleted, is not
//! PickFixed, and has exactly one binding on the cluster), then execute when
//! the placement is there and the disruption budget allows. `Valid=False`
//! and `Executed=True` are final. `Executed=False` is not: where KubeFleet
//! leaves a blocked eviction for the user to re-create, Flotilla looks again
//! whenever the placement's bindings or its budget change, and executes
//! once the budget allows. Pure.

use apis::{
    conditions::{self, Status, placement as p},
    placement::{BindingState, PlacementDisruptionBudgetSpec, PlacementType},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use super::budget::{self, Counts, Verdict};
use crate::placement::rollout::readiness::View;

/// The placement an eviction names, as far as eviction cares.
pub struct Placement {
    pub deleting: bool,
    pub placement_type: PlacementType,
    pub number_of_clusters: usize,
}

/// One of the placement's bindings.
pub struct Binding<'a> {
    pub name: &'a str,
    pub cluster: &'a str,
    pub state: BindingState,
    /// Unscheduled, but Bound before (its resources are still there).
    pub was_bound: bool,
    pub deleting: bool,
    pub conditions: &'a [Condition],
    pub generation: i64,
}

pub struct Input<'a> {
    pub generation: Option<i64>,
    /// The eviction's conditions now.
    pub conditions: &'a [Condition],
    pub cluster: &'a str,
    pub placement_name: &'a str,
    pub placement: Option<Placement>,
    pub bindings: &'a [Binding<'a>],
    pub budget: Option<&'a PlacementDisruptionBudgetSpec>,
}

/// Write these conditions; delete this binding first when `evict` names one.
#[derive(Debug, PartialEq)]
pub struct Decision {
    pub valid: Condition,
    pub executed: Option<Condition>,
    pub evict: Option<String>,
}

/// Whether the eviction reached a final state.
pub fn is_final(conditions: &[Condition], generation: Option<i64>) -> bool {
    let invalid = conditions::find(conditions, p::EVICTION_VALID)
        .is_some_and(|c| c.status == "False" && c.observed_generation == generation);
    invalid || conditions::is_true(conditions, p::EVICTION_EXECUTED)
}

/// `None` once the eviction is final: nothing to do, ever.
pub fn decide(input: &Input) -> Option<Decision> {
    if is_final(input.conditions, input.generation) {
        return None;
    }
    Some(verdict(input))
}

fn verdict(input: &Input) -> Decision {
    let g = input.generation;
    let invalid = |m: &str| Decision {
        valid: conditions::new(p::EVICTION_VALID, Status::False, p::REASON_EVICTION_INVALID, m, g),
        executed: None,
        evict: None,
    };
    let Some(placement) = &input.placement else {
        return invalid("Failed to find ClusterResourcePlacement targeted by eviction");
    };
    if placement.deleting {
        return invalid("Found deleting ClusterResourcePlacement targeted by eviction");
    }
    if placement.placement_type == PlacementType::PickFixed {
        return invalid("Found ClusterResourcePlacement with PickFixed placement type targeted by eviction");
    }
    let on_cluster: Vec<&Binding> = input.bindings.iter().filter(|b| b.cluster == input.cluster).collect();
    let binding = match on_cluster.as_slice() {
        [] => return invalid("Failed to find scheduler decision for placement in cluster targeted by eviction"),
        [b] => b,
        _ => return invalid("Found more than one scheduler decision for placement in cluster targeted by eviction"),
    };
    let valid = conditions::new(p::EVICTION_VALID, Status::True, p::REASON_EVICTION_VALID, "Eviction is valid", g);
    let executed = |status: bool, m: String| {
        let reason = if status { p::REASON_EVICTION_EXECUTED } else { p::REASON_EVICTION_NOT_EXECUTED };
        conditions::new(p::EVICTION_EXECUTED, status, reason, m, g)
    };
    let set = |executed: Condition, evict: bool| Decision {
        valid: valid.clone(),
        executed: Some(executed),
        evict: evict.then(|| binding.name.to_string()),
    };

    if binding.deleting {
        let m = "Eviction is allowed, resources propagated by placement is currently being removed from cluster targeted by eviction";
        return set(executed(true, m.into()), false);
    }
    let present =
        binding.state == BindingState::Bound || (binding.state == BindingState::Unscheduled && binding.was_bound);
    if !present {
        let m = "Eviction is blocked, placement has not propagated resources to target cluster yet";
        return set(executed(false, m.into()), false);
    }
    let view = View { conditions: binding.conditions, generation: binding.generation };
    if view.failed() || view.diff_reported() {
        return set(executed(true, "Eviction is allowed, placement has failed".into()), true);
    }
    let available = input
        .bindings
        .iter()
        .filter(|b| {
            conditions::find(b.conditions, p::AVAILABLE)
                .is_some_and(|c| c.status == "True" && c.observed_generation == Some(b.generation))
        })
        .count();
    let counts = Counts { available, total: input.bindings.len() };
    let budget_name = input.placement_name;
    match budget::judge(input.budget, placement.placement_type, placement.number_of_clusters, counts) {
        Verdict::NoBudget => set(
            executed(true, "Eviction is allowed, no ClusterResourcePlacementDisruptionBudget specified".into()),
            true,
        ),
        Verdict::Misconfigured => set(
            executed(
                false,
                format!(
                    "Eviction is blocked by misconfigured ClusterResourcePlacementDisruptionBudget, either MaxUnavailable is specified or MinAvailable is specified as a percentage for PickAll ClusterResourcePlacement (budget {budget_name})"
                ),
            ),
            false,
        ),
        Verdict::Allowed(Counts { available, total }) => set(
            executed(
                true,
                format!(
                    "Eviction is allowed by specified ClusterResourcePlacementDisruptionBudget, availablePlacements: {available}, totalPlacements: {total} (budget {budget_name})"
                ),
            ),
            true,
        ),
        Verdict::Blocked(Counts { available, total }) => set(
            executed(
                false,
                format!(
                    "Eviction is blocked by specified ClusterResourcePlacementDisruptionBudget, availablePlacements: {available}, totalPlacements: {total} (budget {budget_name})"
                ),
            ),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn available(generation: i64) -> Vec<Condition> {
        vec![conditions::new(p::AVAILABLE, true, p::REASON_AVAILABLE, "", Some(generation))]
    }

    fn binding<'a>(name: &'a str, cluster: &'a str, state: BindingState, conds: &'a [Condition]) -> Binding<'a> {
        Binding { name, cluster, state, was_bound: false, deleting: false, conditions: conds, generation: 1 }
    }

    fn pick(t: PlacementType) -> Option<Placement> {
        Some(Placement { deleting: false, placement_type: t, number_of_clusters: 2 })
    }

    fn input<'a>(
        placement: Option<Placement>,
        bindings: &'a [Binding<'a>],
        budget: Option<&'a PlacementDisruptionBudgetSpec>,
    ) -> Input<'a> {
        Input {
            generation: Some(1),
            conditions: &[],
            cluster: "c1",
            placement_name: "web",
            placement,
            bindings,
            budget,
        }
    }

    fn executed(d: &Option<Decision>) -> (&str, &str, Option<&str>) {
        let Some(Decision { executed: Some(e), evict, .. }) = d else { panic!("{d:?}") };
        (e.status.as_str(), e.message.as_str(), evict.as_deref())
    }

    fn invalid_message(d: Option<Decision>) -> String {
        let Some(Decision { valid, executed: None, evict: None }) = d else { panic!("{d:?}") };
        assert_eq!((valid.status.as_str(), valid.reason.as_str()), ("False", p::REASON_EVICTION_INVALID));
        valid.message
    }

    #[test]
    fn invalid_for_a_missing_deleting_or_pick_fixed_placement_and_a_cluster_without_one_binding() {
        let up = available(1);
        let one = [binding("web-c1-x", "c1", BindingState::Bound, &up)];
        assert!(
            invalid_message(decide(&input(None, &one, None))).starts_with("Failed to find ClusterResourcePlacement")
        );
        let deleting = Some(Placement { deleting: true, placement_type: PlacementType::PickN, number_of_clusters: 2 });
        assert!(invalid_message(decide(&input(deleting, &one, None))).starts_with("Found deleting"));
        assert!(invalid_message(decide(&input(pick(PlacementType::PickFixed), &one, None))).contains("PickFixed"));
        assert!(
            invalid_message(decide(&input(pick(PlacementType::PickN), &[], None)))
                .contains("Failed to find scheduler decision")
        );
        let two = [binding("a", "c1", BindingState::Bound, &up), binding("b", "c1", BindingState::Bound, &up)];
        assert!(invalid_message(decide(&input(pick(PlacementType::PickN), &two, None))).contains("more than one"));
    }

    #[test]
    fn without_a_budget_the_binding_is_evicted() {
        let up = available(1);
        let bs =
            [binding("web-c1-x", "c1", BindingState::Bound, &up), binding("web-c2-y", "c2", BindingState::Bound, &up)];
        let d = decide(&input(pick(PlacementType::PickN), &bs, None));
        assert_eq!(
            executed(&d),
            ("True", "Eviction is allowed, no ClusterResourcePlacementDisruptionBudget specified", Some("web-c1-x"))
        );
    }

    #[test]
    fn a_budget_blocks_naming_itself_and_the_counts_and_a_blocked_eviction_is_not_final() {
        let up = available(1);
        let bs =
            [binding("web-c1-x", "c1", BindingState::Bound, &up), binding("web-c2-y", "c2", BindingState::Bound, &up)];
        let b = PlacementDisruptionBudgetSpec {
            min_available: Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(2)),
            ..Default::default()
        };
        let d = decide(&input(pick(PlacementType::PickAll), &bs, Some(&b)));
        let (status, message, evict) = executed(&d);
        assert_eq!((status, evict), ("False", None));
        assert_eq!(
            message,
            "Eviction is blocked by specified ClusterResourcePlacementDisruptionBudget, availablePlacements: 2, totalPlacements: 2 (budget web)"
        );
        let Some(Decision { valid, executed: Some(e), .. }) = d else { unreachable!() };
        assert!(!is_final(&[valid, e], Some(1)), "a blocked eviction is looked at again");
    }

    #[test]
    fn a_binding_not_yet_bound_blocks_one_being_deleted_or_failed_executes() {
        let up = available(1);
        let scheduled = [binding("web-c1-x", "c1", BindingState::Scheduled, &up)];
        assert_eq!(executed(&decide(&input(pick(PlacementType::PickN), &scheduled, None))).0, "False");
        let mut deleting = binding("web-c1-x", "c1", BindingState::Bound, &up);
        deleting.deleting = true;
        let d = decide(&input(pick(PlacementType::PickN), std::slice::from_ref(&deleting), None));
        assert_eq!((executed(&d).0, executed(&d).2), ("True", None), "nothing left to delete");
        let failed = vec![conditions::new(p::APPLIED, false, p::REASON_APPLY_FAILED, "", Some(1))];
        let b = PlacementDisruptionBudgetSpec {
            max_unavailable: Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(0)),
            ..Default::default()
        };
        let bs = [binding("web-c1-x", "c1", BindingState::Bound, &failed)];
        let d = decide(&input(pick(PlacementType::PickN), &bs, Some(&b)));
        assert_eq!(
            executed(&d),
            ("True", "Eviction is allowed, placement has failed", Some("web-c1-x")),
            "a failed binding serves nothing"
        );
    }

    #[test]
    fn final_states_are_left_alone() {
        let valid_false = conditions::new(p::EVICTION_VALID, false, p::REASON_EVICTION_INVALID, "", Some(1));
        assert!(is_final(std::slice::from_ref(&valid_false), Some(1)));
        assert!(!is_final(&[valid_false], Some(2)), "a newer generation is judged again");
        let done = conditions::new(p::EVICTION_EXECUTED, true, p::REASON_EVICTION_EXECUTED, "", Some(1));
        let bs: [Binding; 0] = [];
        let conds = [done];
        let i = Input { conditions: &conds, ..input(None, &bs, None) };
        assert_eq!(decide(&i), None);
    }
}
