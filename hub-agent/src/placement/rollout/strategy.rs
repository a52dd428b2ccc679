//! One pass of the rolling update over a placement's bindings. Pure.

use apis::placement::BindingState;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A binding as the rollout sees it, in binding-name order.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub state: BindingState,
    pub deleting: bool,
    pub ready: bool,
    pub failed: bool,
    pub diff_reported: bool,
    /// Bound to the latest resource snapshot and overrides already.
    pub up_to_date: bool,
}

/// What to change in this pass.
#[derive(Debug, Default, PartialEq)]
pub struct Pass {
    /// Scheduled → Bound on the latest snapshot.
    pub bind: Vec<String>,
    /// Bound → the latest snapshot.
    pub update: Vec<String>,
    /// Unscheduled → deleted.
    pub delete: Vec<String>,
    /// Waiting on the strategy: RolloutStarted=False, RolloutNotStartedYet.
    pub stale: Vec<String>,
}

/// `value` against `target`: an integer as is, a percentage rounded up.
pub fn scaled(value: &IntOrString, target: usize) -> Result<usize, String> {
    match value {
        IntOrString::Int(i) => usize::try_from(*i).map_err(|_| format!("{i} must not be negative")),
        IntOrString::String(s) => {
            let pct: usize = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("{s:?} is neither an integer nor a percentage"))?;
            Ok((pct * target).div_ceil(100))
        }
    }
}

/// Decides one pass. `target` is the number of clusters the policy wants
/// (PickAll: those scheduled or bound; PickN: N; PickFixed: the names).
pub fn pass(bindings: &[Binding], target: usize, max_unavailable: usize, max_surge: usize) -> Pass {
    let (mut ready, mut can_be_ready, mut can_be_unavailable) = (0usize, 0usize, 0usize);
    let (mut remove, mut update, mut failed_update, mut bind) = (vec![], vec![], vec![], vec![]);
    for b in bindings {
        let healthy = !b.failed && !b.diff_reported;
        match b.state {
            BindingState::Scheduled => bind.push(b),
            BindingState::Unscheduled | BindingState::Bound => {
                can_be_ready += usize::from(healthy);
                ready += usize::from(b.ready);
                can_be_unavailable += usize::from(b.deleting && b.ready);
                if b.deleting {
                    continue;
                }
                match b.state {
                    BindingState::Unscheduled => remove.push(b),
                    _ if b.up_to_date => {}
                    _ if b.failed => failed_update.push(b),
                    _ => update.push(b),
                }
            }
        }
    }
    let max_to_remove = (ready as i64 - can_be_unavailable as i64) - (target as i64 - max_unavailable as i64);
    let max_to_add = (target + max_surge) as i64 - can_be_ready as i64;

    let mut out = Pass { update: failed_update.iter().map(|b| b.name.clone()).collect(), ..Default::default() };
    let mut budget = max_to_remove.max(0) as usize;
    for b in &remove {
        if budget == 0 {
            break;
        }
        out.delete.push(b.name.clone());
        budget -= 1;
    }
    let (now, later) = update.split_at(budget.min(update.len()));
    out.update.extend(now.iter().map(|b| b.name.clone()));
    let (now, waiting) = bind.split_at((max_to_add.max(0) as usize).min(bind.len()));
    out.bind = now.iter().map(|b| b.name.clone()).collect();
    out.stale = later.iter().chain(waiting).map(|b| b.name.clone()).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, state: BindingState, ready: bool, up_to_date: bool) -> Binding {
        Binding { name: name.into(), state, deleting: false, ready, failed: false, diff_reported: false, up_to_date }
    }

    #[test]
    fn percentages_round_up_against_the_target() {
        let pct = |s: &str| IntOrString::String(s.into());
        assert_eq!(scaled(&pct("25%"), 10), Ok(3));
        assert_eq!(scaled(&pct("25%"), 4), Ok(1));
        assert_eq!(scaled(&pct("25%"), 3), Ok(1));
        assert_eq!(scaled(&pct("25%"), 0), Ok(0));
        assert_eq!(scaled(&pct("1%"), 5), Ok(1));
        assert_eq!(scaled(&pct("0%"), 9), Ok(0));
        assert_eq!(scaled(&IntOrString::Int(2), 100), Ok(2));
        assert!(scaled(&pct("a lot"), 3).is_err());
        assert!(scaled(&IntOrString::Int(-1), 3).is_err());
    }

    #[test]
    fn an_in_place_update_moves_one_cluster_at_a_time_under_25_percent() {
        let bs: Vec<_> = ["a", "b", "c", "d"].iter().map(|n| b(n, BindingState::Bound, true, false)).collect();
        let p = pass(&bs, 4, 1, 1);
        assert_eq!(p.update, ["a"]);
        assert_eq!(p.stale, ["b", "c", "d"]);
        // a is being applied (not ready): nothing else moves until it is.
        let mut next = bs.clone();
        next[0] = b("a", BindingState::Bound, false, true);
        assert_eq!(pass(&next, 4, 1, 1).update, Vec::<String>::new());
    }

    #[test]
    fn scaling_out_binds_within_the_surge() {
        let mut bs: Vec<_> = ["a", "b", "c"].iter().map(|n| b(n, BindingState::Bound, true, true)).collect();
        bs.push(b("d", BindingState::Scheduled, false, false));
        bs.push(b("e", BindingState::Scheduled, false, false));
        let p = pass(&bs, 5, 2, 2);
        assert_eq!(p.bind, ["d", "e"]);
        assert!(p.update.is_empty() && p.delete.is_empty());
    }

    #[test]
    fn a_swap_keeps_the_old_cluster_until_the_new_one_serves() {
        let old = b("b", BindingState::Unscheduled, true, true);
        let bs =
            vec![b("a", BindingState::Bound, true, true), old.clone(), b("c", BindingState::Scheduled, false, false)];
        let p = pass(&bs, 2, 0, 1);
        assert_eq!((p.bind.as_slice(), p.delete.len()), (["c".to_string()].as_slice(), 0), "bind c, keep b");
        let served = vec![b("a", BindingState::Bound, true, true), old, b("c", BindingState::Bound, true, true)];
        assert_eq!(pass(&served, 2, 0, 1).delete, ["b"], "c serves: b may go");
    }

    #[test]
    fn failed_bindings_are_updated_whatever_the_limits() {
        let mut x = b("x", BindingState::Bound, false, false);
        x.failed = true;
        let bs = vec![x, b("y", BindingState::Bound, true, false), b("z", BindingState::Bound, true, false)];
        let p = pass(&bs, 3, 1, 1);
        assert_eq!(p.update, ["x"]);
        assert_eq!(p.stale, ["y", "z"]);
    }
}
