//! A binding's Applied and Available conditions (DiffReported under
//! ReportDiff) and its failed, drifted and diffed placements, summarized from
//! its Works as the member agent reports them. Pure.

use apis::{
    conditions::{self, Status, placement as p},
    labels,
    placement::{
        ApplyStrategyType, DiffedResourcePlacement, DriftedResourcePlacement, EnvelopeIdentifier, EnvelopeType,
        FailedResourcePlacement, ManifestCondition, PlacementReports, ResourceIdentifier, Work,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// At most this many entries in each report list (the CRD's limit).
const MAX_REPORTS: usize = 100;

/// The Work's condition of `type_` if it speaks for the Work's current spec.
fn current<'a>(w: &'a Work, type_: &str) -> Option<&'a Condition> {
    let conditions = w.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    conditions::find(conditions, type_).filter(|c| c.observed_generation == w.metadata.generation)
}

fn name(w: &Work) -> &str {
    w.metadata.name.as_deref().unwrap_or_default()
}

/// Whether the Works only report differences (apply strategy ReportDiff).
pub fn report_diff(works: &[&Work]) -> bool {
    works.iter().any(|w| w.spec.apply_strategy.as_ref().is_some_and(|s| s.type_ == ApplyStrategyType::ReportDiff))
}

/// The condition a binding holds while its freshly written Works are processed.
pub fn in_progress(report_diff: bool, generation: Option<i64>) -> Condition {
    if report_diff {
        conditions::new(
            p::DIFF_REPORTED,
            Status::False,
            p::REASON_DIFF_REPORT_IN_PROGRESS,
            "Differences are being reported",
            generation,
        )
    } else {
        conditions::new(
            p::APPLIED,
            Status::False,
            p::REASON_APPLY_IN_PROGRESS,
            "Resources are being applied",
            generation,
        )
    }
}

/// Applied then, if it is True, Available, at the binding's `generation`;
/// under ReportDiff, DiffReported instead. `works` are the binding's Works,
/// none of them written in this pass.
pub fn conditions(works: &[&Work], generation: i64) -> Vec<Condition> {
    let cond = |t: &str, s: Status, r: &str, m: String| conditions::new(t, s, r, m, Some(generation));
    let mut out = Vec::new();
    let mut works: Vec<&Work> = works.to_vec();
    works.sort_by_key(|w| name(w).to_string());

    if report_diff(&works) {
        let c = match works.iter().find(|w| current(w, p::DIFF_REPORTED).is_none_or(|c| c.status != "True")) {
            Some(w) => cond(
                p::DIFF_REPORTED,
                Status::False,
                p::REASON_NOT_ALL_WORK_DIFF_REPORTED,
                format!("Work object {} has not yet reported its differences", name(w)),
            ),
            None => cond(
                p::DIFF_REPORTED,
                Status::True,
                p::REASON_ALL_WORK_DIFF_REPORTED,
                "All corresponding work objects have reported their differences".into(),
            ),
        };
        out.push(c);
        return out;
    }

    if let Some(w) = works.iter().find(|w| current(w, p::APPLIED).is_none_or(|c| c.status == "Unknown")) {
        out.push(cond(
            p::APPLIED,
            Status::False,
            p::REASON_NOT_ALL_WORK_APPLIED,
            format!("Work object {} has not yet completed the apply op", name(w)),
        ));
        return out;
    }
    if let Some(w) = works.iter().find(|w| current(w, p::APPLIED).is_some_and(|c| c.status == "False")) {
        out.push(cond(
            p::APPLIED,
            Status::False,
            p::REASON_NOT_ALL_WORK_APPLIED,
            format!("Work object {} has failed to apply", name(w)),
        ));
        return out;
    }
    out.push(cond(
        p::APPLIED,
        Status::True,
        p::REASON_ALL_WORK_APPLIED,
        "All corresponding work objects are applied".into(),
    ));

    let available = |w: &Work| current(w, p::AVAILABLE).cloned();
    if let Some(w) = works.iter().find(|w| available(w).is_none_or(|c| c.status == "Unknown")) {
        out.push(cond(
            p::AVAILABLE,
            Status::False,
            p::REASON_NOT_ALL_WORK_AVAILABLE,
            format!("Work object {} has not yet completed availability check", name(w)),
        ));
    } else if let Some(w) = works.iter().find(|w| available(w).is_some_and(|c| c.status == "False")) {
        out.push(cond(
            p::AVAILABLE,
            Status::False,
            p::REASON_NOT_ALL_WORK_AVAILABLE,
            format!("Work object {} is not yet available", name(w)),
        ));
    } else if let Some(w) = works.iter().find(|w| {
        available(w).is_some_and(|c| {
            [p::REASON_WORK_NOT_TRACKABLE, p::REASON_SOME_MANIFESTS_ARE_NOT_AVAILABILITY_TRACKABLE]
                .contains(&c.reason.as_str())
        })
    }) {
        out.push(cond(
            p::AVAILABLE,
            Status::True,
            p::REASON_NOT_ALL_WORK_AVAILABILITY_TRACKABLE,
            format!("The availability of work object {} is not trackable", name(w)),
        ));
    } else {
        out.push(cond(
            p::AVAILABLE,
            Status::True,
            p::REASON_ALL_WORK_AVAILABLE,
            "All corresponding work objects are available".into(),
        ));
    }
    out
}

fn envelope(w: &Work) -> Option<EnvelopeIdentifier> {
    let l = w.metadata.labels.as_ref()?;
    let type_ = match l.get(labels::ENVELOPE_TYPE)?.as_str() {
        "ConfigMap" => EnvelopeType::ConfigMap,
        "ClusterResourceEnvelope" => EnvelopeType::ClusterResourceEnvelope,
        _ => EnvelopeType::ResourceEnvelope,
    };
    Some(EnvelopeIdentifier {
        name: l.get(labels::ENVELOPE_NAME).cloned().unwrap_or_default(),
        namespace: l.get(labels::ENVELOPE_NAMESPACE).cloned().unwrap_or_default(),
        type_,
    })
}

fn identifier(w: &Work, m: &ManifestCondition) -> ResourceIdentifier {
    let i = &m.identifier;
    ResourceIdentifier {
        group: i.group.clone(),
        version: i.version.clone(),
        kind: i.kind.clone(),
        name: i.name.clone(),
        namespace: i.namespace.clone(),
        envelope: envelope(w),
    }
}

/// The objects that failed to apply or are not available, and those drifted
/// or different from the hub, from the Works' manifest conditions.
pub fn reports(works: &[&Work]) -> PlacementReports {
    let mut r = PlacementReports::default();
    for w in works {
        for m in w.status.iter().flat_map(|s| &s.manifest_conditions) {
            let failed = [p::APPLIED, p::AVAILABLE]
                .iter()
                .find_map(|t| conditions::find(&m.conditions, t).filter(|c| c.status == "False"));
            if let Some(c) = failed {
                r.failed_placements.push(FailedResourcePlacement { resource: identifier(w, m), condition: c.clone() });
            }
            if let Some(d) = &m.drift_details {
                r.drifted_placements.push(DriftedResourcePlacement {
                    resource: identifier(w, m),
                    observation_time: d.observation_time.clone(),
                    target_cluster_observed_generation: d.observed_in_member_cluster_generation,
                    first_drifted_observed_time: d.first_drifted_observed_time.clone(),
                    observed_drifts: d.observed_drifts.clone(),
                });
            }
            if let Some(d) = &m.diff_details {
                r.diffed_placements.push(DiffedResourcePlacement {
                    resource: identifier(w, m),
                    observation_time: d.observation_time.clone(),
                    target_cluster_observed_generation: d.observed_in_member_cluster_generation,
                    first_diffed_observed_time: d.first_diffed_observed_time.clone(),
                    observed_diffs: d.observed_diffs.clone(),
                });
            }
        }
    }
    r.failed_placements.truncate(MAX_REPORTS);
    r.drifted_placements.truncate(MAX_REPORTS);
    r.diffed_placements.truncate(MAX_REPORTS);
    r
}

#[cfg(test)]
mod tests {
    use apis::placement::{WorkResourceIdentifier, WorkStatus};

    use super::*;

    fn work(name: &str, applied: Option<(&str, &str)>, available: Option<(&str, &str)>) -> Work {
        let mut w = Work::new(name, Default::default());
        w.metadata.generation = Some(2);
        let mut conditions = Vec::new();
        for (t, c) in [(p::APPLIED, applied), (p::AVAILABLE, available)] {
            if let Some((status, reason)) = c {
                let mut c = conditions::new(t, Status::True, reason, "", Some(2));
                c.status = status.into();
                conditions.push(c);
            }
        }
        w.status = Some(WorkStatus { conditions, manifest_conditions: vec![] });
        w
    }

    fn summary(works: &[Work]) -> Vec<(String, String, String)> {
        let refs: Vec<&Work> = works.iter().collect();
        conditions(&refs, 5).into_iter().map(|c| (c.type_, c.status, c.reason)).collect()
    }

    fn s(t: &str, st: &str, r: &str) -> (String, String, String) {
        (t.into(), st.into(), r.into())
    }

    #[test]
    fn report_diff_works_give_diff_reported_instead_of_applied_and_available() {
        let mut w = work("a", None, None);
        w.spec.apply_strategy =
            Some(apis::placement::ApplyStrategy { type_: ApplyStrategyType::ReportDiff, ..Default::default() });
        assert_eq!(
            summary(std::slice::from_ref(&w)),
            [s(p::DIFF_REPORTED, "False", p::REASON_NOT_ALL_WORK_DIFF_REPORTED)]
        );
        let g = w.metadata.generation;
        w.status.get_or_insert_default().conditions =
            vec![conditions::new(p::DIFF_REPORTED, Status::True, p::REASON_ALL_MANIFESTS_DIFF_REPORTED, "", g)];
        assert_eq!(summary(&[w]), [s(p::DIFF_REPORTED, "True", p::REASON_ALL_WORK_DIFF_REPORTED)]);
    }

    #[test]
    fn all_applied_and_available() {
        let works =
            [work("a", Some(("True", "x")), Some(("True", "y"))), work("b", Some(("True", "x")), Some(("True", "y")))];
        assert_eq!(
            summary(&works),
            [s(p::APPLIED, "True", p::REASON_ALL_WORK_APPLIED), s(p::AVAILABLE, "True", p::REASON_ALL_WORK_AVAILABLE)]
        );
    }

    #[test]
    fn one_pending_or_failed_work_decides() {
        let works = [work("a", Some(("True", "x")), None), work("b", None, None)];
        assert_eq!(summary(&works), [s(p::APPLIED, "False", p::REASON_NOT_ALL_WORK_APPLIED)]);
        let works = [work("a", Some(("True", "x")), Some(("False", "y")))];
        assert_eq!(
            summary(&works),
            [
                s(p::APPLIED, "True", p::REASON_ALL_WORK_APPLIED),
                s(p::AVAILABLE, "False", p::REASON_NOT_ALL_WORK_AVAILABLE)
            ]
        );
    }

    #[test]
    fn a_stale_condition_counts_as_pending() {
        let mut w = work("a", Some(("True", "x")), Some(("True", "y")));
        w.metadata.generation = Some(3);
        assert_eq!(summary(&[w]), [s(p::APPLIED, "False", p::REASON_NOT_ALL_WORK_APPLIED)]);
    }

    #[test]
    fn untrackable_availability_is_reported_as_such() {
        let works = [work("a", Some(("True", "x")), Some(("True", p::REASON_WORK_NOT_TRACKABLE)))];
        assert_eq!(summary(&works)[1], s(p::AVAILABLE, "True", p::REASON_NOT_ALL_WORK_AVAILABILITY_TRACKABLE));
    }

    #[test]
    fn failed_manifests_become_failed_placements() {
        let mut w = work("a", Some(("False", "x")), None);
        let mut bad = conditions::new(p::APPLIED, Status::False, p::REASON_MANIFEST_APPLY_FAILED, "boom", Some(1));
        bad.status = "False".into();
        w.status.as_mut().unwrap().manifest_conditions = vec![ManifestCondition {
            identifier: WorkResourceIdentifier {
                kind: "ConfigMap".into(),
                version: "v1".into(),
                name: "c".into(),
                ..Default::default()
            },
            conditions: vec![bad],
            drift_details: None,
            diff_details: None,
            back_reported_status: None,
        }];
        let r = reports(&[&w]);
        assert_eq!(r.failed_placements.len(), 1);
        assert_eq!(r.failed_placements[0].resource.name, "c");
        assert_eq!(r.failed_placements[0].condition.message, "boom");
    }
}
