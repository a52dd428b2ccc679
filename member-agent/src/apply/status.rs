//! The Work status the member agent reports: per manifest Applied (or, under
//! ReportDiff, DiffReported) and Available with KubeFleet's reasons, drift and
//! diff details, and the Work-level roll-up. Built from the previous status so
//! transition and first-observed times stay put and an unchanged outcome
//! yields an identical status (then nothing is written). Pure.

use apis::{
    conditions::{self, Status, placement as p},
    placement::{DiffDetails, DriftDetails, ManifestCondition, PatchDetail, WorkResourceIdentifier, WorkStatus},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::{availability::Availability, decode::Refused};

/// What became of one manifest in this pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub identifier: WorkResourceIdentifier,
    /// Applied (or, under ReportDiff, its differences reported), or why not.
    pub done: Result<(), Refused>,
    /// Set once applied.
    pub availability: Option<Availability>,
    /// How the member's copy departs from what was applied.
    pub drifts: Vec<PatchDetail>,
    /// How the member's copy differs from the manifest, when that was asked
    /// (ReportDiff) or blocked a takeover (IfNoDiff); None when not computed.
    pub diffs: Option<Vec<PatchDetail>>,
    /// The live object's generation; None if it does not exist.
    pub generation: Option<i64>,
}

impl Outcome {
    /// A manifest applied (or its differences reported); details to be filled in.
    pub fn done(identifier: WorkResourceIdentifier) -> Self {
        Outcome { identifier, done: Ok(()), availability: None, drifts: vec![], diffs: None, generation: None }
    }

    /// A manifest that went no further than `refused`.
    pub fn refused(identifier: WorkResourceIdentifier, refused: Refused, generation: Option<i64>) -> Self {
        Outcome { identifier, done: Err(refused), availability: None, drifts: vec![], diffs: None, generation }
    }
}

/// Identifies a manifest across passes whatever its position.
fn same_object(a: &WorkResourceIdentifier, b: &WorkResourceIdentifier) -> bool {
    (&a.group, &a.version, &a.kind, &a.namespace, &a.name) == (&b.group, &b.version, &b.kind, &b.namespace, &b.name)
        && !a.kind.is_empty()
}

fn condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    generation: i64,
    now: &Time,
) -> Condition {
    Condition { last_transition_time: now.clone(), ..conditions::new(type_, status, reason, message, Some(generation)) }
}

/// Sets `new` unless unchanged; transition time kept while the status holds.
fn put(conds: &mut Vec<Condition>, new: Condition) {
    conditions::set(conds, new);
}

fn manifest_condition(
    prev: Option<&ManifestCondition>,
    o: &Outcome,
    report_diff: bool,
    now: &Time,
) -> ManifestCondition {
    let mut conds = prev.map(|m| m.conditions.clone()).unwrap_or_default();
    let g = o.generation.unwrap_or(0);
    if report_diff {
        conds.retain(|c| c.type_ != p::APPLIED && c.type_ != p::AVAILABLE);
        let c = match (&o.done, o.diffs.as_deref()) {
            (Err(r), _) => condition(p::DIFF_REPORTED, false, p::REASON_FAILED_TO_REPORT_DIFF, &r.message, g, now),
            (Ok(()), Some(d)) if !d.is_empty() => condition(
                p::DIFF_REPORTED,
                true,
                p::REASON_FOUND_DIFF,
                format!("{} difference(s) from the hub's manifest", d.len()),
                g,
                now,
            ),
            (Ok(()), _) => condition(
                p::DIFF_REPORTED,
                true,
                p::REASON_NO_DIFF_FOUND,
                "no difference from the hub's manifest",
                g,
                now,
            ),
        };
        put(&mut conds, c);
    } else {
        conds.retain(|c| c.type_ != p::DIFF_REPORTED);
        let applied = match &o.done {
            Ok(()) => condition(p::APPLIED, true, p::REASON_MANIFEST_APPLIED, "the manifest is applied", g, now),
            Err(r) => condition(p::APPLIED, false, r.reason, &r.message, g, now),
        };
        put(&mut conds, applied);
        match (&o.done, &o.availability) {
            (Ok(()), Some(a)) => {
                let (status, reason) = a.condition();
                let message = match a {
                    Availability::Available => "the object is available".to_string(),
                    Availability::NotYetAvailable => "the object is not available yet".to_string(),
                    Availability::NotTrackable => {
                        "the object's availability cannot be tracked; taken as available".to_string()
                    }
                    Availability::Failed(m) => m.clone(),
                };
                put(&mut conds, condition(p::AVAILABLE, status, reason, message, g, now));
            }
            _ => conds.retain(|c| c.type_ != p::AVAILABLE),
        }
    }
    // Observation times move only when what was observed changes.
    let drift_details = (!o.drifts.is_empty()).then(|| {
        let before = prev.and_then(|m| m.drift_details.as_ref());
        let same = before.filter(|d| d.observed_drifts == o.drifts && d.observed_in_member_cluster_generation == g);
        DriftDetails {
            observation_time: same.map_or_else(|| now.clone(), |d| d.observation_time.clone()),
            observed_in_member_cluster_generation: g,
            first_drifted_observed_time: before.map_or_else(|| now.clone(), |d| d.first_drifted_observed_time.clone()),
            observed_drifts: o.drifts.clone(),
        }
    });
    let diff_details = o.diffs.as_ref().filter(|d| !d.is_empty()).map(|diffs| {
        let before = prev.and_then(|m| m.diff_details.as_ref());
        let same =
            before.filter(|d| &d.observed_diffs == diffs && d.observed_in_member_cluster_generation == o.generation);
        DiffDetails {
            observation_time: same.map_or_else(|| now.clone(), |d| d.observation_time.clone()),
            observed_in_member_cluster_generation: o.generation,
            first_diffed_observed_time: before.map_or_else(|| now.clone(), |d| d.first_diffed_observed_time.clone()),
            observed_diffs: diffs.clone(),
        }
    });
    ManifestCondition {
        identifier: o.identifier.clone(),
        conditions: conds,
        drift_details,
        diff_details,
        back_reported_status: prev.and_then(|m| m.back_reported_status.clone()),
    }
}

/// The Work's status after a pass with `outcomes` (one per manifest, in
/// order), for Work `generation`.
pub fn work_status(
    prev: &WorkStatus,
    outcomes: &[Outcome],
    report_diff: bool,
    generation: i64,
    now: &Time,
) -> WorkStatus {
    let manifest_conditions: Vec<ManifestCondition> = outcomes
        .iter()
        .map(|o| {
            let before = prev.manifest_conditions.iter().find(|m| same_object(&m.identifier, &o.identifier));
            manifest_condition(before, o, report_diff, now)
        })
        .collect();
    let total = outcomes.len();
    let done = outcomes.iter().filter(|o| o.done.is_ok()).count();
    let mut conds = prev.conditions.clone();
    conds.retain(|c| c.type_ != p::STATUS_TRIMMED);
    if report_diff {
        conds.retain(|c| c.type_ != p::APPLIED && c.type_ != p::AVAILABLE);
        let c = if done == total {
            condition(
                p::DIFF_REPORTED,
                true,
                p::REASON_ALL_MANIFESTS_DIFF_REPORTED,
                format!("all {total} manifests reported their differences"),
                generation,
                now,
            )
        } else {
            condition(
                p::DIFF_REPORTED,
                false,
                p::REASON_SOME_MANIFESTS_HAVE_NOT_REPORTED_DIFF,
                format!("{done} of {total} manifests reported their differences"),
                generation,
                now,
            )
        };
        put(&mut conds, c);
    } else {
        conds.retain(|c| c.type_ != p::DIFF_REPORTED);
        if done == total {
            put(
                &mut conds,
                condition(
                    p::APPLIED,
                    true,
                    p::REASON_ALL_MANIFESTS_APPLIED,
                    format!("all {total} manifests are applied"),
                    generation,
                    now,
                ),
            );
            let available =
                outcomes.iter().filter(|o| o.availability.as_ref().is_some_and(|a| a.condition().0)).count();
            let untrackable = outcomes.iter().filter(|o| o.availability == Some(Availability::NotTrackable)).count();
            let c = if available < total {
                condition(
                    p::AVAILABLE,
                    false,
                    p::REASON_SOME_MANIFESTS_ARE_NOT_AVAILABLE,
                    format!("{available} of {total} applied objects are available"),
                    generation,
                    now,
                )
            } else if untrackable > 0 {
                condition(
                    p::AVAILABLE,
                    true,
                    p::REASON_WORK_NOT_TRACKABLE,
                    format!("all {total} applied objects are available; {untrackable} cannot be tracked"),
                    generation,
                    now,
                )
            } else {
                condition(
                    p::AVAILABLE,
                    true,
                    p::REASON_ALL_MANIFESTS_AVAILABLE,
                    format!("all {total} applied objects are available"),
                    generation,
                    now,
                )
            };
            put(&mut conds, c);
        } else {
            let failed: Vec<String> = outcomes
                .iter()
                .filter_map(|o| {
                    o.done.as_ref().err().map(|r| format!("{} {}: {}", o.identifier.kind, o.identifier.name, r.reason))
                })
                .take(3)
                .collect();
            let message = format!("{done} of {total} manifests are applied; not applied: {}", failed.join("; "));
            put(
                &mut conds,
                condition(p::APPLIED, false, p::REASON_SOME_MANIFESTS_ARE_NOT_APPLIED, message, generation, now),
            );
            conds.retain(|c| c.type_ != p::AVAILABLE);
        }
    }
    WorkStatus { conditions: conds, manifest_conditions }
}

/// Whether `status` says the Work is applied and available at `generation`
/// (else the applier keeps looking).
pub fn settled(status: &WorkStatus, generation: i64) -> bool {
    [p::APPLIED, p::AVAILABLE, p::DIFF_REPORTED].iter().all(|t| {
        conditions::find(&status.conditions, t)
            .is_none_or(|c| c.status == Status::True.as_str() && c.observed_generation == Some(generation))
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn at(s: i64) -> Time {
        Time(Timestamp::from_second(s).unwrap())
    }

    fn id(ordinal: i32, kind: &str, name: &str) -> WorkResourceIdentifier {
        WorkResourceIdentifier {
            ordinal,
            version: "v1".into(),
            kind: kind.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn ok(i: WorkResourceIdentifier, a: Availability) -> Outcome {
        Outcome { identifier: i, done: Ok(()), availability: Some(a), drifts: vec![], diffs: None, generation: Some(1) }
    }

    fn cond<'a>(cs: &'a [Condition], t: &str) -> Option<(&'a str, &'a str)> {
        conditions::find(cs, t).map(|c| (c.status.as_str(), c.reason.as_str()))
    }

    #[test]
    fn all_applied_and_available() {
        let outcomes = [
            ok(id(0, "ConfigMap", "a"), Availability::Available),
            ok(id(1, "Deployment", "b"), Availability::Available),
        ];
        let s = work_status(&WorkStatus::default(), &outcomes, false, 3, &at(10));
        assert_eq!(cond(&s.conditions, p::APPLIED), Some(("True", p::REASON_ALL_MANIFESTS_APPLIED)));
        assert_eq!(cond(&s.conditions, p::AVAILABLE), Some(("True", p::REASON_ALL_MANIFESTS_AVAILABLE)));
        assert_eq!(s.conditions[0].observed_generation, Some(3));
        assert_eq!(
            cond(&s.manifest_conditions[1].conditions, p::AVAILABLE),
            Some(("True", p::REASON_MANIFEST_AVAILABLE))
        );
        assert!(settled(&s, 3));
        assert!(!settled(&s, 4), "an older generation's status is not settled");
    }

    #[test]
    fn untrackable_objects_make_the_work_available_but_say_so() {
        let outcomes = [
            ok(id(0, "Widget", "a"), Availability::NotTrackable),
            ok(id(1, "ConfigMap", "b"), Availability::Available),
        ];
        let s = work_status(&WorkStatus::default(), &outcomes, false, 1, &at(10));
        assert_eq!(cond(&s.conditions, p::AVAILABLE), Some(("True", p::REASON_WORK_NOT_TRACKABLE)));
    }

    #[test]
    fn one_refused_manifest_fails_the_work_and_names_itself_while_the_rest_report() {
        let refused = Refused { reason: p::REASON_MANIFEST_APPLY_FAILED, message: "the server rejected it".into() };
        let outcomes = [
            Outcome::refused(id(0, "Service", "bad"), refused, None),
            ok(id(1, "ConfigMap", "good"), Availability::Available),
        ];
        let s = work_status(&WorkStatus::default(), &outcomes, false, 1, &at(10));
        let applied = conditions::find(&s.conditions, p::APPLIED).unwrap();
        assert_eq!(
            (applied.status.as_str(), applied.reason.as_str()),
            ("False", p::REASON_SOME_MANIFESTS_ARE_NOT_APPLIED)
        );
        assert!(applied.message.contains("Service bad: ManifestApplyFailed"), "{}", applied.message);
        assert_eq!(cond(&s.conditions, p::AVAILABLE), None, "no availability until applied");
        let bad = &s.manifest_conditions[0].conditions;
        assert_eq!(cond(bad, p::APPLIED), Some(("False", p::REASON_MANIFEST_APPLY_FAILED)));
        assert_eq!(conditions::find(bad, p::APPLIED).unwrap().message, "the server rejected it");
        assert_eq!(cond(&s.manifest_conditions[1].conditions, p::APPLIED), Some(("True", p::REASON_MANIFEST_APPLIED)));
    }

    #[test]
    fn report_diff_reports_differences_and_drops_applied_and_available() {
        let diff = PatchDetail { path: "/data/k".into(), value_in_member: "1".into(), value_in_hub: "2".into() };
        let prev = work_status(
            &WorkStatus::default(),
            &[ok(id(0, "ConfigMap", "a"), Availability::Available)],
            false,
            1,
            &at(5),
        );
        let o = Outcome {
            diffs: Some(vec![diff.clone()]),
            availability: None,
            ..ok(id(0, "ConfigMap", "a"), Availability::Available)
        };
        let s = work_status(&prev, &[o], true, 2, &at(10));
        assert_eq!(cond(&s.conditions, p::APPLIED), None);
        assert_eq!(cond(&s.conditions, p::AVAILABLE), None);
        assert_eq!(cond(&s.conditions, p::DIFF_REPORTED), Some(("True", p::REASON_ALL_MANIFESTS_DIFF_REPORTED)));
        let m = &s.manifest_conditions[0];
        assert_eq!(cond(&m.conditions, p::DIFF_REPORTED), Some(("True", p::REASON_FOUND_DIFF)));
        assert_eq!(cond(&m.conditions, p::APPLIED), None);
        assert_eq!(m.diff_details.as_ref().unwrap().observed_diffs, vec![diff]);
    }

    #[test]
    fn an_unchanged_outcome_gives_an_identical_status_and_times_stay() {
        let drift =
            PatchDetail { path: "/spec/replicas".into(), value_in_member: "5".into(), value_in_hub: "2".into() };
        let refused = Refused { reason: p::REASON_FOUND_DRIFTS, message: "drifted".into() };
        let o = Outcome {
            drifts: vec![drift.clone()],
            generation: Some(4),
            ..Outcome::refused(id(0, "Deployment", "web"), refused, Some(4))
        };
        let first = work_status(&WorkStatus::default(), std::slice::from_ref(&o), false, 1, &at(10));
        let again = work_status(&first, std::slice::from_ref(&o), false, 1, &at(20));
        assert_eq!(first, again, "nothing new observed, nothing to write");
        let d = again.manifest_conditions[0].drift_details.as_ref().unwrap();
        assert_eq!((d.first_drifted_observed_time.0.as_second(), d.observed_in_member_cluster_generation), (10, 4));

        // The drift grows: observed now, first seen still then.
        let more =
            PatchDetail { path: "/spec/paused".into(), value_in_member: "true".into(), value_in_hub: String::new() };
        let o2 = Outcome { drifts: vec![more, drift], ..o };
        let later = work_status(&again, &[o2], false, 1, &at(30));
        let d = later.manifest_conditions[0].drift_details.as_ref().unwrap();
        assert_eq!((d.first_drifted_observed_time.0.as_second(), d.observation_time.0.as_second()), (10, 30));
    }

    #[test]
    fn an_empty_work_is_applied_and_available() {
        let s = work_status(&WorkStatus::default(), &[], false, 1, &at(1));
        assert_eq!(cond(&s.conditions, p::APPLIED), Some(("True", p::REASON_ALL_MANIFESTS_APPLIED)));
        assert_eq!(cond(&s.conditions, p::AVAILABLE), Some(("True", p::REASON_ALL_MANIFESTS_AVAILABLE)));
    }
}
