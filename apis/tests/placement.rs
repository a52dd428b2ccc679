//! `placement.kubernetes-fleet.io` types: the samples (including the seed
//! tutorial's placement and override) parse with KubeFleet's defaults, objects
//! survive a serde round trip without losing or renaming a field, and the CRDs
//! carry KubeFleet's versions, names, printer columns, defaults, ranges and
//! CEL rules. The rules themselves are exercised against a real API server by
//! the integration tests.

mod common;

use std::collections::BTreeSet;

use apis::placement::*;
use common::*;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::{CustomResourceExt, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const CRP: &str = include_str!("../../config/samples/placement_v1_clusterresourceplacement.yaml");
const CRP_PICK_N: &str = include_str!("../../config/samples/placement_v1_clusterresourceplacement_pickn.yaml");
const CRP_PICK_FIXED: &str = include_str!("../../config/samples/placement_v1_clusterresourceplacement_pickfixed.yaml");
const RP: &str = include_str!("../../config/samples/placement_v1_resourceplacement.yaml");
const RO: &str = include_str!("../../config/samples/placement_v1alpha1_resourceoverride.yaml");
const CRO: &str = include_str!("../../config/samples/placement_v1_clusterresourceoverride.yaml");
const RE: &str = include_str!("../../config/samples/placement_v1beta1_resourceenvelope.yaml");
const CRE: &str = include_str!("../../config/samples/placement_v1beta1_clusterresourceenvelope.yaml");
const EVICTION: &str = include_str!("../../config/samples/placement_v1beta1_clusterresourceplacementeviction.yaml");
const BUDGET: &str =
    include_str!("../../config/samples/placement_v1beta1_clusterresourceplacementdisruptionbudget.yaml");

/// Every field of `want` is in `got` with the same value (`got` may add
/// defaults); `apiVersion` is skipped, as the Rust types write the storage version.
fn assert_contains(path: &str, want: &Value, got: &Value) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                if path.is_empty() && k == "apiVersion" {
                    continue;
                }
                let gv = g.get(k).unwrap_or_else(|| panic!("{path}.{k} is lost in the round trip: {got}"));
                assert_contains(&format!("{path}.{k}"), wv, gv);
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            assert_eq!(w.len(), g.len(), "{path}: length");
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                assert_contains(&format!("{path}[{i}]"), wv, gv);
            }
        }
        _ => assert_eq!(want, got, "{path}"),
    }
}

/// Parses a sample as `K`, round-trips it, and checks no field of the sample is lost.
fn sample<K: serde::Serialize + DeserializeOwned>(yaml: &str) -> (K, Value) {
    let k: K = parse(yaml);
    let v = round_trip(&k);
    assert_contains("", &raw(yaml), &v);
    (k, v)
}

// --- samples ----------------------------------------------------------------

#[test]
fn seed_placement_parses_with_kubefleet_defaults() {
    assert_eq!(raw(CRP)["apiVersion"], "placement.kubernetes-fleet.io/v1");
    let (crp, v): (ClusterResourcePlacement, _) = sample(CRP);
    assert_eq!(crp.metadata.name.as_deref(), Some("crp-availability"));
    let sel = &crp.spec.resource_selectors;
    assert_eq!(sel.len(), 1);
    assert_eq!((sel[0].group.as_str(), sel[0].version.as_str(), sel[0].kind.as_str()), ("", "v1", "Namespace"));
    assert_eq!(sel[0].name, "test-app");
    assert_eq!(sel[0].label_selector, None);
    assert_eq!(sel[0].selection_scope, SelectionScope::NamespaceWithResources);
    let policy = crp.spec.policy.as_ref().expect("policy");
    assert_eq!(policy.placement_type, PlacementType::PickAll);
    assert_eq!(policy.number_of_clusters, None);
    assert!(policy.cluster_names.is_empty() && policy.tolerations.is_empty());
    assert_eq!(crp.spec.revision_history_limit, 10);
    assert_eq!(crp.spec.strategy.type_, RolloutStrategyType::RollingUpdate);
    assert_eq!(crp.spec.strategy.rolling_update, None);
    assert_eq!(crp.spec.status_reporting_scope, StatusReportingScope::ClusterScopeOnly);
    assert!(crp.status.is_none());
    // The shared spec is flattened: no `placement` level on the wire.
    assert!(v["spec"].get("placement").is_none(), "{v}");
    assert_eq!(v["spec"]["policy"]["placementType"], "PickAll");
    assert_eq!(v["spec"]["strategy"], json!({"type": "RollingUpdate"}));
    assert_eq!(v["kind"], "ClusterResourcePlacement");
    assert_eq!(v["apiVersion"], "placement.kubernetes-fleet.io/v1beta1");
}

#[test]
fn seed_override_parses() {
    assert_eq!(raw(RO)["apiVersion"], "placement.kubernetes-fleet.io/v1alpha1");
    let (ro, v): (ResourceOverride, _) = sample(RO);
    assert_eq!(ro.metadata.name.as_deref(), Some("ro-nginx-service"));
    assert_eq!(ro.metadata.namespace.as_deref(), Some("test-app"));
    assert_eq!(ro.spec.placement, None);
    assert_eq!(
        ro.spec.resource_selectors,
        [ResourceSelector {
            group: "".into(),
            version: "v1".into(),
            kind: "Service".into(),
            name: "nginx-service".into()
        }]
    );
    let rule = &ro.spec.policy.override_rules[0];
    assert_eq!(ro.spec.policy.override_rules.len(), 1);
    assert_eq!(rule.override_type, OverrideType::JsonPatch);
    let terms = &rule.cluster_selector.as_ref().unwrap().cluster_selector_terms;
    let labels = terms[0].label_selector.as_ref().unwrap().match_labels.as_ref().unwrap();
    assert_eq!(labels.get("cluster-name").map(String::as_str), Some("member-1"));
    let patch = &rule.json_patch_overrides[0];
    assert_eq!(patch.op, JsonPatchOverrideOperator::Add);
    assert_eq!(patch.path, "/metadata/annotations");
    assert_eq!(patch.value, Some(json!({"service.beta.kubernetes.io/azure-dns-label-name": "fleet-test-member-1"})));
    assert_eq!(v["spec"]["policy"]["overrideRules"][0]["overrideType"], "JSONPatch");
    assert_eq!(v["spec"]["policy"]["overrideRules"][0]["jsonPatchOverrides"][0]["op"], "add");
}

#[test]
fn pick_n_sample_keeps_affinity_topology_tolerations_and_strategy() {
    let (crp, v): (ClusterResourcePlacement, _) = sample(CRP_PICK_N);
    assert_eq!(crp.spec.resource_selectors[0].name, "", "selected by label");
    assert!(crp.spec.resource_selectors[0].label_selector.is_some());
    let p = crp.spec.policy.as_ref().unwrap();
    assert_eq!(p.placement_type, PlacementType::PickN);
    assert_eq!(p.number_of_clusters, Some(2));
    let aff = p.affinity.as_ref().unwrap().cluster_affinity.as_ref().unwrap();
    let req = &aff.required_during_scheduling_ignored_during_execution.as_ref().unwrap().cluster_selector_terms[0];
    let expr = &req.property_selector.as_ref().unwrap().match_expressions[0];
    assert_eq!(expr.name, "kubernetes-fleet.io/node-count");
    assert_eq!(expr.operator, PropertySelectorOperator::Ge);
    assert_eq!(expr.values, ["3"]);
    assert!(req.label_selector.is_some());
    let pref = &aff.preferred_during_scheduling_ignored_during_execution[0];
    assert_eq!(pref.weight, 50);
    let sorter = pref.preference.property_sorter.as_ref().unwrap();
    assert_eq!(sorter.sort_order, PropertySortOrder::Descending);
    assert_eq!(sorter.name, apis::cluster::properties::AVAILABLE_CPU);
    let tsc = &p.topology_spread_constraints[0];
    assert_eq!((tsc.max_skew, tsc.topology_key.as_str()), (1, "region"));
    assert_eq!(tsc.when_unsatisfiable, UnsatisfiableConstraintAction::ScheduleAnyway);
    let tol = &p.tolerations[0];
    assert_eq!((tol.key.as_str(), tol.operator, tol.value.as_str()), ("maintenance", TolerationOperator::Exists, ""));
    assert_eq!(tol.effect, Some(apis::cluster::TaintEffect::NoSchedule));
    let ru = crp.spec.strategy.rolling_update.as_ref().unwrap();
    assert_eq!(ru.max_unavailable, IntOrString::Int(1));
    assert_eq!(ru.max_surge, IntOrString::String("50%".into()));
    assert_eq!(ru.unavailable_period_seconds, 30);
    let apply = crp.spec.strategy.apply_strategy.as_ref().unwrap();
    assert_eq!(apply.type_, ApplyStrategyType::ServerSideApply);
    assert_eq!(apply.server_side_apply_config, Some(ServerSideApplyConfig { force_conflicts: true }));
    assert_eq!(apply.when_to_take_over, WhenToTakeOverType::IfNoDiff);
    assert_eq!(apply.comparison_option, ComparisonOptionType::PartialComparison, "default");
    assert_eq!(apply.when_to_apply, WhenToApplyType::Always, "default");
    assert!(!apply.allow_co_ownership);
    assert_eq!(crp.spec.revision_history_limit, 5);
    assert_eq!(v["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 1);
    assert_eq!(v["spec"]["strategy"]["applyStrategy"]["serverSideApplyConfig"]["force"], true);
    assert!(v["spec"]["strategy"]["applyStrategy"].get("allowCoOwnership").is_none());
}

#[test]
fn pick_fixed_sample_parses() {
    let (crp, _): (ClusterResourcePlacement, _) = sample(CRP_PICK_FIXED);
    let p = crp.spec.policy.as_ref().unwrap();
    assert_eq!(p.placement_type, PlacementType::PickFixed);
    assert_eq!(p.cluster_names, ["member-1", "member-2"]);
    assert_eq!(p.affinity, None);
    let ds = crp.spec.strategy.delete_strategy.as_ref().unwrap();
    assert_eq!(ds.propagation_policy, DeletePropagationPolicy::Abandon);
    assert_eq!(crp.spec.strategy.type_, RolloutStrategyType::RollingUpdate);
}

#[test]
fn resource_placement_sample_parses_in_its_namespace() {
    let (rp, _): (ResourcePlacement, _) = sample(RP);
    assert_eq!(rp.metadata.namespace.as_deref(), Some("test-app"));
    assert_eq!(rp.spec.resource_selectors[0].kind, "ConfigMap");
    let apply = rp.spec.strategy.apply_strategy.as_ref().unwrap();
    assert_eq!(apply.type_, ApplyStrategyType::ReportDiff);
    assert_eq!(apply.comparison_option, ComparisonOptionType::FullComparison);
    assert_eq!(apply.when_to_take_over, WhenToTakeOverType::Always, "default");
}

#[test]
fn cluster_override_sample_uses_the_cluster_name_variable() {
    let (cro, _): (ClusterResourceOverride, _) = sample(CRO);
    let placement = cro.spec.placement.as_ref().unwrap();
    assert_eq!(placement.name, "crp-nginx-reader");
    assert_eq!(placement.scope, ResourceScope::Cluster, "default");
    assert_eq!(cro.spec.cluster_resource_selectors[0].kind, "ClusterRole");
    assert_eq!(cro.spec.cluster_resource_selectors[0].name, "nginx-reader");
    let patch = &cro.spec.policy.override_rules[0].json_patch_overrides[0];
    assert_eq!(patch.path, "/metadata/labels");
    assert_eq!(patch.value, Some(json!({"placed-on": OVERRIDE_CLUSTER_NAME_VARIABLE})));
    assert_eq!(OVERRIDE_CLUSTER_NAME_VARIABLE, "${MEMBER-CLUSTER-NAME}");
}

#[test]
fn envelope_samples_keep_their_objects_at_the_top_level() {
    let (re, v): (ResourceEnvelope, _) = sample(RE);
    assert_eq!(re.metadata.namespace.as_deref(), Some("test-app"));
    let d = &re.spec.data["nginx-deployment.yaml"];
    assert_eq!(d["kind"], "Deployment");
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.16.1");
    assert!(v.get("spec").is_none(), "an envelope has no spec: {v}");
    assert_eq!(v["data"]["nginx-deployment.yaml"]["spec"]["replicas"], 2);

    let (cre, v): (ClusterResourceEnvelope, _) = sample(CRE);
    assert_eq!(cre.metadata.namespace, None);
    assert_eq!(cre.spec.data["webhook.yaml"]["kind"], "ValidatingWebhookConfiguration");
    assert!(v.get("spec").is_none());
}

#[test]
fn eviction_and_budget_samples_target_the_seed_placement() {
    let (ev, _): (ClusterResourcePlacementEviction, _) = sample(EVICTION);
    assert_eq!(ev.spec.placement_name, "crp-availability");
    assert_eq!(ev.spec.cluster_name, "member-1");
    let (db, v): (ClusterResourcePlacementDisruptionBudget, _) = sample(BUDGET);
    assert_eq!(db.metadata.name.as_deref(), Some("crp-availability"), "a budget is named after its placement");
    assert_eq!(db.spec.min_available, Some(IntOrString::Int(1)));
    assert_eq!(db.spec.max_unavailable, None);
    assert!(v["spec"].get("maxUnavailable").is_none());
}

// --- controller-written kinds -------------------------------------------------

#[test]
fn placement_status_round_trips_with_upstream_field_names() {
    let status = json!({
        "selectedResources": [
            {"kind": "Namespace", "name": "test-app", "version": "v1"},
            {"group": "apps", "kind": "Deployment", "name": "nginx", "namespace": "test-app", "version": "v1",
             "envelope": {"name": "nginx-envelope", "namespace": "test-app", "type": "ResourceEnvelope"}},
        ],
        "observedResourceIndex": "11",
        "placementStatuses": [{
            "clusterName": "member-1",
            "observedResourceIndex": "11",
            "applicableResourceOverrides": [{"name": "ro-nginx-service-9", "namespace": "test-app"}],
            "applicableClusterResourceOverrides": ["cro-1-0"],
            "failedPlacements": [{"kind": "Service", "name": "nginx-service", "namespace": "test-app", "version": "v1",
                "condition": {"type": "Available", "status": "False", "reason": "ManifestNotAvailableYet", "message": "",
                              "lastTransitionTime": "2024-12-06T08:55:46Z"}}],
            "driftedPlacements": [{"kind": "ConfigMap", "name": "c", "version": "v1", "observationTime": "2024-12-06T08:55:46Z",
                "targetClusterObservedGeneration": 2, "firstDriftedObservedTime": "2024-12-06T08:50:00Z",
                "observedDrifts": [{"path": "/data/k", "valueInMember": "x", "valueInHub": "y"}]}],
            "diffedPlacements": [{"kind": "ConfigMap", "name": "d", "version": "v1", "observationTime": "2024-12-06T08:55:46Z",
                "targetClusterObservedGeneration": null, "firstDiffedObservedTime": "2024-12-06T08:50:00Z"}],
            "conditions": [{"type": "Scheduled", "status": "True", "reason": "Scheduled", "message": "picked",
                            "observedGeneration": 3, "lastTransitionTime": "2024-12-06T08:55:45Z"}],
        }],
        "conditions": [{"type": "ClusterResourcePlacementScheduled", "status": "True", "reason": "SchedulingPolicyFulfilled",
                        "message": "found all cluster needed", "observedGeneration": 3, "lastTransitionTime": "2024-12-06T08:55:45Z"}],
    });
    let st: PlacementStatus = serde_json::from_value(status.clone()).unwrap();
    let pcs = &st.placement_statuses[0];
    assert_eq!(pcs.reports.failed_placements[0].resource.kind, "Service");
    assert_eq!(pcs.reports.drifted_placements[0].target_cluster_observed_generation, 2);
    assert_eq!(pcs.reports.diffed_placements[0].target_cluster_observed_generation, None);
    assert_eq!(st.selected_resources[1].envelope.as_ref().unwrap().type_, EnvelopeType::ResourceEnvelope);
    assert_eq!(st.conditions[0].type_, apis::conditions::placement::CRP_SCHEDULED);
    assert_eq!(st.conditions[0].reason, apis::conditions::placement::REASON_SCHEDULING_POLICY_FULFILLED);
    let v = round_trip(&st);
    assert_eq!(v, status);
}

#[test]
fn binding_and_snapshots_round_trip() {
    let binding = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourceBinding",
        "metadata": {"name": "crp-availability-member-1-abcdefgh", "labels": {"kubernetes-fleet.io/parent-CRP": "crp-availability"}},
        "spec": {
            "state": "Bound", "resourceSnapshotName": "crp-availability-0-snapshot",
            "schedulingPolicySnapshotName": "crp-availability-0", "targetCluster": "member-1",
            "clusterDecision": {"clusterName": "member-1", "selected": true,
                                "clusterScore": {"affinityScore": 0, "priorityScore": 0}, "reason": "picked"},
            "resourceOverrideSnapshots": [{"name": "ro-nginx-service-0", "namespace": "test-app"}],
            "applyStrategy": {"type": "ClientSideApply", "comparisonOption": "PartialComparison",
                              "whenToApply": "Always", "whenToTakeOver": "Always"},
        },
        "status": {"conditions": []},
    });
    let crb: ClusterResourceBinding = serde_json::from_value(binding.clone()).unwrap();
    assert_eq!(crb.spec.state, BindingState::Bound);
    assert_eq!(crb.spec.cluster_decision.cluster_score.unwrap().topology_spread_score, Some(0));
    assert_eq!(crb.metadata.labels.as_ref().unwrap()[apis::labels::PLACEMENT_TRACKING], "crp-availability");
    assert_eq!(round_trip(&crb), binding);
    let rb: ResourceBinding = serde_json::from_value(binding.clone()).unwrap();
    assert_eq!(rb.spec, crb.spec.binding, "both binding kinds share one spec");

    let policy = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterSchedulingPolicySnapshot",
        "metadata": {"name": "crp-availability-0"},
        "spec": {"policy": {"placementType": "PickN", "numberOfClusters": 2}, "policyHash": "YWJj"},
        "status": {"observedCRPGeneration": 3, "conditions": [],
                   "targetClusters": [{"clusterName": "member-2", "selected": false, "clusterScore": null, "reason": "tainted"}]},
    });
    let csps: ClusterSchedulingPolicySnapshot = serde_json::from_value(policy.clone()).unwrap();
    assert_eq!(csps.spec.policy_hash.0, b"abc");
    assert_eq!(csps.status.as_ref().unwrap().cluster_decisions[0].cluster_name, "member-2");
    assert_eq!(round_trip(&csps), policy);

    let snapshot = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourceSnapshot",
        "metadata": {"name": "crp-availability-0-snapshot"},
        "spec": {"selectedResources": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-app"}}]},
    });
    let crs: ClusterResourceSnapshot = serde_json::from_value(snapshot.clone()).unwrap();
    assert_eq!(crs.spec.selected_resources[0].kind(), Some("Namespace"));
    assert_eq!(crs.spec.selected_resources[0].api_version(), Some("v1"));
    assert_eq!(round_trip(&crs), snapshot);
}

#[test]
fn work_and_applied_work_round_trip() {
    let work = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "Work",
        "metadata": {"name": "crp-availability-work", "namespace": "fleet-member-member-1"},
        "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-app"}}]},
                 "reportBackStrategy": {"type": "Mirror", "destination": "WorkAPI"}},
        "status": {
            "conditions": [{"type": "Applied", "status": "True", "reason": "AllManifestsApplied", "message": "",
                            "lastTransitionTime": "2024-12-06T08:55:46Z"}],
            "manifestConditions": [{
                "identifier": {"ordinal": 0, "version": "v1", "kind": "Namespace", "resource": "namespaces", "name": "test-app"},
                "conditions": [],
                "driftDetails": {"observationTime": "2024-12-06T08:55:46Z", "observedInMemberClusterGeneration": 4,
                                 "firstDriftedObservedTime": "2024-12-06T08:55:46Z"},
                "backReportedStatus": {"observedStatus": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "test-app"},
                                                          "status": {"phase": "Active"}},
                                       "observationTime": "2024-12-06T08:55:46Z"},
            }],
        },
    });
    let w: Work = serde_json::from_value(work.clone()).unwrap();
    assert_eq!(w.spec.report_back_strategy.as_ref().unwrap().destination, Some(ReportBackDestination::WorkApi));
    let mc = &w.status.as_ref().unwrap().manifest_conditions[0];
    assert_eq!(mc.identifier.resource, "namespaces");
    assert_eq!(mc.drift_details.as_ref().unwrap().observed_in_member_cluster_generation, 4);
    assert_eq!(round_trip(&w), work);

    let applied = json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "AppliedWork",
        "metadata": {"name": "crp-availability-work"},
        "spec": {"workName": "crp-availability-work", "workNamespace": "fleet-member-member-1"},
        "status": {"appliedResources": [{"ordinal": 0, "version": "v1", "kind": "Namespace", "resource": "namespaces",
                                         "name": "test-app", "uid": "0b2f"}]},
    });
    let aw: AppliedWork = serde_json::from_value(applied.clone()).unwrap();
    assert_eq!(aw.status.as_ref().unwrap().applied_resources[0].uid, "0b2f");
    assert_eq!(aw.status.as_ref().unwrap().applied_resources[0].identifier.name, "test-app");
    assert_eq!(round_trip(&aw), applied);
}

#[test]
fn shared_specs_dereference_to_the_common_type() {
    let mut spec = ClusterResourcePlacementSpec::from(PlacementSpec::new(vec![ResourceSelectorTerm {
        version: "v1".into(),
        kind: "Namespace".into(),
        name: "test-app".into(),
        ..Default::default()
    }]));
    spec.policy = Some(PlacementPolicy {
        placement_type: PlacementType::PickN,
        number_of_clusters: Some(1),
        ..Default::default()
    });
    assert_eq!(spec.placement.policy.as_ref().unwrap().number_of_clusters, Some(1));
    let v = serde_json::to_value(ClusterResourcePlacement::new("p", spec)).unwrap();
    assert_eq!(v["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(v["spec"]["resourceSelectors"][0]["group"], "");
    assert_eq!(v["spec"]["policy"]["placementType"], "PickN");
}

// --- CRDs -------------------------------------------------------------------

fn has_rule(schema: &Value, rule_part: &str, message_part: &str) -> bool {
    rules(schema).iter().any(|(r, m)| r.contains(rule_part) && m.contains(message_part))
}

/// (kind, plural, scope, short name, versions other than v1beta1, status subresource)
type KindRow = (&'static str, &'static str, &'static str, Option<&'static str>, &'static [&'static str], bool);

const KINDS: [KindRow; 24] = [
    ("ClusterResourcePlacement", "clusterresourceplacements", "Cluster", Some("crp"), &["v1"], true),
    ("ResourcePlacement", "resourceplacements", "Namespaced", Some("rp"), &["v1"], true),
    ("ClusterResourceSnapshot", "clusterresourcesnapshots", "Cluster", Some("crs"), &["v1"], true),
    ("ResourceSnapshot", "resourcesnapshots", "Namespaced", Some("rs"), &[], true),
    ("ClusterSchedulingPolicySnapshot", "clusterschedulingpolicysnapshots", "Cluster", Some("csps"), &["v1"], true),
    ("SchedulingPolicySnapshot", "schedulingpolicysnapshots", "Namespaced", Some("sps"), &[], true),
    ("ClusterResourceBinding", "clusterresourcebindings", "Cluster", Some("crb"), &["v1"], true),
    ("ResourceBinding", "resourcebindings", "Namespaced", Some("rb"), &[], true),
    ("Work", "works", "Namespaced", None, &["v1"], true),
    ("AppliedWork", "appliedworks", "Cluster", None, &["v1"], true),
    ("ClusterResourceOverride", "clusterresourceoverrides", "Cluster", None, &["v1alpha1", "v1"], false),
    ("ResourceOverride", "resourceoverrides", "Namespaced", None, &["v1alpha1", "v1"], false),
    (
        "ClusterResourceOverrideSnapshot",
        "clusterresourceoverridesnapshots",
        "Cluster",
        None,
        &["v1alpha1", "v1"],
        false,
    ),
    ("ResourceOverrideSnapshot", "resourceoverridesnapshots", "Namespaced", None, &["v1alpha1", "v1"], false),
    ("ClusterResourceEnvelope", "clusterresourceenvelopes", "Cluster", None, &[], false),
    ("ResourceEnvelope", "resourceenvelopes", "Namespaced", None, &[], false),
    (
        "ClusterResourcePlacementEviction",
        "clusterresourceplacementevictions",
        "Cluster",
        Some("crpe"),
        &["v1alpha1"],
        true,
    ),
    (
        "ClusterResourcePlacementDisruptionBudget",
        "clusterresourceplacementdisruptionbudgets",
        "Cluster",
        Some("crpdb"),
        &["v1alpha1"],
        false,
    ),
    ("ClusterStagedUpdateStrategy", "clusterstagedupdatestrategies", "Cluster", Some("csus"), &["v1"], false),
    ("StagedUpdateStrategy", "stagedupdatestrategies", "Namespaced", Some("sus"), &["v1"], false),
    ("ClusterStagedUpdateRun", "clusterstagedupdateruns", "Cluster", Some("csur"), &["v1"], true),
    ("StagedUpdateRun", "stagedupdateruns", "Namespaced", Some("sur"), &["v1"], true),
    ("ClusterApprovalRequest", "clusterapprovalrequests", "Cluster", Some("careq"), &["v1"], true),
    ("ApprovalRequest", "approvalrequests", "Namespaced", Some("areq"), &["v1"], true),
];

#[test]
fn every_kind_is_served_as_kubefleet_serves_it_and_stored_as_v1beta1() {
    assert_eq!(crds().len(), KINDS.len());
    for (kind, plural, scope, short, also, status) in KINDS {
        let crd = crd(kind);
        assert_eq!(crd.spec.group, GROUP);
        assert_eq!(crd.spec.scope, scope, "{kind}");
        assert_eq!(crd.spec.names.plural, plural);
        assert_eq!(crd.spec.names.short_names, short.map(|s| vec![s.to_string()]), "{kind}");
        assert_eq!(crd.spec.names.categories, Some(vec!["fleet".to_string(), "fleet-placement".to_string()]), "{kind}");
        let mut want: BTreeSet<&str> = also.iter().copied().collect();
        want.insert("v1beta1");
        let got: BTreeSet<&str> = crd.spec.versions.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(got, want, "{kind}");
        let storage: Vec<_> = crd.spec.versions.iter().filter(|v| v.storage).map(|v| v.name.as_str()).collect();
        assert_eq!(storage, ["v1beta1"], "{kind}");
        for v in &crd.spec.versions {
            assert!(v.served, "{kind} {}", v.name);
            assert_eq!(v.schema, crd.spec.versions[0].schema, "{kind}: every version shares one schema");
            assert_eq!(v.additional_printer_columns, crd.spec.versions[0].additional_printer_columns, "{kind}");
            let has_status = v.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some();
            assert_eq!(has_status, status, "{kind} {}: status subresource", v.name);
        }
    }
}

#[test]
fn members_get_applied_work_only() {
    let kinds: Vec<_> = member_crds().into_iter().map(|c| c.spec.names.kind).collect();
    assert_eq!(kinds, ["AppliedWork"]);
    assert!(apis::crd::member().iter().any(|c| c.spec.names.kind == "AppliedWork"));
}

#[test]
fn rust_types_are_the_storage_version() {
    assert_eq!(ClusterResourcePlacement::api_version(&()), "placement.kubernetes-fleet.io/v1beta1");
    assert_eq!(ResourceOverride::crd().spec.versions[0].name, apis::crd::STORAGE_VERSION);
}

#[test]
fn printer_columns_match_kubefleet() {
    for (kind, prefix) in
        [("ClusterResourcePlacement", "ClusterResourcePlacement"), ("ResourcePlacement", "ResourcePlacement")]
    {
        let cond = |t: &str, f: &str| format!(".status.conditions[?(@.type==\"{prefix}{t}\")].{f}");
        let (s, sg) = (cond("Scheduled", "status"), cond("Scheduled", "observedGeneration"));
        let (w, wg) = (cond("WorkSynchronized", "status"), cond("WorkSynchronized", "observedGeneration"));
        let (a, ag) = (cond("Available", "status"), cond("Available", "observedGeneration"));
        assert_eq!(
            columns(kind),
            cols(&[
                ("Gen", "string", ".metadata.generation", 0),
                ("Type", "string", ".spec.policy.placementType", 1),
                ("Scheduled", "string", &s, 0),
                ("Scheduled-Gen", "string", &sg, 0),
                ("Work-Synchronized", "string", &w, 1),
                ("Work-Synchronized-Gen", "string", &wg, 1),
                ("Available", "string", &a, 0),
                ("Available-Gen", "string", &ag, 0),
                ("Age", "date", ".metadata.creationTimestamp", 0),
            ]),
            "{kind}"
        );
    }
    let gen_age =
        cols(&[("Gen", "string", ".metadata.generation", 0), ("Age", "date", ".metadata.creationTimestamp", 0)]);
    for kind in
        ["ClusterResourceSnapshot", "ResourceSnapshot", "ClusterSchedulingPolicySnapshot", "SchedulingPolicySnapshot"]
    {
        assert_eq!(columns(kind), gen_age, "{kind}");
    }
    for kind in ["ClusterResourceBinding", "ResourceBinding"] {
        assert_eq!(
            columns(kind),
            cols(&[
                ("WorkSynchronized", "string", ".status.conditions[?(@.type==\"WorkSynchronized\")].status", 0),
                ("ResourcesApplied", "string", ".status.conditions[?(@.type==\"Applied\")].status", 0),
                ("ResourceAvailable", "string", ".status.conditions[?(@.type==\"Available\")].status", 1),
                ("Age", "date", ".metadata.creationTimestamp", 0),
            ]),
            "{kind}"
        );
    }
    assert_eq!(
        columns("ClusterResourcePlacementEviction"),
        cols(&[
            ("Valid", "string", ".status.conditions[?(@.type==\"Valid\")].status", 0),
            ("Executed", "string", ".status.conditions[?(@.type==\"Executed\")].status", 0),
        ])
    );
    for kind in [
        "Work",
        "AppliedWork",
        "ClusterResourceOverride",
        "ResourceEnvelope",
        "ClusterResourcePlacementDisruptionBudget",
    ] {
        assert!(columns(kind).is_empty(), "{kind} has no printer columns upstream");
    }
}

#[test]
fn schemas_are_structural() {
    for (kind, ..) in KINDS {
        assert_structural(kind, &schema(kind));
        walk_schema(kind, &schema(kind), &mut |path, m| {
            if let Some(e) = m.get("enum") {
                assert!(e.as_array().unwrap().iter().all(Value::is_string), "{path}: enum of plain strings: {e}");
                assert_eq!(m.get("type"), Some(&json!("string")), "{path}: enum of type string");
            }
        });
        let _: JSONSchemaProps = serde_json::from_value(schema(kind)).unwrap();
    }
}

#[test]
fn placement_spec_has_kubefleet_enums_defaults_and_ranges() {
    for kind in ["ClusterResourcePlacement", "ResourcePlacement"] {
        let s = schema(kind);
        let pt = at(&s, "spec.policy.placementType");
        assert_eq!(pt["enum"], json!(["PickAll", "PickN", "PickFixed"]), "{kind}");
        assert_eq!(pt["default"], "PickAll");
        let sel = at(&s, "spec.resourceSelectors");
        assert_eq!((sel["minItems"].as_u64(), sel["maxItems"].as_u64()), (Some(1), Some(100)));
        assert_eq!(at(&s, "spec.resourceSelectors.[].selectionScope")["default"], "NamespaceWithResources");
        let rhl = at(&s, "spec.revisionHistoryLimit");
        assert_eq!(
            (rhl["default"].as_i64(), rhl["minimum"].as_f64(), rhl["maximum"].as_f64()),
            (Some(10), Some(1.0), Some(1000.0))
        );
        assert_eq!(at(&s, "spec.statusReportingScope")["default"], "ClusterScopeOnly");
        assert_eq!(at(&s, "spec.policy.clusterNames")["maxItems"], 100);
        assert_eq!(at(&s, "spec.policy.tolerations")["maxItems"], 100);
        assert_eq!(at(&s, "spec.policy.tolerations.[].operator")["default"], "Equal");
        let terms =
            "spec.policy.affinity.clusterAffinity.requiredDuringSchedulingIgnoredDuringExecution.clusterSelectorTerms";
        assert_eq!(at(&s, terms)["maxItems"], 10);
        assert_eq!(at(&s, &format!("{terms}.[].propertySelector.matchExpressions.[].values"))["maxItems"], 1);
        let w =
            at(&s, "spec.policy.affinity.clusterAffinity.preferredDuringSchedulingIgnoredDuringExecution.[].weight");
        assert_eq!((w["minimum"].as_f64(), w["maximum"].as_f64()), (Some(-100.0), Some(100.0)));
        assert_eq!(at(&s, "spec.policy.topologySpreadConstraints.[].maxSkew")["default"], 1);
        assert_eq!(at(&s, "spec.policy.topologySpreadConstraints.[].whenUnsatisfiable")["default"], "DoNotSchedule");

        let ru = at(&s, "spec.strategy.rollingUpdate");
        for f in ["maxUnavailable", "maxSurge"] {
            let p = at(ru, f);
            assert_eq!(p["default"], "25%", "{f}");
            assert_eq!(p["x-kubernetes-int-or-string"], true, "{f}");
            assert_eq!(p["pattern"], "^((100|[0-9]{1,2})%|[0-9]+)$", "{f}");
        }
        assert_eq!(at(ru, "unavailablePeriodSeconds")["default"], 60);
        assert_eq!(at(&s, "spec.strategy.type")["default"], "RollingUpdate");
        let apply = at(&s, "spec.strategy.applyStrategy");
        assert_eq!(at(apply, "type")["enum"], json!(["ClientSideApply", "ServerSideApply", "ReportDiff"]));
        assert_eq!(at(apply, "type")["default"], "ClientSideApply");
        assert_eq!(at(apply, "comparisonOption")["enum"], json!(["PartialComparison", "FullComparison"]));
        assert_eq!(at(apply, "comparisonOption")["default"], "PartialComparison");
        assert_eq!(at(apply, "whenToApply")["enum"], json!(["Always", "IfNotDrifted"]));
        assert_eq!(at(apply, "whenToApply")["default"], "Always");
        assert_eq!(at(apply, "whenToTakeOver")["enum"], json!(["Always", "IfNoDiff", "Never"]));
        assert_eq!(at(apply, "whenToTakeOver")["default"], "Always");
        assert_eq!(at(apply, "allowCoOwnership")["type"], "boolean");
        assert_eq!(at(apply, "serverSideApplyConfig.force")["type"], "boolean");
        assert_eq!(at(&s, "spec.strategy.deleteStrategy.propagationPolicy")["default"], "Delete");
    }
}

#[test]
fn placement_cel_rules_are_kubefleets() {
    for kind in ["ClusterResourcePlacement", "ResourcePlacement"] {
        let s = schema(kind);
        let policy = at(&s, "spec.policy");
        assert!(
            has_rule(policy, "self.placementType != oldSelf.placementType", "placement type is immutable"),
            "{kind}"
        );
        assert!(has_rule(policy, "self.placementType != 'PickFixed'", "cannot be set when placementType is PickFixed"));
        assert!(has_rule(policy, "self.placementType != 'PickAll'", "cannot be set when placementType is PickAll"));
        assert!(has_rule(
            policy,
            "has(self.numberOfClusters)",
            "numberOfClusters must be set when placementType is PickN"
        ));
        let spec = at(&s, "spec");
        assert!(has_rule(spec, "has(oldSelf.policy) && !has(self.policy)", "policy cannot be removed once set"));
        assert!(has_rule(
            spec,
            "<= 1",
            "only one namespace selector with NamespaceWithResourceSelectors mode is allowed"
        ));
        assert!(has_rule(spec, "!has(x.labelSelector)", "must select by name (not by label)"));
        assert!(has_rule(spec, "x.version == 'v1')) == 1", "cannot mix with other namespace selectors"));
        assert!(has_rule(
            at(&s, "spec.resourceSelectors"),
            "has(x.labelSelector)",
            "name and labelSelector are mutually exclusive"
        ));
        let tol = at(&s, "spec.policy.tolerations");
        assert!(has_rule(tol, "x.operator != 'Exists'", "value must be empty when operator is Exists"));
        assert!(has_rule(tol, "x.operator == 'Exists'", "operator must be Exists when key is empty"));
        assert!(has_rule(
            at(&s, "spec.strategy.type"),
            "oldSelf == 'External'",
            "cannot change rollout strategy type from 'External'"
        ));
        assert!(has_rule(
            at(&s, "spec.strategy.reportBackStrategy"),
            "self.type != 'Mirror'",
            "a destination must be specified"
        ));
        let scope_rules = has_rule(spec, "oldSelf.statusReportingScope", "statusReportingScope is immutable");
        assert_eq!(
            scope_rules,
            kind == "ClusterResourcePlacement",
            "{kind}: statusReportingScope rules are CRP-only upstream"
        );
    }
    // The policy snapshot copies the policy but not the rules tying it to placementType.
    let ps = schema("ClusterSchedulingPolicySnapshot");
    assert!(rules(at(&ps, "spec.policy")).is_empty());
    assert!(has_rule(at(&ps, "spec.policy.tolerations"), "x.operator == 'Exists'", "operator must be Exists"));
}

#[test]
fn override_schemas_have_kubefleet_limits_and_path_rules() {
    for kind in ["ClusterResourceOverride", "ResourceOverride"] {
        let s = schema(kind);
        let selectors =
            if kind == "ClusterResourceOverride" { "spec.clusterResourceSelectors" } else { "spec.resourceSelectors" };
        assert_eq!(
            (at(&s, selectors)["minItems"].as_u64(), at(&s, selectors)["maxItems"].as_u64()),
            (Some(1), Some(20)),
            "{kind}"
        );
        let rules_ = at(&s, "spec.policy.overrideRules");
        assert_eq!((rules_["minItems"].as_u64(), rules_["maxItems"].as_u64()), (Some(1), Some(20)));
        let patches = at(rules_, "[].jsonPatchOverrides");
        assert_eq!((patches["minItems"].as_u64(), patches["maxItems"].as_u64()), (Some(1), Some(20)));
        assert_eq!(at(patches, "[].op")["enum"], json!(["add", "remove", "replace"]));
        assert_eq!(
            at(patches, "[].path")["maxLength"],
            1024,
            "bounded so the path rules stay within the CEL cost budget"
        );
        assert_eq!(at(patches, "[].value")["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(at(rules_, "[].overrideType")["enum"], json!(["JSONPatch", "Delete"]));
        assert_eq!(at(rules_, "[].overrideType")["default"], "JSONPatch");
        assert_eq!(at(&s, "spec.placement.scope")["enum"], json!(["Cluster", "Namespaced"]));
        assert_eq!(at(&s, "spec.placement.scope")["default"], "Cluster");

        let patch = &patches["items"];
        for msg in [
            "path must start with /: path ",
            "cannot override typeMeta fields: path ",
            "cannot override field metadata: path ",
            "cannot override metadata fields except annotations and labels: path ",
            "cannot override status fields: path ",
            "path cannot contain empty string: path ",
        ] {
            assert!(has_rule(patch, "self.path", msg), "{kind}: no path rule for {msg:?}");
        }
        assert!(rules(patch).iter().all(|(r, _)| r.contains("self.path")));
        let field_paths: Vec<_> =
            patch["x-kubernetes-validations"].as_array().unwrap().iter().map(|r| r["fieldPath"].clone()).collect();
        assert!(field_paths.iter().all(|f| f == ".path"), "path errors name the path field: {field_paths:?}");
        let rule = &rules_["items"];
        assert!(has_rule(
            rule,
            "'Delete' || !has(self.jsonPatchOverrides)",
            "cannot be set when overrideType is Delete"
        ));
        assert!(has_rule(
            rule,
            "'JSONPatch' || has(self.jsonPatchOverrides)",
            "must be set when overrideType is JSONPatch"
        ));
        assert!(has_rule(rule, "!has(t.propertySelector)", "labelSelector only"));
        assert!(has_rule(at(&s, "spec"), "oldSelf.placement == self.placement", "The placement field is immutable"));
    }
    let cro = schema("ClusterResourceOverride");
    assert!(has_rule(&cro, "self.spec.placement.scope != 'Namespaced'", "cannot be Namespaced scope"));
    assert!(has_rule(
        at(&cro, "spec.clusterResourceSelectors"),
        "!has(x.labelSelector)",
        "label selector is not supported"
    ));
    assert!(has_rule(at(&cro, "spec.clusterResourceSelectors"), "size(x.name) > 0", "resource name is required"));
    let ro = rules(&schema("ResourceOverride"));
    assert!(
        !ro.iter().any(|(r, _)| r.contains("placement.scope")),
        "a ResourceOverride may reference a ResourcePlacement"
    );
    for kind in ["ClusterResourcePlacement", "ResourcePlacement", "ClusterResourceOverride", "ResourceOverride"] {
        assert!(has_rule(&schema(kind), "size(self.metadata.name) < 64", "metadata.name max length is 63"), "{kind}");
    }
}

#[test]
fn snapshots_are_immutable_and_controller_kinds_keep_upstream_shapes() {
    for kind in [
        "ClusterResourceSnapshot",
        "ResourceSnapshot",
        "ClusterSchedulingPolicySnapshot",
        "SchedulingPolicySnapshot",
        "ClusterResourceOverrideSnapshot",
        "ResourceOverrideSnapshot",
    ] {
        let s = schema(kind);
        assert_eq!(rules(at(&s, "spec")), [("self == oldSelf".to_string(), "spec is immutable".to_string())], "{kind}");
    }
    let crs = schema("ClusterResourceSnapshot");
    let item = at(&crs, "spec.selectedResources.[]");
    assert_eq!(item["x-kubernetes-embedded-resource"], true);
    assert_eq!(item["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(at(&schema("Work"), "spec.workload.manifests.[]")["x-kubernetes-embedded-resource"], true);
    assert_eq!(at(&schema("ClusterSchedulingPolicySnapshot"), "spec.policyHash")["format"], "byte");
    assert_eq!(at(&schema("ClusterSchedulingPolicySnapshot"), "status.targetClusters")["maxItems"], 1000);
    for kind in ["ClusterResourceBinding", "ResourceBinding"] {
        let s = schema(kind);
        assert_eq!(at(&s, "spec.state")["enum"], json!(["Scheduled", "Bound", "Unscheduled"]));
        for f in ["failedPlacements", "driftedPlacements", "diffedPlacements"] {
            assert_eq!(at(&s, &format!("status.{f}"))["maxItems"], 100, "{kind} {f}");
        }
        let conds = at(&s, "status.conditions");
        assert_eq!(conds["x-kubernetes-list-type"], "map");
    }
    let crp = schema("ClusterResourcePlacement");
    for f in ["failedPlacements", "driftedPlacements", "diffedPlacements"] {
        assert_eq!(at(&crp, &format!("status.placementStatuses.[].{f}"))["maxItems"], 100, "{f}");
    }
    assert_eq!(
        at(&crp, "status.selectedResources.[].envelope.type")["enum"],
        json!(["ConfigMap", "ClusterResourceEnvelope", "ResourceEnvelope"])
    );
}

#[test]
fn envelope_eviction_and_budget_schemas() {
    for kind in ["ClusterResourceEnvelope", "ResourceEnvelope"] {
        let s = schema(kind);
        assert!(s["properties"].get("spec").is_none(), "{kind} keeps data at the top level");
        let data = at(&s, "data");
        assert_eq!((data["minProperties"].as_u64(), data["maxProperties"].as_u64()), (Some(1), Some(50)), "{kind}");
        assert_eq!(data["additionalProperties"]["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(s["required"], json!(["data"]));
    }
    let ev = schema("ClusterResourcePlacementEviction");
    for (f, msg) in [
        ("placementName", "The PlacementName field is immutable"),
        ("clusterName", "The ClusterName field is immutable"),
    ] {
        let p = at(&ev, &format!("spec.{f}"));
        assert_eq!(p["maxLength"], 255);
        assert_eq!(rules(p), [("self == oldSelf".to_string(), msg.to_string())]);
    }
    let db = schema("ClusterResourcePlacementDisruptionBudget");
    assert!(has_rule(
        at(&db, "spec"),
        "!(has(self.maxUnavailable) && has(self.minAvailable))",
        "Both MaxUnavailable and MinAvailable"
    ));
    for f in ["maxUnavailable", "minAvailable"] {
        let p = at(&db, &format!("spec.{f}"));
        assert_eq!(p["x-kubernetes-int-or-string"], true);
        assert!(has_rule(p, "self.matches('^(100|[0-9]{1,2})%$') : self >= 0", "If supplied value is String"), "{f}");
    }
}

// --- constants ----------------------------------------------------------------

#[test]
fn placement_labels_finalizers_and_conditions_are_kubefleets() {
    use apis::{conditions::placement as c, finalizers, labels};
    let keys = [
        labels::PLACEMENT_TRACKING,
        labels::IS_LATEST_SNAPSHOT,
        labels::CRP_GENERATION,
        labels::POLICY_INDEX,
        labels::NUMBER_OF_CLUSTERS,
        labels::RESOURCE_INDEX,
        labels::RESOURCE_GROUP_HASH,
        labels::NUMBER_OF_RESOURCE_SNAPSHOTS,
        labels::NUMBER_OF_ENVELOPED_OBJECTS,
        labels::SUBINDEX_OF_RESOURCE_SNAPSHOT,
        labels::OVERRIDE_TRACKING,
        labels::OVERRIDE_INDEX,
        labels::PREVIOUS_BINDING_STATE,
        labels::PARENT_BINDING,
        labels::PARENT_NAMESPACE,
        labels::PARENT_RESOURCE_SNAPSHOT_INDEX,
        labels::PARENT_RESOURCE_SNAPSHOT_NAME,
        labels::PARENT_CLUSTER_RESOURCE_OVERRIDE_SNAPSHOT_HASH,
        labels::PARENT_RESOURCE_OVERRIDE_SNAPSHOT_HASH,
        labels::ENVELOPE_TYPE,
        labels::ENVELOPE_NAME,
        labels::ENVELOPE_NAMESPACE,
        labels::ENVELOPE_CONFIGMAP,
        labels::MANIFEST_HASH,
        labels::LAST_APPLIED_CONFIG,
    ];
    assert!(keys.iter().all(|k| k.starts_with(labels::FLEET_PREFIX)), "{keys:?}");
    assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), keys.len(), "no key is defined twice");
    assert_eq!(labels::PLACEMENT_TRACKING, "kubernetes-fleet.io/parent-CRP");
    assert_eq!(labels::ENVELOPE_CONFIGMAP, "kubernetes-fleet.io/envelope-configmap");
    assert_eq!(labels::NUMBER_OF_ENVELOPED_OBJECTS, "kubernetes-fleet.io/number-of-enveloped-object");
    assert_eq!(finalizers::PLACEMENT_CLEANUP, "kubernetes-fleet.io/crp-cleanup");
    assert_eq!(finalizers::SCHEDULER_BINDING_CLEANUP, "kubernetes-fleet.io/scheduler-crb-cleanup");
    assert_eq!(finalizers::WORK_CLEANUP, "kubernetes-fleet.io/work-cleanup");
    assert_eq!(
        c::CRP_CONDITION_TYPES.map(|t| t.strip_prefix("ClusterResourcePlacement").unwrap()),
        c::RP_CONDITION_TYPES.map(|t| t.strip_prefix("ResourcePlacement").unwrap()),
    );
    assert_eq!(
        c::CRP_CONDITION_TYPES.map(|t| t.strip_prefix("ClusterResourcePlacement").unwrap()),
        c::PER_CLUSTER_CONDITION_TYPES
    );
    assert_eq!(
        c::PER_CLUSTER_CONDITION_TYPES,
        ["Scheduled", "RolloutStarted", "Overridden", "WorkSynchronized", "Applied", "Available"]
    );
}
