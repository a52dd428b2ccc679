//! The scheduler: pure functions from (policy, member clusters, existing
//! bindings) to a plan (bindings to create, patch or unschedule, and the
//! decisions for the policy snapshot status), with KubeFleet's semantics:
//! PickAll, PickN (batches, scale up and down, scores, tie-breaks), PickFixed,
//! and IgnoredDuringExecution (a binding stays when its cluster stops passing
//! the filters; only a deleted or leaving cluster, a lower N or a new policy
//! snapshot moves it). Plugins live one per file in `plugins/`. The controller
//! reads, calls [`schedule`], and writes.

mod bindings;
mod framework;
pub mod label_selector;
pub mod plugins;
mod score;

use apis::{
    cluster::MemberCluster,
    placement::{BindingState, ClusterDecision, PlacementPolicy},
};
use k8s_openapi::jiff::Timestamp;

pub use framework::schedule;
pub use score::Score;

use crate::membership::eligibility;

/// A binding of the placement being scheduled, as the scheduler needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub name: String,
    pub cluster: String,
    pub state: BindingState,
    /// Made for the latest policy snapshot (otherwise obsolete).
    pub current: bool,
    pub deleting: bool,
    /// The decision it carries; its stored scores order scale-downs.
    pub decision: ClusterDecision,
    /// For an Unscheduled binding: the state to restore if picked again.
    pub previous_state: Option<BindingState>,
}

pub struct Input<'a> {
    /// `None` is PickAll.
    pub policy: Option<&'a PlacementPolicy>,
    /// N for PickN, from the policy snapshot.
    pub number_of_clusters: usize,
    /// Every MemberCluster, eligible or not.
    pub clusters: &'a [MemberCluster],
    pub bindings: &'a [Binding],
    pub now: Timestamp,
    pub eligibility: eligibility::Policy,
    /// The placement's migration taint value (`migration::taint::value`).
    pub placement: &'a str,
}

/// What to change, and what to report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// New Scheduled bindings, one per decision.
    pub create: Vec<ClusterDecision>,
    /// Existing bindings to move to the latest snapshot: (binding, state, decision).
    pub patch: Vec<(String, BindingState, ClusterDecision)>,
    /// Bindings to mark Unscheduled.
    pub unschedule: Vec<String>,
    /// The policy snapshot's new status; `None` leaves it as it is.
    pub status: Option<Status>,
    /// Schedule again at once: a batch was picked and more are wanted.
    pub requeue: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub decisions: Vec<ClusterDecision>,
    /// The Scheduled condition: all clusters the policy asks for were found.
    pub fulfilled: bool,
    pub found: usize,
}

impl Status {
    /// The Scheduled condition's message, as KubeFleet words it.
    pub fn message(&self) -> String {
        if self.fulfilled {
            format!("found all cluster needed as specified by the scheduling policy, found {} cluster(s)", self.found)
        } else {
            format!(
                "could not find all clusters needed as specified by the scheduling policy, found {} cluster(s) instead",
                self.found
            )
        }
    }
}
