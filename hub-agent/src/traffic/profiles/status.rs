//! A TrafficManagerProfile as the data plane serves it: the health checks its
//! monitor config asks for, and its status. Because Flotilla is the data
//! plane, a profile is Programmed only once its listener serves the current
//! generation, and the condition's observedGeneration says which. Pure.

use std::{net::SocketAddr, time::Duration};

use apis::{
    conditions::{self, Status, networking as n},
    networking::{MonitorProtocol, TrafficManagerProfile, TrafficManagerProfileStatus},
};

use crate::traffic::dataplane::checks::Monitor;

/// Whether the profile's checks are HTTP (else TCP), and how to run them.
pub fn monitor(p: &TrafficManagerProfile) -> (bool, Monitor) {
    let mc = p.spec.effective_monitor_config();
    let http = mc.protocol == MonitorProtocol::Http;
    let m = Monitor {
        http,
        port: mc.port.clamp(1, 65535) as u16,
        path: mc.path.clone(),
        headers: mc.custom_headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
        interval: Duration::from_secs(mc.interval_in_seconds.max(1) as u64),
        timeout: Duration::from_secs(mc.timeout_in_seconds.unwrap_or(10).max(1) as u64),
        tolerated: mc.tolerated_number_of_failures.max(0) as u32,
    };
    (http, m)
}

/// The name a profile is answered under in `zone`.
pub fn dns_name(namespace: &str, name: &str, zone: &str) -> String {
    format!("{namespace}-{name}.{zone}")
}

/// What the data plane did with a profile's routes.
pub struct Served<'a> {
    /// Where it listens, or why it cannot.
    pub listening: &'a Result<SocketAddr, String>,
    pub generation: i64,
    pub endpoints: usize,
    /// Endpoints failing their health checks, and whether that is all of them.
    pub unhealthy: usize,
    pub all_unhealthy: bool,
}

/// The profile's status: its DNS name, where it is served, Programmed.
pub fn status(p: &TrafficManagerProfile, dns_name: String, served: &Served) -> TrafficManagerProfileStatus {
    let generation = served.generation;
    let (address, programmed) = match served.listening {
        Ok(addr) => {
            let health = match (served.unhealthy, served.all_unhealthy) {
                (0, _) => String::new(),
                (_, true) => "; every endpoint fails its health checks, so traffic is spread over all of them".into(),
                (n, false) => format!("; {n} endpoint(s) fail their health checks and get no traffic"),
            };
            let m = format!(
                "the data plane serves generation {generation} at {addr} with {} endpoint(s){health}",
                served.endpoints
            );
            let c = conditions::new(
                n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED,
                Status::True,
                n::REASON_PROFILE_PROGRAMMED,
                m,
                Some(generation),
            );
            (Some(addr.to_string()), c)
        }
        Err(e) => {
            let m = format!("the data plane cannot listen: {e}");
            let c = conditions::new(
                n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED,
                Status::Unknown,
                n::REASON_PROFILE_PENDING,
                m,
                Some(generation),
            );
            (None, c)
        }
    };
    let mut conds = p.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
    conditions::set(&mut conds, programmed);
    TrafficManagerProfileStatus {
        dns_name: Some(dns_name),
        resource_id: None,
        proxy_address: address,
        conditions: conds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(listening: &Result<SocketAddr, String>, unhealthy: usize, all: bool) -> Served<'_> {
        Served { listening, generation: 4, endpoints: 2, unhealthy, all_unhealthy: all }
    }

    #[test]
    fn programmed_at_the_served_generation_with_its_address_and_health() {
        let p = TrafficManagerProfile::new("p", Default::default());
        let ok = Ok("127.0.0.1:4000".parse().unwrap());
        let st = status(&p, dns_name("ns", "p", "zone"), &served(&ok, 1, false));
        assert_eq!(st.dns_name.as_deref(), Some("ns-p.zone"));
        assert_eq!(st.proxy_address.as_deref(), Some("127.0.0.1:4000"));
        let c = conditions::find(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED).unwrap();
        assert_eq!((c.status.as_str(), c.observed_generation), ("True", Some(4)));
        assert!(c.message.contains("generation 4") && c.message.contains("1 endpoint(s) fail"), "{}", c.message);
        let all = status(&p, "x".into(), &served(&ok, 2, true));
        assert!(all.conditions[0].message.contains("spread over all of them"));
    }

    #[test]
    fn a_listener_that_cannot_bind_is_pending_without_an_address() {
        let p = TrafficManagerProfile::new("p", Default::default());
        let err = Err("address in use".to_string());
        let st = status(&p, "x".into(), &served(&err, 0, false));
        assert_eq!(st.proxy_address, None);
        let c = &st.conditions[0];
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("Unknown", n::REASON_PROFILE_PENDING));
        assert!(c.message.contains("address in use"));
    }
}
