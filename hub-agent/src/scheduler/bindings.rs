//! Sorting a placement's bindings into what the scheduler treats differently.
//! The first matching rule wins. Pure.

use std::collections::BTreeSet;

use apis::placement::BindingState;

use super::Binding;

#[derive(Default, Debug)]
pub struct Classified<'a> {
    pub unscheduled: Vec<&'a Binding>,
    /// On a cluster that is gone or leaving: always unscheduled.
    pub dangling: Vec<&'a Binding>,
    /// Made for an older policy snapshot (Scheduled or Bound).
    pub obsolete: Vec<&'a Binding>,
    pub scheduled: Vec<&'a Binding>,
    pub bound: Vec<&'a Binding>,
}

/// `live` are the clusters that exist and are not being deleted.
pub fn classify<'a>(bindings: &'a [Binding], live: &BTreeSet<&str>) -> Classified<'a> {
    let mut c = Classified::default();
    for b in bindings {
        if b.deleting {
            continue;
        }
        let bucket = if b.state == BindingState::Unscheduled {
            &mut c.unscheduled
        } else if !live.contains(b.cluster.as_str()) {
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
