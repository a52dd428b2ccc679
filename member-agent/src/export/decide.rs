//! What a ServiceExport on the member means for the hub, as fleet-networking
//! decides it: export the Service (its ports, type, load balancer address and
//! weight) as an InternalServiceExport, withdraw it (no Service, a headless
//! or ExternalName one, or weight 0), or, on an invalid weight annotation,
//! keep whatever is exported now so live traffic is never cut by a typo. The
//! result also carries the ServiceExport's Valid condition. Pure.

use apis::{
    conditions::networking as n,
    labels::{SERVICE_AZURE_DNS_LABEL_NAME, SERVICE_AZURE_LOAD_BALANCER_INTERNAL, SERVICE_EXPORT_WEIGHT},
    networking::{PortProtocol, ServicePort},
};
use k8s_openapi::api::core::v1::{LoadBalancerIngress, Service};

/// The weight of an export without the annotation.
pub const DEFAULT_WEIGHT: i64 = 1;
pub const MAX_WEIGHT: i64 = 1000;

/// What the Service looks like to the hub.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub ports: Vec<ServicePort>,
    pub type_: Option<String>,
    pub is_dns_label_configured: bool,
    pub is_internal_load_balancer: bool,
    pub load_balancer_ingress: Vec<LoadBalancerIngress>,
    pub weight: i64,
}

/// What to do with the hub's copy.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Export(Exported),
    Withdraw,
    /// Leave the hub's copy as it is.
    Keep,
}

/// The decision and the ServiceExport's Valid condition (status, reason, message).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub action: Action,
    pub valid: (bool, &'static str, String),
}

fn ports(svc: &Service) -> Vec<ServicePort> {
    let spec = svc.spec.clone().unwrap_or_default();
    spec.ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| ServicePort {
            name: p.name,
            protocol: match p.protocol.as_deref() {
                Some("UDP") => PortProtocol::Udp,
                Some("SCTP") => PortProtocol::Sctp,
                _ => PortProtocol::Tcp,
            },
            app_protocol: p.app_protocol,
            port: p.port,
            target_port: p.target_port,
        })
        .collect()
}

/// The decision for a ServiceExport with `annotations`, given its Service (None if missing).
pub fn decide(service: Option<&Service>, weight_annotation: Option<&str>) -> Decision {
    let Some(svc) = service else {
        return Decision {
            action: Action::Withdraw,
            valid: (false, n::REASON_SERVICE_NOT_FOUND, "the Service to export does not exist".into()),
        };
    };
    let spec = svc.spec.clone().unwrap_or_default();
    let type_ = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    if type_ == "ExternalName" || spec.cluster_ip.as_deref() == Some("None") {
        let what = if type_ == "ExternalName" { "an ExternalName Service" } else { "a headless Service" };
        return Decision {
            action: Action::Withdraw,
            valid: (false, n::REASON_SERVICE_INELIGIBLE, format!("{what} cannot be exported")),
        };
    }
    let weight = match weight_annotation {
        None => DEFAULT_WEIGHT,
        Some(w) => match w.trim().parse::<i64>() {
            Ok(w) if (0..=MAX_WEIGHT).contains(&w) => w,
            _ => {
                return Decision {
                    action: Action::Keep,
                    valid: (
                        false,
                        n::REASON_SERVICE_EXPORT_INVALID_WEIGHT_ANNOTATION,
                        format!(
                            "the annotation {SERVICE_EXPORT_WEIGHT} must be an integer from 0 to {MAX_WEIGHT}, got {w:?}; the current export is kept"
                        ),
                    ),
                };
            }
        },
    };
    if weight == 0 {
        return Decision {
            action: Action::Withdraw,
            valid: (true, n::REASON_SERVICE_IS_VALID, "weight 0: the Service is not exported".into()),
        };
    }
    let annotations = svc.metadata.annotations.clone().unwrap_or_default();
    let exported = Exported {
        ports: ports(svc),
        type_: Some(type_),
        is_dns_label_configured: annotations.get(SERVICE_AZURE_DNS_LABEL_NAME).is_some_and(|v| !v.is_empty()),
        is_internal_load_balancer: annotations.get(SERVICE_AZURE_LOAD_BALANCER_INTERNAL).is_some_and(|v| v == "true"),
        load_balancer_ingress: svc
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|l| l.ingress.clone())
            .unwrap_or_default(),
        weight,
    };
    Decision {
        action: Action::Export(exported),
        valid: (true, n::REASON_SERVICE_IS_VALID, "the Service is exported".into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service(v: serde_json::Value) -> Service {
        serde_json::from_value(v).unwrap()
    }

    fn lb() -> Service {
        service(json!({"metadata": {"name": "web", "annotations": {SERVICE_AZURE_DNS_LABEL_NAME: "fleet-a"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.2"}]}}}))
    }

    #[test]
    fn a_load_balancer_service_is_exported_with_its_address_and_weight() {
        let d = decide(Some(&lb()), Some("250"));
        assert_eq!(d.valid.1, n::REASON_SERVICE_IS_VALID);
        let Action::Export(e) = d.action else { panic!("{d:?}") };
        assert_eq!((e.weight, e.type_.as_deref(), e.is_dns_label_configured), (250, Some("LoadBalancer"), true));
        assert_eq!(e.load_balancer_ingress[0].ip.as_deref(), Some("127.0.0.2"));
        assert_eq!((e.ports[0].port, e.ports[0].protocol), (80, PortProtocol::Tcp));
        let Action::Export(e) = decide(Some(&lb()), None).action else { panic!() };
        assert_eq!(e.weight, DEFAULT_WEIGHT);
    }

    #[test]
    fn missing_headless_and_external_name_services_are_withdrawn() {
        assert_eq!(decide(None, None).valid.1, n::REASON_SERVICE_NOT_FOUND);
        let headless = service(json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}}));
        let external =
            service(json!({"metadata": {"name": "e"}, "spec": {"type": "ExternalName", "externalName": "x"}}));
        for s in [headless, external] {
            let d = decide(Some(&s), None);
            assert_eq!((d.action, d.valid.0, d.valid.1), (Action::Withdraw, false, n::REASON_SERVICE_INELIGIBLE));
        }
    }

    #[test]
    fn weight_zero_withdraws_and_a_bad_weight_keeps_the_current_export() {
        let d = decide(Some(&lb()), Some("0"));
        assert_eq!((d.action, d.valid.0), (Action::Withdraw, true));
        for bad in ["1001", "-1", "lots"] {
            let d = decide(Some(&lb()), Some(bad));
            assert_eq!(d.action, Action::Keep, "{bad}");
            assert_eq!((d.valid.0, d.valid.1), (false, n::REASON_SERVICE_EXPORT_INVALID_WEIGHT_ANNOTATION));
            assert!(d.valid.2.contains(SERVICE_EXPORT_WEIGHT), "{}", d.valid.2);
        }
    }
}
