//! Admission on a real hub: KubeFleet's validator checks (the schema's CEL
//! rules and the hub agent's webhooks), each tried with a bad object and its
//! valid twin, and the defaults a placement is stored with.

use apis::{
    cluster::MemberCluster,
    conditions::placement as p,
    placement::{ClusterResourcePlacement, ResourcePlacement},
};
use fleet::shared::fleet;
use kube::{
    Api,
    api::{DeleteParams, PostParams},
};
use serde_json::{Value, json};

use crate::support::{Case, create_namespace, refused_naming_fields, wait_condition};

const CASES: &[Case] = &[
    Case {
        what: "a ClusterResourcePlacement name over 63 characters",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-short"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}}"#,
        names: &["metadata.name max length is 63"],
    },
    Case {
        what: "a ResourcePlacement name over 63 characters",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement", "metadata": {"name": "it-adm-short", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement", "metadata": {"name": "it-adm-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}]}}"#,
        names: &["metadata.name max length is 63"],
    },
    Case {
        what: "a ClusterResourceOverride name over 63 characters",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ClusterResourceOverride", "metadata": {"name": "it-adm-short-cro"}, "spec": {"clusterResourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ClusterResourceOverride", "metadata": {"name": "it-adm-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "spec": {"clusterResourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        names: &["metadata.name max length is 63"],
    },
    Case {
        what: "a ResourceOverride name over 63 characters",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride", "metadata": {"name": "it-adm-short-ro", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride", "metadata": {"name": "it-adm-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Secret", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        names: &["metadata.name max length is 63"],
    },
    Case {
        what: "a TrafficManagerProfile name over 63 characters",
        valid: r#"{"apiVersion": "networking.fleet.azure.com/v1beta1", "kind": "TrafficManagerProfile", "metadata": {"name": "it-adm-short-tmp", "namespace": "it-admission"}, "spec": {"monitorConfig": {"path": "/", "port": 80, "protocol": "HTTP"}}}"#,
        invalid: r#"{"apiVersion": "networking.fleet.azure.com/v1beta1", "kind": "TrafficManagerProfile", "metadata": {"name": "it-adm-long-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "namespace": "it-admission"}, "spec": {"monitorConfig": {"path": "/", "port": 80, "protocol": "HTTP"}}}"#,
        names: &["metadata.name max length is 63"],
    },
    Case {
        what: "a MemberCluster taint key that is not a qualified name",
        valid: r#"{"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "MemberCluster", "metadata": {"name": "it-adm-taint"}, "spec": {"identity": {"kind": "User", "name": "nobody", "apiGroup": "rbac.authorization.k8s.io"}, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}"#,
        invalid: r#"{"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "MemberCluster", "metadata": {"name": "it-adm-taint-bad"}, "spec": {"identity": {"kind": "User", "name": "nobody", "apiGroup": "rbac.authorization.k8s.io"}, "taints": [{"key": "key@1234:", "value": "v", "effect": "NoSchedule"}]}}"#,
        names: &["spec.taints[0].key"],
    },
    Case {
        what: "duplicate MemberCluster taints",
        valid: r#"{"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "MemberCluster", "metadata": {"name": "it-adm-taint2"}, "spec": {"identity": {"kind": "User", "name": "nobody", "apiGroup": "rbac.authorization.k8s.io"}, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}"#,
        invalid: r#"{"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "MemberCluster", "metadata": {"name": "it-adm-taint2-bad"}, "spec": {"identity": {"kind": "User", "name": "nobody", "apiGroup": "rbac.authorization.k8s.io"}, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": "NoSchedule"}]}}"#,
        names: &["spec.taints", "taints must be unique"],
    },
    Case {
        what: "duplicate PickFixed cluster names",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pf"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pf-dup"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickFixed", "clusterNames": ["member-1", "member-1"]}}}"#,
        names: &["spec.policy.clusterNames", "duplicate entries"],
    },
    Case {
        what: "an invalid PickFixed cluster name",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pf2"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickFixed", "clusterNames": ["member-1"]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pf-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickFixed", "clusterNames": ["Member_1"]}}}"#,
        names: &["spec.policy.clusterNames[0]", "should match"],
    },
    Case {
        what: "preferred affinity with PickAll",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pickall"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {"labelSelector": {"matchLabels": {"zone": "a"}}}}]}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-pickall-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickAll", "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {"labelSelector": {"matchLabels": {"zone": "a"}}}}]}}}}}"#,
        names: &[
            "spec.policy",
            "PreferredDuringSchedulingIgnoredDuringExecution will be ignored for placement policy type PickAll",
        ],
    },
    Case {
        what: "a property sorter in a required term",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-sorter"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {"propertySorter": {"name": "kubernetes-fleet.io/node-count", "sortOrder": "Descending"}}}]}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-sorter-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [{"propertySorter": {"name": "kubernetes-fleet.io/node-count", "sortOrder": "Descending"}}]}}}}}}"#,
        names: &[
            "requiredDuringSchedulingIgnoredDuringExecution",
            "PropertySorter is not allowed for RequiredDuringSchedulingIgnoredDuringExecution affinity",
        ],
    },
    Case {
        what: "a property selector in a preferred term",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-psel"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [{"propertySelector": {"matchExpressions": [{"name": "kubernetes-fleet.io/node-count", "operator": "Ge", "values": ["1"]}]}}]}}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-psel-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"propertySelector": {"matchExpressions": [{"name": "kubernetes-fleet.io/node-count", "operator": "Ge", "values": ["1"]}]}}}]}}}}}"#,
        names: &[
            "preferredDuringSchedulingIgnoredDuringExecution",
            "PropertySelector is not allowed for PreferredDuringSchedulingIgnoredDuringExecution affinity",
        ],
    },
    Case {
        what: "rollingUpdate with the External strategy",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-ext"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "strategy": {"type": "External"}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-ext-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "strategy": {"type": "External", "rollingUpdate": {"maxSurge": 1}}}}"#,
        names: &["spec.strategy", "rollingUpdate cannot be set when the rollout strategy type is External"],
    },
    Case {
        what: "serverSideApplyConfig without ServerSideApply",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-ssa"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "strategy": {"applyStrategy": {"type": "ServerSideApply", "serverSideApplyConfig": {"force": true}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-ssa-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "strategy": {"applyStrategy": {"type": "ClientSideApply", "serverSideApplyConfig": {"force": true}}}}}"#,
        names: &[
            "spec.strategy.applyStrategy",
            "serverSideApplyConfig is only valid for ServerSideApply strategy type",
        ],
    },
    Case {
        what: "an invalid resource label selector",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-lsel"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-lsel-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}]}}"#,
        names: &[
            "the labelSelector in resource selector /v1 Namespace is invalid",
            "operator In on key \"app\" needs values",
        ],
    },
    Case {
        what: "a CRP selecting a namespaced kind",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-scope"}, "spec": {"resourceSelectors": [{"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-scope-bad"}, "spec": {"resourceSelectors": [{"group": "apps", "version": "v1", "kind": "Deployment", "name": "x"}]}}"#,
        names: &[
            "the resource is not found in schema (please retry) or it is not a cluster scoped resource: apps/v1, Kind=Deployment",
        ],
    },
    Case {
        what: "a CRP selecting a kind the hub does not serve",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-gvr"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-gvr-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "InvalidNamespace", "name": "x"}]}}"#,
        names: &["failed to get GVR of the selector"],
    },
    Case {
        what: "an RP selecting a cluster-scoped kind",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement", "metadata": {"name": "it-adm-rp-scope", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourcePlacement", "metadata": {"name": "it-adm-rp-scope-bad", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}}"#,
        names: &[
            "the resource is not found in schema (please retry) or it is a cluster scoped resource: /v1, Kind=Namespace",
        ],
    },
    Case {
        what: "an invalid preferred cluster label selector",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-plsel"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "preference": {"labelSelector": {"matchLabels": {"zone": "a"}}}}]}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-plsel-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {"labelSelector": {"matchExpressions": [{"key": "zone", "operator": "In"}]}}}]}}}}}"#,
        names: &["the labelSelector in preferred cluster selector is invalid"],
    },
    Case {
        what: "a resource property with an unknown capacity type",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-prop"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [{"propertySelector": {"matchExpressions": [{"name": "resources.kubernetes-fleet.io/available-cpu", "operator": "Ge", "values": ["1"]}]}}]}}}}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-prop-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1, "affinity": {"clusterAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"clusterSelectorTerms": [{"propertySelector": {"matchExpressions": [{"name": "resources.kubernetes-fleet.io/spare-cpu", "operator": "Ge", "values": ["1"]}]}}]}}}}}}"#,
        names: &["invalid capacity type in resource property name resources.kubernetes-fleet.io/spare-cpu"],
    },
    Case {
        what: "an invalid toleration key",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-tol"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"tolerations": [{"key": "k", "operator": "Equal", "value": "v"}]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-tol-bad"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"tolerations": [{"key": "bad key", "operator": "Equal", "value": "v"}]}}}"#,
        names: &["invalid toleration key \"bad key\""],
    },
    Case {
        what: "a ResourceOverride selecting a cluster-scoped kind",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride", "metadata": {"name": "it-adm-ro-scope", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "ServiceAccount", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1", "kind": "ResourceOverride", "metadata": {"name": "it-adm-ro-scope-bad", "namespace": "it-admission"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"overrideRules": [{"clusterSelector": {"clusterSelectorTerms": []}, "overrideType": "Delete"}]}}}"#,
        names: &["resource selector /v1, Kind=Namespace", "selects a cluster-scoped kind"],
    },
    Case {
        what: "a removed toleration",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-tol-upd"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"tolerations": [{"key": "a", "operator": "Exists"}]}}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-tol-upd"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"tolerations": [{"key": "b", "operator": "Exists"}]}}}"#,
        names: &[
            "spec.policy.tolerations",
            "tolerations have been updated/deleted, only additions to tolerations are allowed",
        ],
    },
    Case {
        what: "a changed placement type (no policy is PickAll)",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-type-upd"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement", "metadata": {"name": "it-adm-type-upd"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": {"placementType": "PickN", "numberOfClusters": 1}}}"#,
        names: &["placement type is immutable"],
    },
];

/// Evictions and disruption budgets, judged against their placements:
/// it-adm-all (PickAll) and it-adm-fixed (PickFixed).
const DISRUPTION_CASES: &[Case] = &[
    Case {
        what: "a maxUnavailable budget for a PickAll placement",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementDisruptionBudget", "metadata": {"name": "it-adm-all"}, "spec": {"minAvailable": 1}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementDisruptionBudget", "metadata": {"name": "it-adm-all"}, "spec": {"maxUnavailable": 1}}"#,
        names: &[
            "cluster resource placement policy type PickAll is not supported with any specified max unavailable 1",
        ],
    },
    Case {
        what: "a percentage minAvailable budget for a PickAll placement",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementDisruptionBudget", "metadata": {"name": "it-adm-all"}, "spec": {"minAvailable": 1}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementDisruptionBudget", "metadata": {"name": "it-adm-all"}, "spec": {"minAvailable": "50%"}}"#,
        names: &[
            "cluster resource placement policy type PickAll is not supported with min available as a percentage 50%",
        ],
    },
    Case {
        what: "an eviction from a PickFixed placement",
        valid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementEviction", "metadata": {"name": "it-adm-evict-all"}, "spec": {"placementName": "it-adm-all", "clusterName": "member-3"}}"#,
        invalid: r#"{"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacementEviction", "metadata": {"name": "it-adm-evict-fixed"}, "spec": {"placementName": "it-adm-fixed", "clusterName": "member-1"}}"#,
        names: &["cluster resource placement policy type PickFixed is not supported"],
    },
];

#[tokio::test]
async fn evictions_and_disruption_budgets_are_judged_against_their_placement() {
    let client = fleet().hub.client().await;
    let crps = Api::<ClusterResourcePlacement>::all(client.clone());
    for (name, policy) in [
        ("it-adm-all", json!({"placementType": "PickAll"})),
        ("it-adm-fixed", json!({"placementType": "PickFixed", "clusterNames": ["member-1"]})),
    ] {
        let c: ClusterResourcePlacement = serde_json::from_value(json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1",
            "kind": "ClusterResourcePlacement", "metadata": {"name": name},
            "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}], "policy": policy}}))
        .unwrap();
        crps.create(&PostParams::default(), &c).await.unwrap();
    }
    refused_naming_fields(client, DISRUPTION_CASES).await;
}

#[tokio::test]
async fn kubefleet_admission_checks_refuse_bad_objects_naming_the_field() {
    let client = fleet().hub.client().await;
    create_namespace(&client, "it-admission").await;
    refused_naming_fields(client.clone(), CASES).await;
    // The valid MemberCluster twins have no agent: take them away again.
    let mcs: Api<MemberCluster> = Api::all(client);
    for name in ["it-adm-taint", "it-adm-taint2"] {
        mcs.delete(name, &DeleteParams::default()).await.unwrap();
    }
}

/// The stored spec of a placement created from `spec`.
async fn stored(spec: Value, resource_placement: bool, name: &str) -> Value {
    let client = fleet().hub.client().await;
    let ns = "it-defaults";
    if resource_placement {
        let rp: ResourcePlacement =
            serde_json::from_value(json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1",
            "kind": "ResourcePlacement", "metadata": {"name": name, "namespace": ns}, "spec": spec}))
            .unwrap();
        let made = Api::<ResourcePlacement>::namespaced(client, ns).create(&PostParams::default(), &rp).await.unwrap();
        serde_json::to_value(made.spec).unwrap()
    } else {
        let crp: ClusterResourcePlacement =
            serde_json::from_value(json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1",
            "kind": "ClusterResourcePlacement", "metadata": {"name": name}, "spec": spec}))
            .unwrap();
        let made = Api::<ClusterResourcePlacement>::all(client).create(&PostParams::default(), &crp).await.unwrap();
        serde_json::to_value(made.spec).unwrap()
    }
}

#[tokio::test]
async fn placements_are_stored_with_kubefleets_defaults() {
    let client = fleet().hub.client().await;
    create_namespace(&client, "it-defaults").await;
    let rolling = json!({"maxUnavailable": "25%", "maxSurge": "25%", "unavailablePeriodSeconds": 60});
    let apply = json!({"type": "ClientSideApply", "comparisonOption": "PartialComparison", "whenToApply": "Always", "whenToTakeOver": "Always"});
    let namespace = json!([{"group": "", "version": "v1", "kind": "Namespace", "name": "it-defaults"}]);
    let config_map = json!([{"group": "", "version": "v1", "kind": "ConfigMap", "name": "x"}]);
    for (rp, selectors, name) in [(false, &namespace, "it-defaults"), (true, &config_map, "it-defaults-rp")] {
        let s = stored(json!({"resourceSelectors": selectors}), rp, name).await;
        assert_eq!(s["policy"], json!({"placementType": "PickAll"}), "{name}: {s}");
        assert_eq!(s["strategy"]["type"], "RollingUpdate", "{name}: {s}");
        assert_eq!(s["strategy"]["rollingUpdate"], rolling, "{name}: {s}");
        assert_eq!(s["strategy"]["applyStrategy"], apply, "{name}: {s}");
        assert_eq!(s["revisionHistoryLimit"], 10, "{name}: {s}");
    }
    let ssa = stored(
        json!({"resourceSelectors": namespace, "strategy": {"applyStrategy": {"type": "ServerSideApply"}}}),
        false,
        "it-defaults-ssa",
    )
    .await;
    assert_eq!(ssa["strategy"]["applyStrategy"]["serverSideApplyConfig"], json!({"force": false}), "{ssa}");
    // Partial settings keep what was given and gain the rest.
    let partial = stored(
        json!({"resourceSelectors": namespace, "strategy": {"rollingUpdate": {"maxSurge": 1}, "applyStrategy": {"whenToApply": "IfNotDrifted"}}}),
        false,
        "it-defaults-partial",
    )
    .await;
    assert_eq!(
        partial["strategy"]["rollingUpdate"],
        json!({"maxUnavailable": "25%", "maxSurge": 1, "unavailablePeriodSeconds": 60})
    );
    assert_eq!(partial["strategy"]["applyStrategy"]["whenToApply"], "IfNotDrifted");
    assert_eq!(partial["strategy"]["applyStrategy"]["type"], "ClientSideApply");
    // External rollouts get no rollingUpdate.
    let external =
        stored(json!({"resourceSelectors": namespace, "strategy": {"type": "External"}}), false, "it-defaults-ext")
            .await;
    assert!(external["strategy"].get("rollingUpdate").is_none(), "{external}");
}

#[tokio::test]
async fn pick_fixed_without_cluster_names_is_scheduled_on_no_cluster() {
    // KubeFleet accepts an empty PickFixed list (scaling a placement to zero)
    // and schedules it; it must not stay pending.
    let client = fleet().hub.client().await;
    let crp: ClusterResourcePlacement =
        serde_json::from_value(json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterResourcePlacement", "metadata": {"name": "it-pickfixed-none"},
        "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}],
                 "policy": {"placementType": "PickFixed"}}}))
        .unwrap();
    Api::<ClusterResourcePlacement>::all(client.clone()).create(&PostParams::default(), &crp).await.unwrap();
    let c = wait_condition(&client, "it-pickfixed-none", p::CRP_SCHEDULED, "True").await;
    assert!(c.status.unwrap().placement_statuses.is_empty());
}
