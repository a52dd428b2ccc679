//! What the member agent writes on its InternalMemberCluster: its own
//! `agentStatus` entry (Joined, Healthy, last heartbeat), the properties and
//! resource usage it collected, and whether collecting worked. Pure.

use apis::{
    cluster::{AgentStatus, AgentType, InternalMemberClusterStatus},
    conditions::{self, cluster as c},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::properties::Collected;

fn previous_agent(prev: &InternalMemberClusterStatus) -> Vec<Condition> {
    prev.agent_status
        .iter()
        .find(|a| a.type_ == AgentType::MemberAgent)
        .map(|a| a.conditions.clone())
        .unwrap_or_default()
}

/// A heartbeat while joined. A failed collection keeps the last properties
/// (they are still the best knowledge) and says so in a condition.
pub fn heartbeat(
    prev: &InternalMemberClusterStatus,
    health: &Result<(), String>,
    collected: &Result<Collected, String>,
    now: Time,
    generation: Option<i64>,
) -> InternalMemberClusterStatus {
    let mut agent = previous_agent(prev);
    conditions::set(
        &mut agent,
        conditions::new(c::JOINED, true, c::REASON_AGENT_JOINED, "The member agent has joined the fleet", generation),
    );
    let healthy = match health {
        Ok(()) => conditions::new(
            c::HEALTHY,
            true,
            c::REASON_AGENT_HEALTHY,
            "The member cluster's API server is ready",
            generation,
        ),
        Err(e) => conditions::new(
            c::HEALTHY,
            false,
            c::REASON_AGENT_UNHEALTHY,
            format!("The member cluster's API server is not ready: {e}"),
            generation,
        ),
    };
    conditions::set(&mut agent, healthy);

    let mut status_conditions = prev.conditions.clone();
    let (properties, resource_usage) = match collected {
        Ok(c) => {
            conditions::set(
                &mut status_conditions,
                conditions::new(
                    c::PROPERTY_COLLECTION_SUCCEEDED,
                    true,
                    c::REASON_PROPERTIES_COLLECTED,
                    "Collected properties from Nodes and Pods",
                    generation,
                ),
            );
            (c.properties.clone(), c.resource_usage.clone())
        }
        Err(e) => {
            conditions::set(
                &mut status_conditions,
                conditions::new(
                    c::PROPERTY_COLLECTION_SUCCEEDED,
                    false,
                    c::REASON_PROPERTY_COLLECTION_FAILED,
                    e.clone(),
                    generation,
                ),
            );
            (prev.properties.clone(), prev.resource_usage.clone())
        }
    };
    InternalMemberClusterStatus {
        conditions: status_conditions,
        properties,
        resource_usage,
        namespaces: Default::default(),
        agent_status: vec![AgentStatus {
            type_: AgentType::MemberAgent,
            conditions: agent,
            last_received_heartbeat: Some(now),
        }],
    }
}

/// The acknowledgement that the agent left: Joined=False, nothing else claimed.
pub fn left(prev: &InternalMemberClusterStatus, now: Time, generation: Option<i64>) -> InternalMemberClusterStatus {
    let mut agent: Vec<Condition> = previous_agent(prev).into_iter().filter(|c| c.type_ == c::JOINED).collect();
    conditions::set(
        &mut agent,
        conditions::new(c::JOINED, false, c::REASON_AGENT_LEFT, "The member agent has left the fleet", generation),
    );
    InternalMemberClusterStatus {
        agent_status: vec![AgentStatus {
            type_: AgentType::MemberAgent,
            conditions: agent,
            last_received_heartbeat: Some(now),
        }],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::cluster::PropertyValue;
    use k8s_openapi::jiff::Timestamp;

    fn t(s: i64) -> Time {
        Time(Timestamp::from_second(s).unwrap())
    }

    fn collected(nodes: &str) -> Collected {
        Collected {
            properties: [(
                apis::cluster::properties::NODE_COUNT.to_string(),
                PropertyValue { value: nodes.into(), observation_time: t(1) },
            )]
            .into(),
            resource_usage: Default::default(),
        }
    }

    fn agent(s: &InternalMemberClusterStatus) -> &AgentStatus {
        &s.agent_status[0]
    }

    #[test]
    fn a_healthy_heartbeat_reports_joined_healthy_and_properties() {
        let s = heartbeat(&Default::default(), &Ok(()), &Ok(collected("2")), t(100), Some(1));
        assert!(conditions::is_true(&agent(&s).conditions, c::JOINED));
        assert!(conditions::is_true(&agent(&s).conditions, c::HEALTHY));
        assert_eq!(agent(&s).last_received_heartbeat, Some(t(100)));
        assert_eq!(s.properties[apis::cluster::properties::NODE_COUNT].value, "2");
        assert!(conditions::is_true(&s.conditions, c::PROPERTY_COLLECTION_SUCCEEDED));
    }

    #[test]
    fn an_unready_api_server_is_unhealthy_and_keeps_its_transition_time() {
        let first = heartbeat(&Default::default(), &Err("etcd failed".into()), &Ok(collected("2")), t(100), None);
        let h = conditions::find(&agent(&first).conditions, c::HEALTHY).unwrap().clone();
        assert_eq!((h.status.as_str(), h.reason.as_str()), ("False", c::REASON_AGENT_UNHEALTHY));
        assert!(h.message.contains("etcd failed"));
        let later = heartbeat(&first, &Err("etcd failed".into()), &Ok(collected("2")), t(200), None);
        let h2 = conditions::find(&agent(&later).conditions, c::HEALTHY).unwrap();
        assert_eq!(h2.last_transition_time, h.last_transition_time, "still unhealthy since the first report");
    }

    #[test]
    fn a_failed_collection_keeps_the_last_properties() {
        let good = heartbeat(&Default::default(), &Ok(()), &Ok(collected("3")), t(100), None);
        let bad = heartbeat(&good, &Ok(()), &Err("listing nodes: forbidden".into()), t(200), None);
        assert_eq!(bad.properties[apis::cluster::properties::NODE_COUNT].value, "3");
        let cond = conditions::find(&bad.conditions, c::PROPERTY_COLLECTION_SUCCEEDED).unwrap();
        assert_eq!(cond.status, "False");
        assert!(cond.message.contains("forbidden"));
    }

    #[test]
    fn leaving_reports_joined_false_and_claims_nothing_else() {
        let joined = heartbeat(&Default::default(), &Ok(()), &Ok(collected("2")), t(100), None);
        let s = left(&joined, t(300), None);
        let j = conditions::find(&agent(&s).conditions, c::JOINED).unwrap();
        assert_eq!((j.status.as_str(), j.reason.as_str()), ("False", c::REASON_AGENT_LEFT));
        assert!(conditions::find(&agent(&s).conditions, c::HEALTHY).is_none());
        assert!(s.properties.is_empty());
    }
}
