//! Whether a member cluster can receive new placements. Pure: the scheduler
//! calls it with the clusters it sees and the time it decides at.

use std::time::Duration;

use apis::{
    cluster::{AgentType, MemberCluster},
    conditions::{self, cluster as c},
};
use k8s_openapi::jiff::Timestamp;

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// A heartbeat older than this makes the cluster ineligible (KubeFleet: 5 minutes).
    pub heartbeat_timeout: Duration,
    /// Healthy not True for longer than this makes it ineligible (KubeFleet: 5 minutes).
    pub unhealthy_timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self { heartbeat_timeout: Duration::from_secs(300), unhealthy_timeout: Duration::from_secs(300) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ineligible {
    Deleting,
    NoAgentStatus,
    NoHeartbeat,
    HeartbeatStale { age_seconds: i64 },
    NotJoined,
    Unhealthy { for_seconds: i64 },
}

/// KubeFleet's wording, which users see in scheduling decisions.
impl std::fmt::Display for Ineligible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ineligible::Deleting => write!(f, "cluster has left the fleet"),
            Ineligible::NoAgentStatus => {
                write!(f, "cluster is not connected to the fleet: member agent not online yet")
            }
            Ineligible::NoHeartbeat => write!(f, "cluster is not connected to the fleet: no heartbeat received yet"),
            Ineligible::HeartbeatStale { age_seconds } => write!(
                f,
                "cluster is not connected to the fleet: no recent heartbeat signals (last received {:.2} minutes ago)",
                *age_seconds as f64 / 60.0
            ),
            Ineligible::NotJoined => write!(f, "cluster is not connected to the fleet: member agent not joined yet"),
            Ineligible::Unhealthy { for_seconds: 0 } => {
                write!(f, "cluster is not connected to the fleet: health condition from member agent is not available")
            }
            Ineligible::Unhealthy { for_seconds } => write!(
                f,
                "cluster is not connected to the fleet: unhealthy for a prolonged period of time (last transitioned {:.2} minutes ago)",
                *for_seconds as f64 / 60.0
            ),
        }
    }
}

/// `Ok` if `mc` may receive new placements at `now`.
pub fn check(mc: &MemberCluster, now: Timestamp, policy: Policy) -> Result<(), Ineligible> {
    if mc.metadata.deletion_timestamp.is_some() {
        return Err(Ineligible::Deleting);
    }
    let agent = mc
        .status
        .as_ref()
        .and_then(|s| s.agent_status.iter().find(|a| a.type_ == AgentType::MemberAgent))
        .ok_or(Ineligible::NoAgentStatus)?;
    let heartbeat = agent.last_received_heartbeat.as_ref().ok_or(Ineligible::NoHeartbeat)?;
    let age = now.as_second() - heartbeat.0.as_second();
    if age > policy.heartbeat_timeout.as_secs() as i64 {
        return Err(Ineligible::HeartbeatStale { age_seconds: age });
    }
    if !conditions::is_true(&agent.conditions, c::JOINED) {
        return Err(Ineligible::NotJoined);
    }
    match conditions::find(&agent.conditions, c::HEALTHY) {
        Some(h) if h.status == "True" => Ok(()),
        Some(h) => {
            let for_seconds = now.as_second() - h.last_transition_time.0.as_second();
            if for_seconds > policy.unhealthy_timeout.as_secs() as i64 {
                Err(Ineligible::Unhealthy { for_seconds })
            } else {
                Ok(())
            }
        }
        None => Err(Ineligible::Unhealthy { for_seconds: 0 }),
    }
}

/// When `check` could next change its answer without any new report (a
/// heartbeat going stale, an unhealthy spell passing its limit), so the caller
/// can look again then; `None` if only a new report can change it.
pub fn next_change(mc: &MemberCluster, now: Timestamp, policy: Policy) -> Option<Duration> {
    let agent = mc.status.as_ref()?.agent_status.iter().find(|a| a.type_ == AgentType::MemberAgent)?;
    let mut at = Vec::new();
    if let Some(hb) = &agent.last_received_heartbeat {
        at.push(hb.0.as_second() + policy.heartbeat_timeout.as_secs() as i64 + 1);
    }
    if let Some(h) = conditions::find(&agent.conditions, c::HEALTHY).filter(|h| h.status != "True") {
        at.push(h.last_transition_time.0.as_second() + policy.unhealthy_timeout.as_secs() as i64 + 1);
    }
    at.into_iter().filter(|t| *t > now.as_second()).min().map(|t| Duration::from_secs((t - now.as_second()) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::cluster::{AgentStatus, MemberClusterSpec, MemberClusterStatus};
    use k8s_openapi::{api::rbac::v1::Subject, apimachinery::pkg::apis::meta::v1::Time};

    const NOW: i64 = 1_000_000;

    fn t(s: i64) -> Time {
        Time(Timestamp::from_second(s).unwrap())
    }

    /// A member whose agent last heartbeated at `hb`, with Joined and Healthy as given
    /// (Healthy's transition at `healthy_since`).
    fn mc(hb: Option<i64>, joined: bool, healthy: Option<(bool, i64)>) -> MemberCluster {
        let mut mc = MemberCluster::new(
            "m",
            MemberClusterSpec {
                identity: Subject::default(),
                heartbeat_period_seconds: 60,
                taints: vec![],
                delete_options: None,
            },
        );
        let mut conds = vec![conditions::new(c::JOINED, joined, "r", "", None)];
        if let Some((h, since)) = healthy {
            let mut hc = conditions::new(c::HEALTHY, h, "r", "", None);
            hc.last_transition_time = t(since);
            conds.push(hc);
        }
        mc.status = Some(MemberClusterStatus {
            agent_status: vec![AgentStatus {
                type_: AgentType::MemberAgent,
                conditions: conds,
                last_received_heartbeat: hb.map(t),
            }],
            ..Default::default()
        });
        mc
    }

    fn now() -> Timestamp {
        Timestamp::from_second(NOW).unwrap()
    }

    #[test]
    fn a_joined_healthy_member_with_a_fresh_heartbeat_is_eligible() {
        assert_eq!(check(&mc(Some(NOW - 10), true, Some((true, 0))), now(), Policy::default()), Ok(()));
    }

    #[test]
    fn a_heartbeat_older_than_the_timeout_is_ineligible() {
        let p = Policy::default();
        assert_eq!(
            check(&mc(Some(NOW - 300), true, Some((true, 0))), now(), p),
            Ok(()),
            "exactly 5 minutes is still fresh"
        );
        assert_eq!(
            check(&mc(Some(NOW - 301), true, Some((true, 0))), now(), p),
            Err(Ineligible::HeartbeatStale { age_seconds: 301 })
        );
        assert_eq!(check(&mc(None, true, Some((true, 0))), now(), p), Err(Ineligible::NoHeartbeat));
    }

    #[test]
    fn not_joined_deleting_or_unreported_is_ineligible() {
        let p = Policy::default();
        assert_eq!(check(&mc(Some(NOW), false, Some((true, 0))), now(), p), Err(Ineligible::NotJoined));
        let mut deleting = mc(Some(NOW), true, Some((true, 0)));
        deleting.metadata.deletion_timestamp = Some(t(NOW));
        assert_eq!(check(&deleting, now(), p), Err(Ineligible::Deleting));
        let mut silent = mc(Some(NOW), true, Some((true, 0)));
        silent.status = None;
        assert_eq!(check(&silent, now(), p), Err(Ineligible::NoAgentStatus));
    }

    #[test]
    fn unhealthy_counts_only_after_the_grace_period() {
        let p = Policy::default();
        assert_eq!(
            check(&mc(Some(NOW), true, Some((false, NOW - 299))), now(), p),
            Ok(()),
            "a short blip keeps placements"
        );
        assert_eq!(
            check(&mc(Some(NOW), true, Some((false, NOW - 301))), now(), p),
            Err(Ineligible::Unhealthy { for_seconds: 301 })
        );
        assert!(
            matches!(check(&mc(Some(NOW), true, None), now(), p), Err(Ineligible::Unhealthy { .. })),
            "no health report"
        );
    }

    #[test]
    fn next_change_is_when_a_heartbeat_goes_stale_or_an_unhealthy_spell_expires() {
        let p = Policy::default();
        assert_eq!(next_change(&mc(Some(NOW - 100), true, Some((true, 0))), now(), p), Some(Duration::from_secs(201)));
        assert_eq!(
            next_change(&mc(Some(NOW - 10), true, Some((false, NOW - 250))), now(), p),
            Some(Duration::from_secs(51))
        );
        assert_eq!(next_change(&mc(Some(NOW - 400), true, Some((true, 0))), now(), p), None, "already stale");
    }
}
