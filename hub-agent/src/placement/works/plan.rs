//! One binding's Works: what to write and delete given the Works it has, and
//! the conditions it holds once the writes are done. Pure;
//! `controller/sync.rs` decides the wanted Works with `desired` and carries
//! out the plan.

use std::sync::Arc;

use apis::{
    conditions::{self, Status, placement as p},
    placement::{PlacementReports, Work},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;

use super::{desired, status};

/// What to do with a binding's Works.
#[derive(Debug, Default)]
pub struct Changes {
    /// Works already as wanted.
    pub current: Vec<Work>,
    /// Works to server-side apply (created or changed).
    pub apply: Vec<Work>,
    /// Works no longer wanted, as (namespace, name).
    pub delete: Vec<(String, String)>,
    /// Why a wanted Work cannot be written now (its name is taken).
    pub blocked: Vec<String>,
}

/// The changes that turn `have` into `want`. `taken(w)` says why a Work the
/// binding does not have cannot be written (a Work of that name still being
/// deleted, or another binding's): it is never overwritten.
pub fn changes(have: &[Arc<Work>], want: &[Work], taken: impl Fn(&Work) -> Option<String>) -> Changes {
    let mut out = Changes::default();
    for w in want {
        match have.iter().find(|h| h.name_any() == w.name_any()) {
            Some(h) if desired::matches(h, w) => out.current.push((**h).clone()),
            Some(_) => out.apply.push(w.clone()),
            None => match taken(w) {
                Some(why) => out.blocked.push(why),
                None => out.apply.push(w.clone()),
            },
        }
    }
    let wanted = |name: &str| want.iter().any(|w| w.name_any() == name);
    for h in have.iter().filter(|h| !wanted(&h.name_any()) && h.metadata.deletion_timestamp.is_none()) {
        out.delete.push((h.namespace().unwrap_or_default(), h.name_any()));
    }
    out
}

/// How a binding's Works fared in this pass.
pub enum Outcome<'a> {
    /// They could not be made or written: why.
    Failed(String),
    /// Some were written: the member has yet to report on them.
    Written,
    /// All were already as wanted: the member's reports on them stand.
    Unchanged(&'a [Work]),
}

/// The binding's conditions after this pass: `carried` (the stages before,
/// Overridden last), then WorkSynchronized and what the Works report
/// (Applied and Available, or DiffReported), with the failed, drifted and
/// diffed placements when the reports stand.
pub fn conditions(
    mut carried: Vec<Condition>,
    outcome: Outcome,
    report_diff: bool,
    generation: Option<i64>,
) -> (Vec<Condition>, Option<PlacementReports>) {
    let mut reports = None;
    match outcome {
        Outcome::Failed(message) => carried.push(conditions::new(
            p::WORK_SYNCHRONIZED,
            Status::False,
            p::REASON_SYNC_WORK_FAILED,
            format!("Failed to synchronize the work to the latest: {message}"),
            generation,
        )),
        Outcome::Written | Outcome::Unchanged(_) => {
            carried.push(conditions::new(
                p::WORK_SYNCHRONIZED,
                Status::True,
                p::REASON_ALL_WORK_SYNCED,
                "All of the works are synchronized to the latest",
                generation,
            ));
            match outcome {
                Outcome::Unchanged(works) => {
                    let refs: Vec<&Work> = works.iter().collect();
                    carried.extend(status::conditions(&refs, generation.unwrap_or(0)));
                    reports = Some(status::reports(&refs));
                }
                _ => carried.push(status::in_progress(report_diff, generation)),
            }
        }
    }
    (carried, reports)
}

#[cfg(test)]
mod tests {
    use apis::placement::{WorkSpec, WorkloadTemplate};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use serde_json::json;

    use super::*;

    fn work(name: &str, manifests: serde_json::Value) -> Work {
        let mut w = Work::new(
            name,
            WorkSpec {
                workload: serde_json::from_value(json!({"manifests": manifests})).unwrap(),
                ..Default::default()
            },
        );
        w.metadata.namespace = Some("fleet-member-a".into());
        w
    }

    #[test]
    fn works_as_wanted_stay_changed_ones_are_written_and_unwanted_ones_go() {
        let cm = |n: &str| json!([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}}]);
        let same = work("p-work", cm("a"));
        let changed_want = work("p-1", cm("new"));
        let mut gone = work("p-2", cm("x"));
        let have: Vec<Arc<Work>> =
            vec![Arc::new(same.clone()), Arc::new(work("p-1", cm("old"))), Arc::new(gone.clone())];
        let fresh = work("p-work-envelope-0011223344556677", cm("e"));
        let c = changes(&have, &[same.clone(), changed_want.clone(), fresh.clone()], |_| None);
        assert_eq!(c.current.iter().map(|w| w.name_any()).collect::<Vec<_>>(), ["p-work"]);
        assert_eq!(c.apply.iter().map(|w| w.name_any()).collect::<Vec<_>>(), ["p-1", fresh.name_any().as_str()]);
        assert_eq!(c.delete, [("fleet-member-a".to_string(), "p-2".to_string())]);

        // A Work already being deleted is not deleted again; a taken name is not written.
        gone.metadata.deletion_timestamp = Some(Time(k8s_openapi::jiff::Timestamp::now()));
        let c = changes(&[Arc::new(gone)], std::slice::from_ref(&fresh), |w| {
            Some(format!("work {} is taken", w.name_any()))
        });
        assert!(c.delete.is_empty() && c.apply.is_empty());
        assert_eq!(c.blocked, [format!("work {} is taken", fresh.name_any())]);
    }

    #[test]
    fn an_emptied_selection_rewrites_its_work_with_no_manifests() {
        let have =
            [Arc::new(work("p-work", json!([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}])))];
        let empty = Work::new("p-work", WorkSpec { workload: WorkloadTemplate::default(), ..Default::default() });
        let c = changes(&have, &[empty], |_| None);
        assert_eq!(c.apply.len(), 1, "the emptied Work is written, not kept");
        assert!(c.apply[0].spec.workload.manifests.is_empty());
    }

    #[test]
    fn conditions_follow_the_outcome() {
        let carried = vec![conditions::new(p::OVERRIDDEN, Status::True, p::REASON_NO_OVERRIDE_SPECIFIED, "", Some(2))];
        let types = |cs: &[Condition]| {
            cs.iter().map(|c| (c.type_.clone(), c.status.clone(), c.reason.clone())).collect::<Vec<_>>()
        };

        let (cs, reports) = conditions(carried.clone(), Outcome::Failed("work p-1 is taken".into()), false, Some(2));
        assert_eq!(types(&cs)[1], (p::WORK_SYNCHRONIZED.into(), "False".into(), p::REASON_SYNC_WORK_FAILED.into()));
        assert!(cs[1].message.ends_with("work p-1 is taken") && reports.is_none());

        let (cs, reports) = conditions(carried.clone(), Outcome::Written, true, Some(2));
        assert_eq!(types(&cs)[2].0, p::DIFF_REPORTED, "ReportDiff waits for differences, not an apply");
        assert!(reports.is_none());

        // No Works to report on (an emptied selection): applied and available.
        let (cs, reports) = conditions(carried, Outcome::Unchanged(&[]), false, Some(2));
        assert_eq!(
            types(&cs)[1..],
            [
                (p::WORK_SYNCHRONIZED.into(), "True".into(), p::REASON_ALL_WORK_SYNCED.into()),
                (p::APPLIED.into(), "True".into(), p::REASON_ALL_WORK_APPLIED.into()),
                (p::AVAILABLE.into(), "True".into(), p::REASON_ALL_WORK_AVAILABLE.into()),
            ]
        );
        assert_eq!(reports, Some(PlacementReports::default()));
    }
}
