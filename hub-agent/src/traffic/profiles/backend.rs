//! A TrafficManagerBackend's endpoints and Accepted condition, as
//! fleet-networking decides them: the clusters of its ServiceImport whose
//! exports can take traffic become endpoints, weighted by `weights::split`.
//! Where fleet-networking needs an Azure public IP with a DNS label, Flotilla
//! needs a LoadBalancer address (which its own data plane routes to) and
//! still the DNS label annotation, so KubeFleet's tutorial reads the same. Pure.

use std::net::{IpAddr, SocketAddr};

use apis::{
    conditions::{Status, networking as n},
    networking::{FromCluster, TrafficManagerEndpointStatus},
};

use super::weights::{self, Export};
use crate::traffic::dataplane::routes::Wanted;

/// Where a load balancer is reached: its address as the member reports it,
/// and the IP the data plane dials when the address is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub address: String,
    pub ip: Option<IpAddr>,
}

impl Target {
    /// A load balancer ingress's address: its IP, else its hostname.
    pub fn of(ip: Option<&str>, hostname: Option<&str>) -> Option<Self> {
        let address = ip.or(hostname)?.to_string();
        Some(Target { ip: address.parse().ok(), address })
    }
}

/// One endpoint of a backend: a cluster's load balancer and its share.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub cluster: String,
    /// The cluster's export weight.
    pub export_weight: i64,
    /// The endpoint's share of the backend's weight.
    pub weight: i64,
    pub target: Target,
}

impl Endpoint {
    /// The endpoint as the backend's status shows it.
    pub fn status(&self) -> TrafficManagerEndpointStatus {
        TrafficManagerEndpointStatus {
            name: self.name.clone(),
            resource_id: None,
            weight: Some(self.weight),
            target: Some(self.target.address.clone()),
            from: Some(FromCluster { cluster: self.cluster.clone(), weight: Some(self.export_weight) }),
        }
    }

    /// The route the data plane serves for it on `port`. The data plane
    /// dials addresses: an endpoint known only by hostname gets no route.
    pub fn route(&self, port: u16) -> Option<Wanted> {
        let ip = self.target.ip?;
        Some(Wanted {
            name: self.name.clone(),
            cluster: self.cluster.clone(),
            addr: SocketAddr::new(ip, port),
            weight: self.weight.clamp(0, 1000) as u32,
        })
    }
}

/// The profile the backend names, as far as the backend cares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Profile {
    Missing,
    /// Its Programmed condition: Some(true/false), or None while pending.
    Found(Option<bool>),
}

/// One cluster of the ServiceImport, from its InternalServiceExport.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterExport {
    pub cluster: String,
    pub weight: i64,
    pub type_: Option<String>,
    pub internal: bool,
    pub dns_label: bool,
    /// The load balancer's address, if it has one.
    pub address: Option<Target>,
}

impl ClusterExport {
    /// Why this export cannot take traffic, if it cannot.
    fn problem(&self) -> Option<&'static str> {
        if self.type_.as_deref() != Some("LoadBalancer") {
            Some("the Service is not of type LoadBalancer")
        } else if self.internal {
            Some("the Service's load balancer is internal")
        } else if self.address.is_none() {
            Some("the Service's load balancer has no address yet")
        } else if !self.dns_label {
            Some("the Service has no DNS label (annotation service.beta.kubernetes.io/azure-dns-label-name)")
        } else {
            None
        }
    }
}

pub struct Input<'a> {
    pub backend_uid: &'a str,
    pub weight: i64,
    pub profile_name: &'a str,
    pub profile: Profile,
    /// The ServiceImport's name, and its clusters' exports (None if it does not exist).
    pub import_name: &'a str,
    pub import: Option<Vec<ClusterExport>>,
}

/// The backend's endpoints and its Accepted condition (status, reason, message).
pub fn status(input: &Input) -> (Vec<Endpoint>, (Status, &'static str, String)) {
    let invalid = |m: String| (vec![], (Status::False, n::REASON_BACKEND_INVALID, m));
    match input.profile {
        Profile::Missing => return invalid(format!("TrafficManagerProfile {} is not found", input.profile_name)),
        Profile::Found(Some(false)) => {
            return invalid(format!("TrafficManagerProfile {} is not programmed", input.profile_name));
        }
        Profile::Found(None) => {
            let m = format!("TrafficManagerProfile {} is not programmed yet", input.profile_name);
            return (vec![], (Status::Unknown, n::REASON_BACKEND_PENDING, m));
        }
        Profile::Found(Some(true)) => {}
    }
    let Some(exports) = &input.import else {
        return invalid(format!("ServiceImport {} is not found", input.import_name));
    };
    if input.weight == 0 {
        return (vec![], (Status::True, n::REASON_BACKEND_ACCEPTED, "weight 0: no endpoints".into()));
    }
    if exports.is_empty() {
        let m = format!("ServiceImport {} has no exporting clusters yet", input.import_name);
        return (vec![], (Status::Unknown, n::REASON_BACKEND_PENDING, m));
    }
    let (good, bad): (Vec<&ClusterExport>, Vec<&ClusterExport>) = exports.iter().partition(|e| e.problem().is_none());
    let split = weights::split(
        input.weight,
        &good.iter().map(|e| Export { cluster: &e.cluster, weight: e.weight }).collect::<Vec<_>>(),
    );
    let endpoints = split
        .iter()
        .map(|(cluster, weight)| {
            let e = good.iter().find(|e| e.cluster == *cluster).expect("split keeps the clusters");
            Endpoint {
                name: format!("fleet-{}#{}#{}", input.backend_uid, input.import_name, cluster).to_lowercase(),
                cluster: cluster.to_string(),
                export_weight: e.weight,
                weight: *weight,
                target: e.address.clone().expect("an export without an address cannot take traffic"),
            }
        })
        .collect();
    if bad.is_empty() {
        // KubeFleet's words.
        let m = format!(
            "{} service(s) exported from clusters have been accepted as Traffic Manager endpoints",
            split.len()
        );
        return (endpoints, (Status::True, n::REASON_BACKEND_ACCEPTED, m));
    }
    let why: Vec<String> = bad.iter().map(|e| format!("{}: {}", e.cluster, e.problem().expect("bad"))).collect();
    let m = format!("{} of {} exported cluster(s) cannot take traffic: {}", bad.len(), exports.len(), why.join("; "));
    (endpoints, (Status::False, n::REASON_BACKEND_INVALID, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(cluster: &str, weight: i64, dns_label: bool) -> ClusterExport {
        ClusterExport {
            cluster: cluster.into(),
            weight,
            type_: Some("LoadBalancer".into()),
            internal: false,
            dns_label,
            address: Target::of(Some(&format!("127.0.0.{}", cluster.len())), None),
        }
    }

    fn input(profile: Profile, weight: i64, import: Option<Vec<ClusterExport>>) -> Input<'static> {
        Input { backend_uid: "UID", weight, profile_name: "p", profile, import_name: "nginx-service", import }
    }

    #[test]
    fn accepted_with_one_endpoint_per_cluster_weighted_by_the_exports() {
        let (eps, (s, r, _)) = status(&input(
            Profile::Found(Some(true)),
            500,
            Some(vec![export("a", 100, true), export("bb", 200, true)]),
        ));
        assert_eq!((s, r), (Status::True, n::REASON_BACKEND_ACCEPTED));
        let w: Vec<(String, Option<i64>)> = eps.iter().map(|e| (e.name.clone(), e.status().weight)).collect();
        assert_eq!(
            w,
            [
                ("fleet-uid#nginx-service#a".to_string(), Some(167)),
                ("fleet-uid#nginx-service#bb".to_string(), Some(334))
            ]
        );
        assert_eq!(eps[1].status().target.as_deref(), Some("127.0.0.2"));
        assert_eq!(eps[1].status().from.unwrap().weight, Some(200));
        let route = eps[1].route(80).expect("an IP target is routed");
        assert_eq!((route.addr, route.weight, route.cluster.as_str()), ("127.0.0.2:80".parse().unwrap(), 334, "bb"));
    }

    #[test]
    fn the_tutorials_member_without_a_dns_label_makes_the_backend_invalid_but_keeps_the_others() {
        let (eps, (s, r, m)) = status(&input(
            Profile::Found(Some(true)),
            100,
            Some(vec![export("member-1", 1, true), export("member-2", 1, false)]),
        ));
        assert_eq!((s, r), (Status::False, n::REASON_BACKEND_INVALID));
        assert!(m.contains("member-2: the Service has no DNS label"), "{m}");
        assert_eq!(eps.len(), 1, "traffic stays on member-1");
        assert_eq!(eps[0].weight, 100);
    }

    #[test]
    fn missing_or_unprogrammed_profiles_and_imports() {
        assert_eq!(status(&input(Profile::Missing, 1, Some(vec![]))).1.1, n::REASON_BACKEND_INVALID);
        assert_eq!(status(&input(Profile::Found(Some(false)), 1, Some(vec![]))).1.1, n::REASON_BACKEND_INVALID);
        assert_eq!(status(&input(Profile::Found(None), 1, Some(vec![]))).1.0, Status::Unknown);
        let (_, (s, r, m)) = status(&input(Profile::Found(Some(true)), 1, None));
        assert_eq!((s, r), (Status::False, n::REASON_BACKEND_INVALID));
        assert!(m.contains("ServiceImport nginx-service is not found"));
        assert_eq!(status(&input(Profile::Found(Some(true)), 1, Some(vec![]))).1.1, n::REASON_BACKEND_PENDING);
    }

    #[test]
    fn a_hostname_target_is_shown_but_not_routed_and_weights_above_1000_are_capped() {
        let e = Endpoint {
            name: "e".into(),
            cluster: "c".into(),
            export_weight: 1,
            weight: 5000,
            target: Target::of(None, Some("lb.example")).unwrap(),
        };
        assert_eq!(e.status().target.as_deref(), Some("lb.example"));
        assert_eq!(e.route(80), None);
        let ip = Endpoint { target: Target::of(Some("10.0.0.1"), Some("lb.example")).unwrap(), ..e };
        assert_eq!(ip.route(80).unwrap().weight, 1000);
    }

    #[test]
    fn weight_zero_turns_the_backend_off_and_accepted() {
        let (eps, (s, _, _)) = status(&input(Profile::Found(Some(true)), 0, Some(vec![export("a", 1, true)])));
        assert!(eps.is_empty());
        assert_eq!(s, Status::True);
    }
}
