//! A ServiceImport from the InternalServiceExports of one namespace/name,
//! across members: the ports are the earliest export's; an export whose ports
//! differ (compared as a whole list, fleet-networking's simplified KEP-1645)
//! conflicts, is left out of `clusters` and says so in its Conflict
//! condition. Pure.

use apis::{
    conditions::{self, networking as n},
    networking::{InternalServiceExport, ServiceImportStatus, ServicePort},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

/// One member's export, as the hub holds it.
#[derive(Clone, Debug)]
pub struct Export<'a> {
    pub cluster: &'a str,
    pub ports: &'a [ServicePort],
    /// When it was first exported (RFC 3339), for who came first; ties by cluster name.
    pub exported_since: String,
}

impl<'a> Export<'a> {
    pub fn of(i: &'a InternalServiceExport) -> Self {
        let r = &i.spec.service_reference;
        Export {
            cluster: &r.cluster_id,
            ports: &i.spec.ports,
            exported_since: r.exported_since.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
        }
    }
}

/// An export's Conflict condition, which its member copies to the ServiceExport.
pub fn conflict(conflicts: bool, import: &str, generation: Option<i64>) -> Condition {
    if conflicts {
        let m = format!("the Service's ports differ from those of ServiceImport {import}");
        conditions::new(n::SERVICE_EXPORT_CONFLICT, true, n::REASON_CONFLICT_FOUND, m, generation)
    } else {
        conditions::new(n::SERVICE_EXPORT_CONFLICT, false, n::REASON_NO_CONFLICT_FOUND, "no conflict found", generation)
    }
}

/// The import's status and, per export in input order, whether it conflicts.
pub fn import(exports: &[Export]) -> (ServiceImportStatus, Vec<bool>) {
    let first = exports.iter().min_by(|a, b| (&a.exported_since, a.cluster).cmp(&(&b.exported_since, b.cluster)));
    let Some(first) = first else { return (ServiceImportStatus::default(), vec![]) };
    let conflicts: Vec<bool> = exports.iter().map(|e| e.ports != first.ports).collect();
    let mut clusters: Vec<String> =
        exports.iter().zip(&conflicts).filter(|(_, c)| !**c).map(|(e, _)| e.cluster.to_string()).collect();
    clusters.sort();
    let status = ServiceImportStatus {
        ports: first.ports.to_vec(),
        clusters: clusters.into_iter().map(|cluster| apis::networking::ExportingCluster { cluster }).collect(),
        type_: Some(apis::networking::ServiceImportType::ClusterSetIP),
        ..Default::default()
    };
    (status, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(p: i32) -> Vec<ServicePort> {
        vec![ServicePort { name: None, protocol: Default::default(), app_protocol: None, port: p, target_port: None }]
    }

    #[test]
    fn the_earliest_export_sets_the_ports_and_a_different_one_conflicts() {
        let (p80, p81) = (port(80), port(81));
        let exports = [
            Export { cluster: "member-2", ports: &p81, exported_since: "2026-01-02T00:00:00Z".into() },
            Export { cluster: "member-1", ports: &p80, exported_since: "2026-01-01T00:00:00Z".into() },
            Export { cluster: "member-3", ports: &p80, exported_since: "2026-01-03T00:00:00Z".into() },
        ];
        let (status, conflicts) = import(&exports);
        assert_eq!(status.ports, p80);
        let clusters: Vec<&str> = status.clusters.iter().map(|c| c.cluster.as_str()).collect();
        assert_eq!(clusters, ["member-1", "member-3"]);
        assert_eq!(conflicts, [true, false, false]);
    }

    #[test]
    fn a_conflicting_export_names_the_import() {
        let c = conflict(true, "ns/web", Some(3));
        assert_eq!(
            (c.type_.as_str(), c.status.as_str(), c.reason.as_str()),
            (n::SERVICE_EXPORT_CONFLICT, "True", n::REASON_CONFLICT_FOUND)
        );
        assert!(c.message.contains("ServiceImport ns/web"), "{}", c.message);
        assert_eq!(c.observed_generation, Some(3));
        assert_eq!(conflict(false, "ns/web", None).reason, n::REASON_NO_CONFLICT_FOUND);
    }

    #[test]
    fn no_exports_no_import() {
        let (status, conflicts) = import(&[]);
        assert!(status.clusters.is_empty() && conflicts.is_empty());
    }
}
