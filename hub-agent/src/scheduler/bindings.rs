//! Sorting a placement's bindings into what the scheduler treats differently.
//! The first matching rule wins. Pure.

use std::collections::{BTreeMap, BTreeSet};

use apis::placement::BindingState;

use super::Binding;

#[derive(Default, Debug)]
pub struct Classified<'a> {
    pub unscheduled: Vec<&'a Binding>,
    /// On a cluster that is gone or leaving, or a second binding for one
    /// cluster (a write raced a stale cache): always unscheduled.
    pub dangling: Vec<&'a Binding>,
    /// Made for an older policy snapshot (Scheduled or Bound).
    pub obsolete: Vec<&'a Binding>,
    pub scheduled: Vec<&'a Binding>,
    pub bound: Vec<&'a Binding>,
}

/// `live` are the clusters that exist and are not being deleted.
pub fn classify<'a>(bindings: &'a [Binding], live: &BTreeSet<&str>) -> Classified<'a> {
    // One binding per cluster: Bound before Scheduled, then by name.
    let rank = |b: &Binding| (b.state != BindingState::Bound, b.name.clone());
    let mut keeper: BTreeMap<&str, &Binding> = BTreeMap::new();
    for b in bindings.iter().filter(|b| !b.deleting && b.state != BindingState::Unscheduled) {
        let k = keeper.entry(b.cluster.as_str()).or_insert(b);
        if rank(b) < rank(k) {
            *k = b;
        }
    }
    let mut c = Classified::default();
    for b in bindings {
        if b.deleting {
            continue;
        }
        let duplicate = b.state != BindingState::Unscheduled && !std::ptr::eq(keeper[b.cluster.as_str()], b);
        let bucket = if b.state == BindingState::Unscheduled {
            &mut c.unscheduled
        } else if duplicate || !live.contains(b.cluster.as_str()) {
            &mut c.dangling
        } else if !b.current {
            &mut c.obsolete
        } else if b.state == BindingState::Scheduled {
            &mut c.scheduled
        } else {
            &mut c.bound
        };
        bucket.push(b);
    }
    c
}
