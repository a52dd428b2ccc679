//! `networking.fleet.azure.com` types: the samples (including the migration
//! tutorial's manifests) parse with the documented defaults, objects survive a
//! serde round trip, and the CRDs carry the versions, names, printer columns,
//! ranges and CEL rules fleet-networking's do.

mod common;

use std::collections::BTreeSet;

use apis::networking::*;
use common::*;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{CustomResourceExt, Resource};
use serde_json::{Value, json};

const SERVICE_EXPORT: &str = include_str!("../../config/samples/networking_v1alpha1_serviceexport.yaml");
const PROFILE: &str = include_str!("../../config/samples/networking_v1alpha1_trafficmanagerprofile.yaml");
const PROFILE_FULL: &str = include_str!("../../config/samples/networking_v1beta1_trafficmanagerprofile.yaml");
const BACKEND: &str = include_str!("../../config/samples/networking_v1alpha1_trafficmanagerbackend.yaml");
const MCS: &str = include_str!("../../config/samples/networking_v1alpha1_multiclusterservice.yaml");

// --- samples ----------------------------------------------------------------

#[test]
fn tutorial_service_export_parses_and_has_no_spec() {
    assert_eq!(raw(SERVICE_EXPORT)["apiVersion"], "networking.fleet.azure.com/v1alpha1");
    let se: ServiceExport = parse(SERVICE_EXPORT);
    assert_eq!(se.metadata.name.as_deref(), Some("nginx-service"));
    assert_eq!(se.metadata.namespace.as_deref(), Some("test-app"));
    assert!(se.status.is_none());
    let v = round_trip(&se);
    assert!(v.get("spec").is_none(), "ServiceExport must not serialize a spec: {v}");
    assert_eq!(v["kind"], "ServiceExport");
    assert_eq!(v["apiVersion"], "networking.fleet.azure.com/v1beta1");
}

#[test]
fn tutorial_profile_needs_no_resource_group_and_gets_monitor_defaults() {
    assert_eq!(raw(PROFILE)["apiVersion"], "networking.fleet.azure.com/v1alpha1");
    let tmp: TrafficManagerProfile = parse(PROFILE);
    assert_eq!(tmp.metadata.name.as_deref(), Some("nginx-profile"));
    assert_eq!(tmp.metadata.namespace.as_deref(), Some("test-app"));
    assert_eq!(tmp.spec.resource_group, None);
    let mc = tmp.spec.monitor_config.clone().expect("monitorConfig is set");
    assert_eq!(mc.port, 80);
    assert_eq!(mc.protocol, MonitorProtocol::Http);
    assert_eq!(mc.path, "/");
    assert_eq!(mc.interval_in_seconds, 30);
    assert_eq!(mc.tolerated_number_of_failures, 3);
    assert!(mc.custom_headers.is_empty());
    assert_eq!(mc.timeout_in_seconds, None, "the timeout default depends on the interval");
    assert_eq!(mc.effective_timeout_in_seconds(), 10);
    let v = round_trip(&tmp);
    assert_eq!(v["spec"]["monitorConfig"]["protocol"], "HTTP");
    assert!(v["spec"].get("resourceGroup").is_none());
}

#[test]
fn full_profile_sample_keeps_every_monitor_field() {
    assert_eq!(raw(PROFILE_FULL)["apiVersion"], "networking.fleet.azure.com/v1beta1");
    let tmp: TrafficManagerProfile = parse(PROFILE_FULL);
    let mc = tmp.spec.monitor_config.clone().unwrap();
    assert_eq!(mc.protocol, MonitorProtocol::Https);
    assert_eq!(mc.port, 443);
    assert_eq!(mc.path, "/healthz");
    assert_eq!(mc.interval_in_seconds, 10);
    assert_eq!(mc.timeout_in_seconds, Some(9));
    assert_eq!(mc.tolerated_number_of_failures, 2);
    assert_eq!(
        mc.custom_headers,
        vec![MonitorConfigCustomHeader { name: "Host".into(), value: "nginx.example.com".into() }]
    );
    round_trip(&tmp);
}

#[test]
fn effective_monitor_config_fills_the_interval_dependent_timeout() {
    let spec = TrafficManagerProfileSpec::default();
    let mc = spec.effective_monitor_config();
    assert_eq!((mc.interval_in_seconds, mc.timeout_in_seconds), (30, Some(10)));
    assert_eq!((mc.port, mc.path.as_str(), mc.protocol), (80, "/", MonitorProtocol::Http));

    let fast: MonitorConfig = serde_json::from_value(json!({"intervalInSeconds": 10})).unwrap();
    assert_eq!(fast.effective_timeout_in_seconds(), 9);
    let spec = TrafficManagerProfileSpec { resource_group: None, monitor_config: Some(fast) };
    assert_eq!(spec.effective_monitor_config().timeout_in_seconds, Some(9));

    let explicit: MonitorConfig =
        serde_json::from_value(json!({"intervalInSeconds": 10, "timeoutInSeconds": 6})).unwrap();
    assert_eq!(explicit.effective_timeout_in_seconds(), 6);
}

#[test]
fn tutorial_backend_parses() {
    assert_eq!(raw(BACKEND)["apiVersion"], "networking.fleet.azure.com/v1alpha1");
    let tmb: TrafficManagerBackend = parse(BACKEND);
    assert_eq!(tmb.metadata.name.as_deref(), Some("nginx-backend"));
    assert_eq!(tmb.spec.profile.name, "nginx-profile");
    assert_eq!(tmb.spec.backend.name, "nginx-service");
    assert_eq!(tmb.spec.weight, 100);
    round_trip(&tmb);
}

#[test]
fn backend_weight_defaults_to_one() {
    let tmb: TrafficManagerBackend = serde_json::from_value(json!({
        "apiVersion": "networking.fleet.azure.com/v1beta1",
        "kind": "TrafficManagerBackend",
        "metadata": {"name": "b", "namespace": "ns"},
        "spec": {"profile": {"name": "p"}, "backend": {"name": "svc"}},
    }))
    .unwrap();
    assert_eq!(tmb.spec.weight, 1);
}

#[test]
fn backend_status_uses_from_not_the_old_cluster_field() {
    let status: TrafficManagerBackendStatus = serde_json::from_value(json!({
        "endpoints": [{
            "name": "fleet-uid#nginx-service#member-1",
            "resourceID": "/subscriptions/s/x",
            "weight": 100,
            "target": "fleet-test-member-1.example.net",
            "from": {"cluster": "member-1", "weight": 3},
        }],
    }))
    .unwrap();
    let ep = &status.endpoints[0];
    assert_eq!(ep.resource_id.as_deref(), Some("/subscriptions/s/x"));
    assert_eq!(ep.weight, Some(100));
    assert_eq!(ep.from, Some(FromCluster { cluster: "member-1".into(), weight: Some(3) }));
    let v = round_trip(&status);
    assert!(v["endpoints"][0].get("resourceId").is_none());
    assert_eq!(v["endpoints"][0]["resourceID"], "/subscriptions/s/x");
}

#[test]
fn multi_cluster_service_sample_parses() {
    assert_eq!(raw(MCS)["apiVersion"], "networking.fleet.azure.com/v1alpha1");
    let mcs: MultiClusterService = parse(MCS);
    assert_eq!(mcs.spec.service_import.name, "nginx-service");
    round_trip(&mcs);
}

// --- other kinds ----------------------------------------------------------------

fn reference(kind: &str) -> Value {
    json!({
        "clusterId": "member-1", "apiVersion": "v1", "kind": kind, "namespace": "test-app",
        "name": "nginx-service", "resourceVersion": "42", "generation": 3, "uid": "u-1",
        "namespacedName": "test-app/nginx-service", "exportedSince": "2024-12-06T08:55:45Z",
    })
}

#[test]
fn internal_service_export_round_trips_with_upstream_field_names() {
    let ise: InternalServiceExport = serde_json::from_value(json!({
        "apiVersion": "networking.fleet.azure.com/v1alpha1",
        "kind": "InternalServiceExport",
        "metadata": {"name": "test-app-nginx-service", "namespace": "fleet-member-member-1"},
        "spec": {
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}],
            "serviceReference": reference("Service"),
            "type": "LoadBalancer",
            "isDNSLabelConfigured": true,
            "isInternalLoadBalancer": false,
            "publicIPResourceID": "/subscriptions/s/publicIPAddresses/pip",
            "weight": 0,
            "loadBalancerIngress": [{"ip": "203.0.113.7"}],
        },
    }))
    .unwrap();
    let s = &ise.spec;
    assert_eq!(s.ports[0].protocol, PortProtocol::Tcp, "protocol defaults to TCP");
    assert_eq!(s.ports[0].target_port, Some(IntOrString::Int(8080)));
    assert_eq!(s.ports[1].protocol, PortProtocol::Udp);
    assert_eq!(s.ports[1].target_port, Some(IntOrString::String("dns".into())));
    assert_eq!(s.service_reference.cluster_id, "member-1");
    assert_eq!(s.service_reference.generation, 3);
    assert!(s.service_reference.exported_since.is_some());
    assert_eq!(s.type_.as_deref(), Some("LoadBalancer"));
    assert!(s.is_dns_label_configured);
    assert_eq!(s.weight, Some(0), "weight 0 is kept, not dropped as unset");
    assert_eq!(s.load_balancer_ingress[0].ip.as_deref(), Some("203.0.113.7"));
    let v = round_trip(&ise);
    assert_eq!(v["spec"]["isDNSLabelConfigured"], true);
    assert_eq!(v["spec"]["publicIPResourceID"], "/subscriptions/s/publicIPAddresses/pip");
    assert_eq!(v["spec"]["serviceReference"]["clusterId"], "member-1");
    assert_eq!(v["spec"]["ports"][0]["protocol"], "TCP");
}

#[test]
fn service_import_and_internal_service_import_share_a_status() {
    let status = json!({
        "ips": ["10.0.0.9"],
        "type": "ClusterSetIP",
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
        "ports": [{"port": 80, "protocol": "SCTP", "appProtocol": "http"}],
        "clusters": [{"cluster": "member-1"}, {"cluster": "member-2"}],
    });
    let si: ServiceImport = serde_json::from_value(json!({
        "apiVersion": "networking.fleet.azure.com/v1alpha1", "kind": "ServiceImport",
        "metadata": {"name": "nginx-service", "namespace": "test-app"},
        "status": status,
    }))
    .unwrap();
    let st = si.status.clone().unwrap();
    assert_eq!(st.type_, Some(ServiceImportType::ClusterSetIP));
    assert_eq!(st.ports[0].protocol, PortProtocol::Sctp);
    assert_eq!(st.clusters.iter().map(|c| c.cluster.as_str()).collect::<Vec<_>>(), ["member-1", "member-2"]);
    let v = round_trip(&si);
    assert!(v.get("spec").is_none());
    assert_eq!(v["status"], status);

    let isi: InternalServiceImport = serde_json::from_value(json!({
        "apiVersion": "networking.fleet.azure.com/v1alpha1", "kind": "InternalServiceImport",
        "metadata": {"name": "test-app-nginx-service", "namespace": "fleet-member-member-1"},
        "spec": {"serviceImportReference": reference("ServiceImport")},
        "status": status,
    }))
    .unwrap();
    assert_eq!(isi.status.as_ref(), Some(&st));
    assert_eq!(isi.spec.service_import_reference.kind, "ServiceImport");
    round_trip(&isi);
}

// --- CRDs -------------------------------------------------------------------

const KINDS: [(&str, &str, &str); 7] = [
    ("ServiceExport", "serviceexports", "svcexport"),
    ("InternalServiceExport", "internalserviceexports", "internalsvcexport"),
    ("ServiceImport", "serviceimports", "svcimport"),
    ("InternalServiceImport", "internalserviceimports", "internalsvcimport"),
    ("MultiClusterService", "multiclusterservices", "mcs"),
    ("TrafficManagerProfile", "trafficmanagerprofiles", "tmp"),
    ("TrafficManagerBackend", "trafficmanagerbackends", "tmb"),
];

#[test]
fn every_kind_is_served_as_v1alpha1_and_v1beta1_and_stored_as_v1beta1() {
    assert_eq!(crds().len(), 7);
    for (kind, plural, short) in KINDS {
        let crd = crd(kind);
        assert_eq!(crd.spec.group, GROUP);
        assert_eq!(crd.spec.scope, "Namespaced", "{kind}");
        assert_eq!(crd.spec.names.plural, plural);
        assert_eq!(crd.spec.names.short_names.as_deref(), Some(&[short.to_string()][..]), "{kind}");
        assert_eq!(crd.spec.names.categories.as_deref(), Some(&["fleet-networking".to_string()][..]), "{kind}");
        let versions: Vec<_> = crd.spec.versions.iter().map(|v| (v.name.as_str(), v.served, v.storage)).collect();
        assert_eq!(versions, [("v1alpha1", true, false), ("v1beta1", true, true)], "{kind}");
        let (a, b) = (&crd.spec.versions[0], &crd.spec.versions[1]);
        assert_eq!(a.schema, b.schema, "{kind}: both versions share a schema");
        assert_eq!(a.additional_printer_columns, b.additional_printer_columns, "{kind}");
        assert!(b.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "{kind} has a status subresource");
    }
}

#[test]
fn member_clusters_get_the_user_facing_kinds() {
    let kinds: BTreeSet<_> = member_crds().into_iter().map(|c| c.spec.names.kind).collect();
    assert_eq!(kinds, BTreeSet::from(["MultiClusterService".into(), "ServiceExport".into(), "ServiceImport".into()]));
    let all: BTreeSet<_> = apis::crd::member().into_iter().map(|c| c.spec.names.kind).collect();
    assert!(kinds.is_subset(&all));
}

#[test]
fn rust_types_are_the_storage_version() {
    assert_eq!(TrafficManagerProfile::api_version(&()), "networking.fleet.azure.com/v1beta1");
    assert_eq!(ServiceExport::crd().spec.versions[0].name, apis::crd::STORAGE_VERSION);
}

#[test]
fn printer_columns_match_fleet_networking() {
    let age = ("Age", "date", ".metadata.creationTimestamp", 0);
    assert_eq!(
        columns("TrafficManagerProfile"),
        cols(&[
            ("DNS-Name", "string", ".status.dnsName", 0),
            ("Is-Programmed", "string", ".status.conditions[?(@.type=='Programmed')].status", 0),
            age,
        ])
    );
    assert_eq!(
        columns("TrafficManagerBackend"),
        cols(&[
            ("Profile", "string", ".spec.profile.name", 0),
            ("Backend", "string", ".spec.backend.name", 0),
            ("Is-Accepted", "string", ".status.conditions[?(@.type=='Accepted')].status", 0),
            age,
        ])
    );
    assert_eq!(
        columns("ServiceExport"),
        cols(&[
            ("Is-Valid", "string", ".status.conditions[?(@.type=='Valid')].status", 0),
            ("Is-Conflicted", "string", ".status.conditions[?(@.type=='Conflict')].status", 0),
            age,
        ])
    );
    assert_eq!(
        columns("MultiClusterService"),
        cols(&[
            ("Service-Import", "string", ".spec.serviceImport.name", 0),
            ("External-IP", "string", ".status.loadBalancer.ingress[0].ip", 0),
            ("Is-Valid", "string", ".status.conditions[?(@.type=='Valid')].status", 0),
            age,
        ])
    );
    for kind in ["ServiceImport", "InternalServiceImport", "InternalServiceExport"] {
        assert!(columns(kind).is_empty(), "{kind} has no printer columns upstream");
    }
}

#[test]
fn schemas_are_structural() {
    for (kind, ..) in KINDS {
        assert_structural(kind, &schema(kind));
        // The typed schema must also be valid JSONSchemaProps (it round-trips).
        let _: JSONSchemaProps = serde_json::from_value(schema(kind)).unwrap();
    }
}

#[test]
fn no_spec_kinds_have_no_spec_in_their_schema() {
    for kind in ["ServiceExport", "ServiceImport"] {
        let s = schema(kind);
        assert!(s["properties"].get("spec").is_none(), "{kind}");
        assert!(!s["required"].as_array().is_some_and(|r| r.contains(&json!("spec"))), "{kind}");
    }
    for kind in [
        "InternalServiceExport",
        "InternalServiceImport",
        "MultiClusterService",
        "TrafficManagerProfile",
        "TrafficManagerBackend",
    ] {
        assert!(schema(kind)["required"].as_array().unwrap().contains(&json!("spec")), "{kind}");
    }
}

#[test]
fn name_length_rule_is_on_the_kinds_upstream_puts_it_on() {
    let rule = ("size(self.metadata.name) < 64".to_string(), "metadata.name max length is 63".to_string());
    for kind in
        ["ServiceExport", "ServiceImport", "MultiClusterService", "TrafficManagerProfile", "TrafficManagerBackend"]
    {
        assert!(rules(&schema(kind)).contains(&rule), "{kind}");
    }
    for kind in ["InternalServiceExport", "InternalServiceImport"] {
        assert!(rules(&schema(kind)).is_empty(), "{kind}");
    }
}

#[test]
fn profile_schema_defaults_ranges_and_rules() {
    let s = schema("TrafficManagerProfile");
    let spec = at(&s, "spec");
    assert!(spec.get("required").is_none(), "resourceGroup and monitorConfig are optional: {spec}");
    let rg = at(&s, "spec.resourceGroup");
    assert_eq!(rg["maxLength"], 90);
    assert!(rg.get("minLength").is_none());
    assert_eq!(rules(rg), [("self == oldSelf".into(), "resourceGroup is immutable".into())]);
    assert_eq!(
        rules(spec),
        [(
            "!has(oldSelf.resourceGroup) || has(self.resourceGroup)".into(),
            "resourceGroup cannot be removed once set".into()
        )]
    );

    let mc = at(&s, "spec.monitorConfig");
    assert!(mc.get("default").is_none(), "upstream does not default monitorConfig itself");
    assert_eq!(at(&s, "spec.monitorConfig.protocol")["default"], "HTTP");
    assert_eq!(at(&s, "spec.monitorConfig.protocol")["enum"], json!(["HTTP", "HTTPS", "TCP"]));
    assert_eq!(at(&s, "spec.monitorConfig.port")["default"], 80);
    assert_eq!(at(&s, "spec.monitorConfig.port")["minimum"].as_f64(), Some(1.0));
    assert_eq!(at(&s, "spec.monitorConfig.port")["maximum"].as_f64(), Some(65535.0));
    assert_eq!(at(&s, "spec.monitorConfig.path")["default"], "/");
    assert_eq!(at(&s, "spec.monitorConfig.intervalInSeconds")["default"], 30);
    assert_eq!(at(&s, "spec.monitorConfig.intervalInSeconds")["enum"], json!([10, 30]));
    let timeout = at(&s, "spec.monitorConfig.timeoutInSeconds");
    assert!(timeout.get("default").is_none(), "the timeout default depends on the interval");
    assert_eq!((timeout["minimum"].as_f64(), timeout["maximum"].as_f64()), (Some(5.0), Some(10.0)));
    let tolerated = at(&s, "spec.monitorConfig.toleratedNumberOfFailures");
    assert_eq!(tolerated["default"], 3);
    assert_eq!((tolerated["minimum"].as_f64(), tolerated["maximum"].as_f64()), (Some(0.0), Some(9.0)));
    let headers = at(&s, "spec.monitorConfig.customHeaders");
    assert_eq!(headers["maxItems"], 8);
    assert_eq!(headers["x-kubernetes-list-type"], "map");
    assert_eq!(headers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(headers["items"]["required"], json!(["name", "value"]));

    let mc_rules = rules(mc);
    let messages: Vec<_> = mc_rules.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "timeoutInSeconds must be between 5 and 10 when intervalInSeconds is 30",
            "timeoutInSeconds must be between 5 and 9 when intervalInSeconds is 10",
        ]
    );
    assert!(
        mc_rules[0].0.contains("self.intervalInSeconds != 30") && mc_rules[0].0.contains("self.timeoutInSeconds <= 10")
    );
    assert!(
        mc_rules[1].0.contains("self.intervalInSeconds != 10") && mc_rules[1].0.contains("self.timeoutInSeconds <= 9")
    );

    let status = at(&s, "status");
    for f in ["dnsName", "resourceID", "conditions"] {
        assert!(status["properties"].get(f).is_some(), "status.{f}");
    }
    assert_eq!(at(&s, "status.conditions")["x-kubernetes-list-map-keys"], json!(["type"]));
}

#[test]
fn backend_schema_weight_range_and_immutable_refs() {
    let s = schema("TrafficManagerBackend");
    let w = at(&s, "spec.weight");
    assert_eq!(w["default"], 1);
    assert_eq!((w["minimum"].as_f64(), w["maximum"].as_f64()), (Some(0.0), Some(1000.0)));
    assert_eq!(at(&s, "spec")["required"], json!(["backend", "profile"]));
    assert_eq!(rules(at(&s, "spec.profile")), [("self == oldSelf".into(), "spec.profile is immutable".into())]);
    assert_eq!(rules(at(&s, "spec.backend")), [("self == oldSelf".into(), "spec.backend is immutable".into())]);
    let ep = at(&s, "status.endpoints.[]");
    assert_eq!(ep["required"], json!(["name"]));
    for f in ["name", "resourceID", "weight", "target", "from"] {
        assert!(ep["properties"].get(f).is_some(), "endpoint.{f}");
    }
    assert!(ep["properties"].get("cluster").is_none(), "the pre-v1beta1 `cluster` field is gone");
    assert_eq!(at(&s, "status.endpoints.[].from")["required"], json!(["cluster"]));
}

#[test]
fn service_port_and_import_schema() {
    let s = schema("ServiceImport");
    let port = at(&s, "status.ports.[]");
    assert_eq!(port["required"], json!(["port"]));
    assert_eq!(at(&s, "status.ports.[].protocol")["enum"], json!(["TCP", "UDP", "SCTP"]));
    assert_eq!(at(&s, "status.ports.[].protocol")["default"], "TCP");
    let p = at(&s, "status.ports.[].port");
    assert_eq!((p["minimum"].as_f64(), p["maximum"].as_f64()), (Some(1.0), Some(65535.0)));
    assert_eq!(at(&s, "status.ports.[].targetPort")["x-kubernetes-int-or-string"], true);
    assert_eq!(at(&s, "status.ports")["x-kubernetes-list-type"], "atomic");
    assert_eq!(at(&s, "status.ips")["maxItems"], 1);
    assert_eq!(at(&s, "status.type")["enum"], json!(["ClusterSetIP", "Headless"]));
    assert_eq!(at(&s, "status.clusters")["x-kubernetes-list-map-keys"], json!(["cluster"]));
    assert_eq!(schema("InternalServiceImport")["properties"]["status"], s["properties"]["status"]);

    let ise = schema("InternalServiceExport");
    assert_eq!(at(&ise, "spec")["required"], json!(["ports", "serviceReference"]));
    let r = at(&ise, "spec.serviceReference");
    assert_eq!(r["x-kubernetes-map-type"], "atomic");
    assert_eq!(
        r["required"],
        json!(["clusterId", "generation", "kind", "name", "namespace", "namespacedName", "resourceVersion", "uid"])
    );
    for f in [
        "type",
        "isDNSLabelConfigured",
        "isInternalLoadBalancer",
        "publicIPResourceID",
        "weight",
        "loadBalancerIngress",
    ] {
        assert!(at(&ise, "spec")["properties"].get(f).is_some(), "spec.{f}");
    }
}

#[test]
fn multi_cluster_service_name_is_a_dns_1035_label() {
    let s = schema("MultiClusterService");
    let name = at(&s, "spec.serviceImport.name");
    assert_eq!(name["maxLength"], 63);
    assert_eq!(name["pattern"], "^([a-z]([-a-z0-9]*[a-z0-9])?)$");
    assert!(at(&s, "status.loadBalancer.ingress").is_object());
    assert_eq!(at(&s, "status.conditions")["x-kubernetes-list-type"], "map");
}

#[test]
fn constants_are_the_upstream_strings() {
    use apis::{conditions::networking as c, finalizers, labels};
    assert_eq!(labels::SERVICE_EXPORT_WEIGHT, "networking.fleet.azure.com/weight");
    assert_eq!(
        labels::MULTI_CLUSTER_SERVICE_AZURE_LOAD_BALANCER_INTERNAL,
        "networking.fleet.azure.com/azure-load-balancer-internal"
    );
    assert_eq!(labels::SERVICE_AZURE_DNS_LABEL_NAME, "service.beta.kubernetes.io/azure-dns-label-name");
    assert!(labels::SERVICE_EXPORT_WEIGHT.starts_with(labels::NETWORKING_PREFIX));
    assert_eq!(
        finalizers::TRAFFIC_MANAGER_PROFILE_CLEANUP,
        "networking.fleet.azure.com/traffic-manager-profile-cleanup"
    );
    assert_eq!(
        finalizers::TRAFFIC_MANAGER_BACKEND_CLEANUP,
        "networking.fleet.azure.com/traffic-manager-backend-cleanup"
    );
    assert_eq!(finalizers::METRICS_CLEANUP, "networking.fleet.azure.com/metrics-cleanup");
    assert_eq!((c::SERVICE_EXPORT_VALID, c::SERVICE_EXPORT_CONFLICT), ("Valid", "Conflict"));
    assert_eq!(c::TRAFFIC_MANAGER_PROFILE_PROGRAMMED, "Programmed");
    assert_eq!(c::TRAFFIC_MANAGER_BACKEND_ACCEPTED, "Accepted");
    assert_eq!(c::REASON_PROFILE_DNS_NAME_NOT_AVAILABLE, "DNSNameNotAvailable");
    assert_eq!(c::REASON_SERVICE_EXPORT_INVALID_WEIGHT_ANNOTATION, "ServiceExportInvalidWeightAnnotation");
    // The printer columns read the condition types defined here.
    assert!(columns("TrafficManagerProfile")[1].2.contains(c::TRAFFIC_MANAGER_PROFILE_PROGRAMMED));
    assert!(columns("TrafficManagerBackend")[2].2.contains(c::TRAFFIC_MANAGER_BACKEND_ACCEPTED));
}
