//! The events a placement's status changes tell `kubectl describe`, in
//! KubeFleet's words: one per stage that turned True at the placement's
//! generation, and `PlacementRolloutCompleted` when the last stage did. Pure.

use apis::{conditions, placement::PlacementStatus};

/// Reason and note, per stage after Scheduled (RolloutStarted, Overridden,
/// WorkSynchronized, Applied, Available), then DiffReported.
const STAGES: [(&str, &str); 6] = [
    ("PlacementRolloutStarted", "Started rolling out the latest resources"),
    ("PlacementOverriddenSucceeded", "Placement has been successfully overridden"),
    ("PlacementWorkSynchronized", "Work(s) have been created or updated successfully for the selected cluster(s)"),
    ("PlacementApplied", "Resources have been applied to the selected cluster(s)"),
    ("PlacementAvailable", "Resources are available on the selected cluster(s)"),
    ("PlacementDiffReported", "Configuration differences have been reported on the selected cluster(s)"),
];

pub const ROLLOUT_COMPLETED: (&str, &str) =
    ("PlacementRolloutCompleted", "Placement has finished the rollout process and reached the desired status");

/// The condition types a placement passes through, each with its event.
fn stages(
    types: [&'static str; 6],
    diff_reported: &'static str,
    report_diff: bool,
) -> Vec<(&'static str, (&'static str, &'static str))> {
    let mut out: Vec<_> = types[1..4].iter().zip(&STAGES[..3]).map(|(t, e)| (*t, *e)).collect();
    if report_diff {
        out.push((diff_reported, STAGES[5]));
    } else {
        out.extend(types[4..].iter().zip(&STAGES[3..5]).map(|(t, e)| (*t, *e)));
    }
    out
}

/// The events from `before` to `after` at `generation`, in pipeline order.
pub fn transitions(
    types: [&'static str; 6],
    diff_reported: &'static str,
    report_diff: bool,
    generation: i64,
    before: Option<&PlacementStatus>,
    after: &PlacementStatus,
) -> Vec<(&'static str, &'static str)> {
    let done = |st: Option<&PlacementStatus>, t: &str| {
        st.and_then(|s| conditions::find(&s.conditions, t))
            .is_some_and(|c| c.status == "True" && c.observed_generation == Some(generation))
    };
    let stages = stages(types, diff_reported, report_diff);
    let mut out: Vec<_> =
        stages.iter().filter(|(t, _)| done(Some(after), t) && !done(before, t)).map(|(_, e)| *e).collect();
    let completed = |st| stages.iter().all(|(t, _)| done(st, t));
    if completed(Some(after)) && !completed(before) {
        out.push(ROLLOUT_COMPLETED);
    }
    out
}

#[cfg(test)]
mod tests {
    use apis::conditions::placement as p;

    use super::*;

    fn status(true_: &[&str], generation: i64) -> PlacementStatus {
        PlacementStatus {
            conditions: true_.iter().map(|t| conditions::new(t, true, "R", "", Some(generation))).collect(),
            ..Default::default()
        }
    }

    fn reasons(before: Option<&PlacementStatus>, after: &PlacementStatus, report_diff: bool) -> Vec<&'static str> {
        transitions(p::CRP_CONDITION_TYPES, p::CRP_DIFF_REPORTED, report_diff, 2, before, after)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    #[test]
    fn each_stage_that_turns_true_says_so_once_and_the_last_completes_the_rollout() {
        let t = p::CRP_CONDITION_TYPES;
        let started = status(&t[..2], 2);
        assert_eq!(reasons(None, &started, false), ["PlacementRolloutStarted"]);
        assert!(reasons(Some(&started), &started, false).is_empty(), "no change, no event");
        let all = status(&t, 2);
        assert_eq!(
            reasons(Some(&started), &all, false),
            [
                "PlacementOverriddenSucceeded",
                "PlacementWorkSynchronized",
                "PlacementApplied",
                "PlacementAvailable",
                "PlacementRolloutCompleted"
            ]
        );
        assert!(reasons(Some(&all), &all, false).is_empty());
    }

    #[test]
    fn a_new_generation_starts_over_and_report_diff_ends_at_diff_reported() {
        let t = p::CRP_CONDITION_TYPES;
        let old = status(&t, 1);
        assert_eq!(reasons(Some(&old), &status(&t, 2), false).len(), 6, "the old generation's Trues do not count");
        let mut diff: Vec<&str> = t[..4].to_vec();
        diff.push(p::CRP_DIFF_REPORTED);
        assert_eq!(
            reasons(None, &status(&diff, 2), true),
            [
                "PlacementRolloutStarted",
                "PlacementOverriddenSucceeded",
                "PlacementWorkSynchronized",
                "PlacementDiffReported",
                "PlacementRolloutCompleted"
            ]
        );
    }
}
