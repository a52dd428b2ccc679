//! Ownership on the member: every object the applier placed carries an owner
//! reference to the AppliedWork of its Work, and nothing else is ever changed
//! or deleted. What to do with an object that already exists follows the
//! Work's `whenToTakeOver` and `allowCoOwnership`; an object of another
//! placement is never shared. Pure.

use apis::{
    conditions::placement as p,
    placement::{AppliedWork, ApplyStrategy, WhenToTakeOverType},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;
use serde_json::Value;

use super::decode::Refused;

/// The owner reference that marks an object as applied from `applied_work`.
pub fn owner_reference(name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: AppliedWork::api_version(&()).into_owned(),
        kind: AppliedWork::kind(&()).into_owned(),
        name: name.to_string(),
        uid: uid.to_string(),
        // Foreground deletion of the AppliedWork waits for what it owns.
        block_owner_deletion: Some(true),
        controller: None,
    }
}

/// Whether an owner reference of `api_version` and `kind` points at an AppliedWork.
pub fn names_applied_work(api_version: &str, kind: &str) -> bool {
    kind == AppliedWork::kind(&()) && api_version.split('/').next() == Some(AppliedWork::group(&()).as_ref())
}

/// Whether `r` (an owner reference as JSON) points at an AppliedWork.
pub fn is_applied_work(r: &Value) -> bool {
    names_applied_work(r["apiVersion"].as_str().unwrap_or_default(), r["kind"].as_str().unwrap_or_default())
}

/// The live object's owner references.
pub fn owners(live: &Value) -> &[Value] {
    live["metadata"]["ownerReferences"].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Whether `live` is owned by the AppliedWork with `uid`.
pub fn owned_by(live: &Value, uid: &str) -> bool {
    owners(live).iter().any(|r| r["uid"] == uid && is_applied_work(r))
}

/// What the applier does with one manifest's object.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// It does not exist: create it, owned from the start.
    Create,
    /// It is ours: apply.
    Apply,
    /// It exists and is not ours: add our owner reference (keeping `keep`,
    /// the other owners still alive), after checking that it does not differ
    /// from the manifest when `compare_first`. Then apply.
    TakeOver { keep: Vec<Value>, compare_first: bool },
    /// Leave it alone, and say why.
    Refuse(Refused),
}

/// The step for `live` (None if absent), owned by the AppliedWork `uid`.
/// `alive(uid)` says whether an AppliedWork still exists: references to
/// AppliedWorks that are gone (the member left and came back) do not count.
pub fn decide(live: Option<&Value>, uid: &str, strategy: &ApplyStrategy, alive: impl Fn(&str) -> bool) -> Step {
    let Some(live) = live else { return Step::Create };
    if owned_by(live, uid) {
        return Step::Apply;
    }
    if strategy.when_to_take_over == WhenToTakeOverType::Never {
        return Step::Refuse(Refused {
            reason: p::REASON_NOT_TAKEN_OVER,
            message: "the object already exists on the member cluster and whenToTakeOver is Never".into(),
        });
    }
    let keep: Vec<Value> =
        owners(live).iter().filter(|r| !is_applied_work(r) || r["uid"].as_str().is_some_and(&alive)).cloned().collect();
    if let Some(other) = keep.iter().find(|r| is_applied_work(r)) {
        return Step::Refuse(Refused {
            reason: p::REASON_APPLY_CONFLICT_BETWEEN_PLACEMENTS,
            message: format!(
                "the object is already placed by another placement (AppliedWork {}); one object cannot be placed twice",
                other["name"].as_str().unwrap_or_default()
            ),
        });
    }
    if !keep.is_empty() && !strategy.allow_co_ownership {
        let names: Vec<String> = keep
            .iter()
            .map(|r| format!("{} {}", r["kind"].as_str().unwrap_or_default(), r["name"].as_str().unwrap_or_default()))
            .collect();
        return Step::Refuse(Refused {
            reason: p::REASON_FAILED_TO_TAKE_OVER,
            message: format!("the object is already owned by {} and allowCoOwnership is false", names.join(", ")),
        });
    }
    Step::TakeOver { keep, compare_first: strategy.when_to_take_over == WhenToTakeOverType::IfNoDiff }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn live(owners: Value) -> Value {
        json!({"metadata": {"name": "web", "ownerReferences": owners}})
    }

    fn applied_work(name: &str, uid: &str) -> Value {
        serde_json::to_value(owner_reference(name, uid)).unwrap()
    }

    fn strategy(when: WhenToTakeOverType, co: bool) -> ApplyStrategy {
        ApplyStrategy { when_to_take_over: when, allow_co_ownership: co, ..Default::default() }
    }

    fn reason(s: Step) -> &'static str {
        match s {
            Step::Refuse(r) => r.reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn absent_objects_are_created_and_our_own_applied() {
        let s = strategy(WhenToTakeOverType::Never, false);
        assert_eq!(decide(None, "u1", &s, |_| true), Step::Create);
        assert_eq!(decide(Some(&live(json!([applied_work("w", "u1")]))), "u1", &s, |_| true), Step::Apply);
    }

    #[test]
    fn never_leaves_existing_objects_alone() {
        let s = strategy(WhenToTakeOverType::Never, true);
        assert_eq!(reason(decide(Some(&live(json!([]))), "u1", &s, |_| true)), p::REASON_NOT_TAKEN_OVER);
    }

    #[test]
    fn an_object_of_another_placement_is_a_conflict_even_with_co_ownership() {
        let s = strategy(WhenToTakeOverType::Always, true);
        let other = live(json!([applied_work("other-work", "u2")]));
        assert_eq!(reason(decide(Some(&other), "u1", &s, |_| true)), p::REASON_APPLY_CONFLICT_BETWEEN_PLACEMENTS);
    }

    #[test]
    fn references_to_applied_works_that_are_gone_do_not_count() {
        let s = strategy(WhenToTakeOverType::Always, false);
        let orphaned = live(json!([applied_work("old-work", "gone")]));
        assert_eq!(
            decide(Some(&orphaned), "u1", &s, |uid| uid != "gone"),
            Step::TakeOver { keep: vec![], compare_first: false }
        );
    }

    #[test]
    fn other_owners_need_co_ownership() {
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u9"});
        let owned = live(json!([rs.clone()]));
        let refused = decide(Some(&owned), "u1", &strategy(WhenToTakeOverType::Always, false), |_| true);
        assert_eq!(reason(refused.clone()), p::REASON_FAILED_TO_TAKE_OVER);
        let Step::Refuse(r) = refused else { unreachable!() };
        assert!(r.message.contains("ReplicaSet rs"), "{}", r.message);
        assert_eq!(
            decide(Some(&owned), "u1", &strategy(WhenToTakeOverType::IfNoDiff, true), |_| true),
            Step::TakeOver { keep: vec![rs], compare_first: true }
        );
    }

    #[test]
    fn unowned_objects_are_taken_over_comparing_first_only_under_if_no_diff() {
        let unowned = json!({"metadata": {"name": "web"}});
        assert_eq!(
            decide(Some(&unowned), "u1", &strategy(WhenToTakeOverType::Always, false), |_| true),
            Step::TakeOver { keep: vec![], compare_first: false }
        );
        assert_eq!(
            decide(Some(&unowned), "u1", &strategy(WhenToTakeOverType::IfNoDiff, false), |_| true),
            Step::TakeOver { keep: vec![], compare_first: true }
        );
    }
}
