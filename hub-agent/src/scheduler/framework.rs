//! The scheduling cycle: classify the bindings, run the filters and scores,
//! pick, and cross-reference the picks with the bindings. Pure.

use std::collections::{BTreeMap, BTreeSet};

use apis::{
    cluster::MemberCluster,
    placement::{BindingState, ClusterDecision, PlacementType},
};
use kube::ResourceExt;

use super::{
    Binding, Input, Plan, Status,
    bindings::{Classified, classify},
    plugins::{cluster_affinity, cluster_eligibility, taint_toleration, topology_spread},
    score::{self, Score},
};

/// At most this many decisions go into the policy snapshot status…
const MAX_DECISIONS: usize = 1000;
/// …of which at most this many are for clusters not selected.
const MAX_UNSELECTED: usize = 20;

pub fn schedule(input: &Input) -> Result<Plan, String> {
    let live: BTreeSet<&str> = input
        .clusters
        .iter()
        .filter(|c| c.metadata.deletion_timestamp.is_none())
        .map(|c| c.metadata.name.as_deref().unwrap_or(""))
        .collect();
    let classified = classify(input.bindings, &live);
    let mut plan =
        Plan { unschedule: classified.dangling.iter().map(|b| b.name.clone()).collect(), ..Default::default() };
    match input.policy.map(|p| p.placement_type).unwrap_or(PlacementType::PickAll) {
        PlacementType::PickAll => pick_all(input, &classified, &mut plan)?,
        PlacementType::PickN => pick_n(input, &classified, &mut plan)?,
        PlacementType::PickFixed => pick_fixed(input, &classified, &mut plan)?,
    }
    Ok(plan)
}

/// The clusters that pass every filter, in name order, and those filtered
/// with why (a malformed selector is a reason too, shown in the decision).
/// A cluster already holding a current binding is in neither.
struct Filtered<'a> {
    passed: Vec<&'a MemberCluster>,
    filtered: Vec<(String, String)>,
}

fn filter<'a>(
    input: &Input<'a>,
    classified: &Classified,
    topology: Option<&topology_spread::Evaluation>,
) -> Filtered<'a> {
    let held: BTreeSet<&str> =
        classified.scheduled.iter().chain(&classified.bound).map(|b| b.cluster.as_str()).collect();
    let affinity = input.policy.and_then(|p| p.affinity.as_ref()).and_then(|a| a.cluster_affinity.as_ref());
    let required = affinity.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
    let tolerations = input.policy.map(|p| p.tolerations.as_slice()).unwrap_or_default();
    let mut clusters: Vec<&MemberCluster> = input.clusters.iter().collect();
    clusters.sort_by_key(|c| c.name_any());
    let (mut passed, mut filtered) = (Vec::new(), Vec::new());
    for c in clusters {
        let name = c.name_any();
        let verdict = cluster_affinity::filter(required, c)
            .and_then(|()| cluster_eligibility::filter(c, input.now, input.eligibility))
            .and_then(|()| taint_toleration::filter(c, tolerations, input.placement));
        match verdict {
            Err(reason) => filtered.push((name, reason)),
            Ok(()) if held.contains(name.as_str()) => {}
            Ok(()) => match topology.and_then(|t| t.violations.get(&name)) {
                Some(reason) => filtered.push((name, reason.clone())),
                None => passed.push(c),
            },
        }
    }
    Filtered { passed, filtered }
}

/// Matches the picked clusters with existing bindings: an obsolete binding on
/// a picked cluster moves to the latest snapshot keeping its state; an
/// Unscheduled one comes back in its previous state; other picks get new
/// bindings; obsolete bindings on clusters not picked are unscheduled.
/// Returns the decisions of the created and patched bindings.
fn cross_reference(
    picked: &[(String, Score)],
    classified: &Classified,
    plan: &mut Plan,
) -> Result<Vec<ClusterDecision>, String> {
    let chosen: BTreeMap<&str, Score> = picked.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    let mut checked = BTreeSet::new();
    let mut decisions = Vec::new();
    for b in &classified.obsolete {
        checked.insert(b.cluster.as_str());
        match chosen.get(b.cluster.as_str()) {
            Some(s) => {
                let d = score::selected(&b.cluster, *s);
                plan.patch.push((b.name.clone(), b.state, d.clone()));
                decisions.push(d);
            }
            None => plan.unschedule.push(b.name.clone()),
        }
    }
    for b in &classified.unscheduled {
        checked.insert(b.cluster.as_str());
        if let Some(s) = chosen.get(b.cluster.as_str()) {
            let d = score::selected(&b.cluster, *s);
            plan.patch.push((b.name.clone(), restore(b)?, d.clone()));
            decisions.push(d);
        }
    }
    for (name, s) in picked {
        if !checked.contains(name.as_str()) {
            let d = score::selected(name, *s);
            plan.create.push(d.clone());
            decisions.push(d);
        }
    }
    Ok(decisions)
}

fn restore(b: &Binding) -> Result<BindingState, String> {
    b.previous_state.ok_or_else(|| format!("binding {} is Unscheduled without a previous state to restore", b.name))
}

/// The status decisions: every selected cluster (stored decisions of kept
/// bindings), then up to 20 others, not-picked before filtered.
fn decisions(
    selected: Vec<ClusterDecision>,
    kept: &[&Binding],
    not_picked: &[(String, Score)],
    filtered: &[(String, String)],
) -> Vec<ClusterDecision> {
    let mut out: Vec<ClusterDecision> =
        selected.into_iter().chain(kept.iter().map(|b| b.decision.clone())).take(MAX_DECISIONS).collect();
    let seen: BTreeSet<String> = out.iter().map(|d| d.cluster_name.clone()).collect();
    let room = MAX_UNSELECTED.min(MAX_DECISIONS.saturating_sub(out.len()));
    let others = not_picked
        .iter()
        .map(|(n, s)| score::not_picked(n, *s))
        .chain(filtered.iter().map(|(n, r)| score::filtered(n, r)))
        .filter(|d| !seen.contains(&d.cluster_name))
        .take(room);
    out.extend(others);
    out
}

fn kept<'a>(classified: &'a Classified, unscheduled: &[String]) -> Vec<&'a Binding> {
    classified.scheduled.iter().chain(&classified.bound).filter(|b| !unscheduled.contains(&b.name)).copied().collect()
}

fn pick_all(input: &Input, classified: &Classified, plan: &mut Plan) -> Result<(), String> {
    let Filtered { passed, filtered } = filter(input, classified, None);
    let picked: Vec<(String, Score)> = passed.iter().map(|c| (c.name_any(), Score::default())).collect();
    let selected = cross_reference(&picked, classified, plan)?;
    let kept = kept(classified, &plan.unschedule);
    let found = selected.len() + kept.len();
    plan.status = Some(Status { decisions: decisions(selected, &kept, &[], &filtered), fulfilled: true, found });
    Ok(())
}

fn pick_n(input: &Input, classified: &Classified, plan: &mut Plan) -> Result<(), String> {
    let n = input.number_of_clusters;
    let present = classified.scheduled.len() + classified.bound.len();
    if n <= present {
        if present > n || !classified.obsolete.is_empty() {
            plan.unschedule.extend(classified.obsolete.iter().map(|b| b.name.clone()));
            plan.unschedule.extend(downscale(classified, present - n));
        }
        let kept = kept(classified, &plan.unschedule);
        let found = kept.len();
        plan.status = Some(Status { decisions: decisions(vec![], &kept, &[], &[]), fulfilled: found >= n, found });
        return Ok(());
    }

    let policy = input.policy.expect("PickN has a policy");
    let wanted = n - present;
    let batch = if policy.topology_spread_constraints.is_empty() { wanted } else { 1 };
    let holding: BTreeSet<String> =
        classified.scheduled.iter().chain(&classified.bound).map(|b| b.cluster.clone()).collect();
    let topology = (!policy.topology_spread_constraints.is_empty())
        .then(|| topology_spread::evaluate(&policy.topology_spread_constraints, input.clusters, &holding));
    let Filtered { passed, filtered } = filter(input, classified, topology.as_ref());

    let preferred = policy
        .affinity
        .as_ref()
        .and_then(|a| a.cluster_affinity.as_ref())
        .map(|a| a.preferred_during_scheduling_ignored_during_execution.as_slice())
        .unwrap_or_default();
    let scorer = cluster_affinity::PreferredScorer::new(preferred, input.clusters)?;
    let obsolete: BTreeSet<&str> = classified.obsolete.iter().map(|b| b.cluster.as_str()).collect();
    let mut scored = Vec::new();
    for c in passed {
        let name = c.name_any();
        let s = Score {
            topology_spread: topology.as_ref().and_then(|t| t.scores.get(&name).copied()).unwrap_or(0),
            affinity: scorer.score(c)?,
            obsolete_placement: i32::from(obsolete.contains(name.as_str())),
        };
        scored.push((name, s));
    }
    scored.sort_by(score::best_first);
    let take = wanted.min(batch).min(scored.len());
    let not_picked = scored.split_off(take);
    let selected = cross_reference(&scored, classified, plan)?;
    if wanted > batch && selected.len() == batch {
        plan.requeue = true; // the next batch sees this one's picks; report when done
        return Ok(());
    }
    let kept = kept(classified, &plan.unschedule);
    let found = selected.len() + kept.len();
    plan.status =
        Some(Status { decisions: decisions(selected, &kept, &not_picked, &filtered), fulfilled: found >= n, found });
    Ok(())
}

/// Which `count` bindings go when N shrinks: Scheduled before Bound, each
/// lowest stored score first (no score first), then the smaller name.
fn downscale(classified: &Classified, count: usize) -> Vec<String> {
    fn order<'b>(bs: &[&'b Binding]) -> Vec<&'b Binding> {
        let mut v = bs.to_vec();
        v.sort_by_key(|b| {
            let s =
                b.decision.cluster_score.map(|s| (s.topology_spread_score.unwrap_or(0), s.affinity_score.unwrap_or(0)));
            (s, b.cluster.clone())
        });
        v
    }
    order(&classified.scheduled)
        .into_iter()
        .chain(order(&classified.bound))
        .take(count)
        .map(|b| b.name.clone())
        .collect()
}

fn pick_fixed(input: &Input, classified: &Classified, plan: &mut Plan) -> Result<(), String> {
    // No names places nowhere: every binding is unscheduled (KubeFleet's scale to zero).
    let names = input.policy.map(|p| p.cluster_names.as_slice()).unwrap_or_default();
    let clusters: BTreeMap<String, &MemberCluster> = input.clusters.iter().map(|c| (c.name_any(), c)).collect();
    let (mut valid, mut invalid, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    for name in names {
        match clusters.get(name) {
            None => missing.push(name.clone()),
            // Naming a cluster overrides its taints and labels; only eligibility counts.
            Some(c) => match cluster_eligibility::filter(c, input.now, input.eligibility) {
                Ok(()) => valid.push(name.clone()),
                Err(reason) => invalid.push((name.clone(), reason)),
            },
        }
    }
    let find = |bs: &[&Binding], cluster: &str| bs.iter().find(|b| b.cluster == cluster).map(|b| (*b).clone());
    for name in &valid {
        let held = classified.scheduled.iter().chain(&classified.bound).any(|b| &b.cluster == name);
        if held {
            continue;
        }
        let d = score::selected_fixed(name);
        if let Some(b) = find(&classified.obsolete, name) {
            plan.patch.push((b.name.clone(), b.state, d));
        } else if let Some(b) = classified.unscheduled.iter().rev().find(|b| &b.cluster == name) {
            plan.patch.push((b.name.clone(), restore(b)?, d));
        } else {
            plan.create.push(d);
        }
    }
    plan.unschedule.extend(classified.obsolete.iter().filter(|b| !valid.contains(&b.cluster)).map(|b| b.name.clone()));
    let decisions = valid
        .iter()
        .map(|n| score::selected_fixed(n))
        .chain(invalid.iter().map(|(n, r)| score::fixed_invalid(n, r)))
        .chain(missing.iter().map(|n| score::fixed_not_found(n)))
        .collect();
    plan.status = Some(Status { decisions, fulfilled: invalid.is_empty() && missing.is_empty(), found: valid.len() });
    Ok(())
}

#[cfg(test)]
#[path = "framework_tests.rs"]
mod tests;
