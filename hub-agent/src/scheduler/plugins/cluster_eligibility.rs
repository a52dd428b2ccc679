//! Filter: only eligible clusters receive new placements (see
//! [`crate::membership::eligibility`] for what eligible means).

use apis::cluster::MemberCluster;
use k8s_openapi::jiff::Timestamp;

use crate::membership::eligibility::{self, Policy};

/// `Err(reason)` if `cluster` may not receive new placements at `now`.
pub fn filter(cluster: &MemberCluster, now: Timestamp, policy: Policy) -> Result<(), String> {
    eligibility::check(cluster, now, policy).map_err(|why| why.to_string())
}
