//! The MemberCluster status the hub shows: what the agents reported on the
//! InternalMemberCluster, plus ReadyToJoin and an aggregated Joined. Pure.

use apis::{
    cluster::{AgentType, InternalMemberCluster, MemberCluster, MemberClusterStatus},
    conditions::{self, Status, cluster as c},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// The agents a member runs today; Joined is True only when all of them joined.
pub const EXPECTED_AGENTS: &[AgentType] = &[AgentType::MemberAgent];

/// The status `mc` should have. Conditions keep their transition times when
/// their status holds, so comparing with the current status tells whether a
/// write is needed.
pub fn member_cluster_status(
    mc: &MemberCluster,
    imc: Option<&InternalMemberCluster>,
    ready_to_join: bool,
) -> MemberClusterStatus {
    let generation = mc.metadata.generation;
    let current = mc.status.clone().unwrap_or_default();
    let reported = imc.and_then(|i| i.status.clone()).unwrap_or_default();
    let mut status = MemberClusterStatus {
        conditions: current.conditions,
        properties: reported.properties,
        resource_usage: reported.resource_usage,
        namespaces: reported.namespaces,
        agent_status: reported.agent_status,
    };
    let ready = if ready_to_join {
        conditions::new(
            c::READY_TO_JOIN,
            true,
            c::REASON_READY_TO_JOIN,
            "Member cluster is ready to join the fleet",
            generation,
        )
    } else {
        conditions::new(
            c::READY_TO_JOIN,
            false,
            c::REASON_NOT_READY_TO_JOIN,
            "Member cluster is not ready to join the fleet",
            generation,
        )
    };
    conditions::set(&mut status.conditions, ready);
    let joined = joined(&status, generation);
    conditions::set(&mut status.conditions, joined);
    status
}

/// True when every expected agent says Joined=True, False when every one says
/// False (it left), Unknown otherwise (not reported yet, or agents disagree).
fn joined(status: &MemberClusterStatus, generation: Option<i64>) -> Condition {
    let states: Vec<Option<bool>> = EXPECTED_AGENTS
        .iter()
        .map(|t| {
            let agent = status.agent_status.iter().find(|a| a.type_ == *t)?;
            let cond = conditions::find(&agent.conditions, c::JOINED)?;
            match cond.status.as_str() {
                "True" => Some(true),
                "False" => Some(false),
                _ => None,
            }
        })
        .collect();
    if states.iter().all(|s| *s == Some(true)) {
        conditions::new(
            c::JOINED,
            true,
            c::REASON_JOINED,
            "Member cluster has successfully joined the fleet",
            generation,
        )
    } else if states.iter().all(|s| *s == Some(false)) {
        conditions::new(c::JOINED, false, c::REASON_LEFT, "Member cluster has left the fleet", generation)
    } else {
        let missing: Vec<String> =
            EXPECTED_AGENTS.iter().zip(&states).filter(|(_, s)| s.is_none()).map(|(t, _)| format!("{t:?}")).collect();
        let message = if missing.is_empty() {
            "Member agents are not in a consistent state".to_string()
        } else {
            format!("Member cluster has not reported the join state of: {}", missing.join(", "))
        };
        conditions::new(c::JOINED, Status::Unknown, c::REASON_JOIN_STATE_UNKNOWN, message, generation)
    }
}

/// Whether writing `want` would change what is stored. Transition times were
/// carried over by [`member_cluster_status`], so plain equality is right.
pub fn changed(mc: &MemberCluster, want: &MemberClusterStatus) -> bool {
    mc.status.as_ref().map(as_stored) != Some(as_stored(want))
}

/// `status` as the API server will hand it back: times at whole seconds. An
/// agent that reports finer times must not make every comparison differ (and
/// every reconcile write).
fn as_stored(status: &MemberClusterStatus) -> MemberClusterStatus {
    serde_json::to_value(status).and_then(serde_json::from_value).unwrap_or_else(|_| status.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_second_times_from_an_agent_do_not_count_as_a_change() {
        let mut reported = imc(Some(true));
        let fine = Timestamp::from_second(1_000_000).unwrap() + k8s_openapi::jiff::SignedDuration::from_millis(250);
        reported.status.as_mut().unwrap().agent_status[0].last_received_heartbeat = Some(Time(fine));
        let mut stored = mc();
        let want = member_cluster_status(&stored, Some(&reported), true);
        stored.status = Some(as_stored(&want));
        assert!(!changed(&stored, &want), "the stored copy (whole seconds) is the same status");
    }
    use apis::cluster::{
        AgentStatus, ClusterState, InternalMemberClusterSpec, InternalMemberClusterStatus, MemberClusterSpec,
        PropertyValue,
    };
    use k8s_openapi::{api::rbac::v1::Subject, apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};

    fn mc() -> MemberCluster {
        let mut mc = MemberCluster::new(
            "m1",
            MemberClusterSpec {
                identity: Subject { kind: "User".into(), name: "m1".into(), ..Default::default() },
                heartbeat_period_seconds: 60,
                taints: vec![],
                delete_options: None,
            },
        );
        mc.metadata.generation = Some(3);
        mc
    }

    fn imc(joined: Option<bool>) -> InternalMemberCluster {
        let mut imc = InternalMemberCluster::new(
            "m1",
            InternalMemberClusterSpec { state: ClusterState::Join, heartbeat_period_seconds: 60 },
        );
        let agent = AgentStatus {
            type_: AgentType::MemberAgent,
            conditions: joined
                .map(|j| {
                    vec![conditions::new(
                        c::JOINED,
                        j,
                        if j { c::REASON_AGENT_JOINED } else { c::REASON_AGENT_LEFT },
                        "",
                        None,
                    )]
                })
                .unwrap_or_default(),
            last_received_heartbeat: Some(Time(Timestamp::now())),
        };
        imc.status = Some(InternalMemberClusterStatus {
            properties: [(
                apis::cluster::properties::NODE_COUNT.to_string(),
                PropertyValue { value: "2".into(), observation_time: Time(Timestamp::now()) },
            )]
            .into(),
            agent_status: vec![agent],
            ..Default::default()
        });
        imc
    }

    fn cond<'a>(s: &'a MemberClusterStatus, t: &str) -> &'a Condition {
        conditions::find(&s.conditions, t).unwrap()
    }

    #[test]
    fn mirrors_the_agents_report_and_aggregates_joined() {
        let s = member_cluster_status(&mc(), Some(&imc(Some(true))), true);
        assert_eq!(cond(&s, c::READY_TO_JOIN).status, "True");
        assert_eq!(
            (cond(&s, c::JOINED).status.as_str(), cond(&s, c::JOINED).reason.as_str()),
            ("True", c::REASON_JOINED)
        );
        assert_eq!(cond(&s, c::JOINED).observed_generation, Some(3));
        assert_eq!(s.properties[apis::cluster::properties::NODE_COUNT].value, "2");
        assert_eq!(s.agent_status.len(), 1);

        let left = member_cluster_status(&mc(), Some(&imc(Some(false))), true);
        assert_eq!(
            (cond(&left, c::JOINED).status.as_str(), cond(&left, c::JOINED).reason.as_str()),
            ("False", c::REASON_LEFT)
        );
    }

    #[test]
    fn joined_is_unknown_until_the_agent_reports() {
        for imc in [None, Some(imc(None))] {
            let s = member_cluster_status(&mc(), imc.as_ref(), false);
            assert_eq!(cond(&s, c::READY_TO_JOIN).status, "False");
            let j = cond(&s, c::JOINED);
            assert_eq!((j.status.as_str(), j.reason.as_str()), ("Unknown", c::REASON_JOIN_STATE_UNKNOWN));
            assert!(j.message.contains("MemberAgent"), "{}", j.message);
        }
    }

    #[test]
    fn an_unchanged_report_needs_no_write() {
        let mut m = mc();
        let i = imc(Some(true));
        m.status = Some(member_cluster_status(&m, Some(&i), true));
        let again = member_cluster_status(&m, Some(&i), true);
        assert!(!changed(&m, &again), "same report, same status: no write");
        let mut newer = i.clone();
        newer.status.as_mut().unwrap().agent_status[0].last_received_heartbeat =
            Some(Time(Timestamp::from_second(1).unwrap()));
        assert!(changed(&m, &member_cluster_status(&m, Some(&newer), true)), "a heartbeat is a change");
    }
}
