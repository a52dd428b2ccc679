//! The local fleet is real: Kubernetes components do their jobs, RBAC is
//! enforced, Flotilla's CRDs are served, validated and printed as KubeFleet's.

use fleet::{apply::Applier, assets, ports::free_port, probe, shared::fleet, wait};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Namespace};
use kube::Api;

use crate::support::{Case, TIMEOUT, create_namespace, refused_naming_fields};

#[tokio::test]
async fn a_deployment_on_a_member_becomes_available() {
    let member = &fleet().members[0];
    let client = member.client().await;
    create_namespace(&client, "it-deployment").await;
    let mut applier = Applier::new(client.clone());
    applier
        .apply_yaml(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: it-deployment}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.16.1"}]
"#,
        )
        .await
        .unwrap();
    // kube-controller-manager makes the ReplicaSet and Pods, kube-scheduler binds
    // them to kwok's Nodes, kwok reports them Running and Ready.
    let deployments: Api<Deployment> = Api::namespaced(client, "it-deployment");
    let d = wait::until("nginx to become Available", TIMEOUT, || {
        let deployments = deployments.clone();
        async move {
            let d = deployments.get("nginx").await?;
            let available = d
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Available" && c.status == "True"));
            let ready = d.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
            Ok((available && ready == 3).then_some(d))
        }
    })
    .await
    .unwrap();
    assert_eq!(d.status.unwrap().available_replicas, Some(3));
}

#[tokio::test]
async fn rbac_refuses_an_identity_without_grants() {
    let hub = &fleet().hub;
    let kubeconfig = fleet().dir.join("nobody.kubeconfig");
    fleet::ControlPlane::issue_kubeconfig_at(&hub.kubeconfig, "nobody", &[], &kubeconfig).unwrap();
    let client = fleet::kubeconfig::client(&kubeconfig).await.unwrap();
    // Authenticated (so /version answers) ...
    client.apiserver_version().await.expect("an authenticated user may read /version");
    // ... but not authorized.
    let err =
        Api::<Namespace>::all(client).list(&Default::default()).await.expect_err("nobody may not list namespaces");
    match err {
        kube::Error::Api(s) => assert_eq!(s.code, 403, "{s:?}"),
        other => panic!("expected 403 Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn every_sample_applies_to_the_hub() {
    let client = fleet().hub.client().await;
    let mut applier = Applier::new(client);
    let dir = assets::repo_root().join("config/samples");
    let mut objects = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            for obj in fleet::apply::parse(&text).unwrap_or_else(|e| panic!("{}: {e:#}", path.display())) {
                objects.push((path.file_name().unwrap().to_string_lossy().into_owned(), obj));
            }
        }
    }
    assert!(objects.len() >= 10, "expected samples for the user-facing kinds, found {}", objects.len());
    // Namespaces first, as kubectl users order them.
    objects.sort_by_key(|(_, o)| o.types.as_ref().map(|t| t.kind != "Namespace").unwrap_or(true));
    for (file, obj) in &objects {
        // A migration would act on the shared fleet (the sample's member-1 would
        // leave it): the API server checks it without storing it.
        if obj.types.as_ref().is_some_and(|t| t.kind == "ClusterResourcePlacementMigration" || t.kind == "Migrate") {
            let api = applier.api_for(obj).await.unwrap();
            let dry = kube::api::PostParams { dry_run: true, ..Default::default() };
            let checked = api.create(&dry, obj).await.unwrap_or_else(|e| panic!("{file}: refused: {e}"));
            assert_eq!(checked.metadata.name, obj.metadata.name, "{file}");
            continue;
        }
        let applied =
            applier.apply(obj).await.unwrap_or_else(|e| panic!("{file}: {} refused: {e}", fleet::apply::describe(obj)));
        assert_eq!(applied.metadata.name, obj.metadata.name, "{file}");
        assert!(applied.metadata.uid.is_some(), "{file}: the server stored the object");
    }
}

/// Each case: a valid object the API server must accept, and the same object
/// made invalid, which it must refuse with a message naming the field.
const CASES: &[Case] = &[
    Case {
        what: "PickN without numberOfClusters",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1","kind":"ClusterResourcePlacement","metadata":{"name":"it-pickn"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Namespace","name":"x"}],"policy":{"placementType":"PickN","numberOfClusters":2}}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1","kind":"ClusterResourcePlacement","metadata":{"name":"it-pickn-bad"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Namespace","name":"x"}],"policy":{"placementType":"PickN"}}}"#,
        names: &["numberOfClusters"],
    },
    Case {
        what: "an unknown placementType",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterResourcePlacement","metadata":{"name":"it-type"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Namespace","name":"x"}],"policy":{"placementType":"PickAll"}}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterResourcePlacement","metadata":{"name":"it-type-bad"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Namespace","name":"x"}],"policy":{"placementType":"PickSome"}}}"#,
        names: &["spec.policy.placementType", "PickSome"],
    },
    Case {
        what: "a JSON patch to /status",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ResourceOverride","metadata":{"name":"it-ro","namespace":"it-invalid"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Service","name":"s"}],
                           "policy":{"overrideRules":[{"clusterSelector":{"clusterSelectorTerms":[]},
                                     "jsonPatchOverrides":[{"op":"add","path":"/metadata/labels/team","value":"a"}]}]}}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ResourceOverride","metadata":{"name":"it-ro-bad","namespace":"it-invalid"},
                   "spec":{"resourceSelectors":[{"group":"","version":"v1","kind":"Service","name":"s"}],
                           "policy":{"overrideRules":[{"clusterSelector":{"clusterSelectorTerms":[]},
                                     "jsonPatchOverrides":[{"op":"add","path":"/status/loadBalancer","value":{}}]}]}}}"#,
        names: &["/status"],
    },
    Case {
        what: "a backend weight of 1001",
        valid: r#"{"apiVersion":"networking.fleet.azure.com/v1alpha1","kind":"TrafficManagerBackend","metadata":{"name":"it-tmb","namespace":"it-invalid"},
                   "spec":{"profile":{"name":"p"},"backend":{"name":"b"},"weight":1000}}"#,
        invalid: r#"{"apiVersion":"networking.fleet.azure.com/v1alpha1","kind":"TrafficManagerBackend","metadata":{"name":"it-tmb-bad","namespace":"it-invalid"},
                   "spec":{"profile":{"name":"p"},"backend":{"name":"b"},"weight":1001}}"#,
        names: &["spec.weight"],
    },
    Case {
        what: "a staged update strategy waiting before a stage",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterStagedUpdateStrategy","metadata":{"name":"it-sus"},
                   "spec":{"stages":[{"name":"canary","labelSelector":{},"beforeStageTasks":[{"type":"Approval"}],
                                      "afterStageTasks":[{"type":"TimedWait","waitTime":"1m"},{"type":"Approval"}]}]}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterStagedUpdateStrategy","metadata":{"name":"it-sus-bad"},
                   "spec":{"stages":[{"name":"canary","labelSelector":{},"beforeStageTasks":[{"type":"TimedWait","waitTime":"1m"}]}]}}"#,
        names: &["beforeStageTasks", "BeforeStageTaskType cannot be TimedWait"],
    },
    Case {
        what: "two stages of one name",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"StagedUpdateStrategy","metadata":{"name":"it-sus-names","namespace":"it-invalid"},
                   "spec":{"stages":[{"name":"east"},{"name":"west"}]}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"StagedUpdateStrategy","metadata":{"name":"it-sus-names-bad","namespace":"it-invalid"},
                   "spec":{"stages":[{"name":"east"},{"name":"east"}]}}"#,
        names: &["spec.stages", "stage names must be unique"],
    },
    Case {
        what: "a run stage concurrency of 0",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1","kind":"ClusterStagedUpdateStrategy","metadata":{"name":"it-sus-mc"},
                   "spec":{"stages":[{"name":"all","labelSelector":{},"maxConcurrency":"50%"}]}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1","kind":"ClusterStagedUpdateStrategy","metadata":{"name":"it-sus-mc-bad"},
                   "spec":{"stages":[{"name":"all","labelSelector":{},"maxConcurrency":0}]}}"#,
        names: &["maxConcurrency", "maxConcurrency must be at least 1"],
    },
    Case {
        what: "an update run in an unknown state",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterStagedUpdateRun","metadata":{"name":"it-run"},
                   "spec":{"placementName":"x","stagedRolloutStrategyName":"it-sus"}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterStagedUpdateRun","metadata":{"name":"it-run-bad"},
                   "spec":{"placementName":"x","stagedRolloutStrategyName":"it-sus","state":"Go"}}"#,
        names: &["spec.state", "Go"],
    },
    Case {
        what: "a disruption budget with both fields",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterResourcePlacementDisruptionBudget","metadata":{"name":"it-pdb"},
                   "spec":{"minAvailable":1}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1beta1","kind":"ClusterResourcePlacementDisruptionBudget","metadata":{"name":"it-pdb-bad"},
                   "spec":{"minAvailable":1,"maxUnavailable":1}}"#,
        names: &["spec", "Both MaxUnavailable and MinAvailable cannot be specified"],
    },
    Case {
        what: "an adoption naming namespaces both ways",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourceAdoption","metadata":{"name":"it-crad"},
                   "spec":{"clusterName":"nowhere","namespaces":{"names":["app"]},"mode":"DryRun"}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourceAdoption","metadata":{"name":"it-crad-bad"},
                   "spec":{"clusterName":"nowhere","namespaces":{"names":["app"],"selector":{}},"mode":"DryRun"}}"#,
        names: &["spec.namespaces", "exactly one of names and selector must be set"],
    },
    Case {
        what: "migration steps that do not increase",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"traffic":{"backendRef":{"kind":"TrafficManagerBackend","name":"b","namespace":"app"},"steps":[{"weight":0},{"weight":50},{"weight":100}]}}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm-bad"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"traffic":{"backendRef":{"kind":"TrafficManagerBackend","name":"b","namespace":"app"},"steps":[{"weight":0},{"weight":50},{"weight":50},{"weight":100}]}}}"#,
        names: &["spec.traffic.steps", "steps' weights must increase"],
    },
    Case {
        what: "a migration step above 100",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm-w"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"traffic":{"backendRef":{"kind":"TrafficManagerBackend","name":"b","namespace":"app"},"steps":[{"weight":100}]}}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm-w-bad"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"traffic":{"backendRef":{"kind":"TrafficManagerBackend","name":"b","namespace":"app"},"steps":[{"weight":0},{"weight":150}]}}}"#,
        names: &["spec.traffic.steps", "each step's weight is a percentage, 0 to 100"],
    },
    Case {
        what: "a Probe gate without its probe",
        valid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm-g"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"healthGates":[{"type":"Probe","probe":{"url":"/","minSuccessRatio":"0.99"}}]}}"#,
        invalid: r#"{"apiVersion":"placement.kubernetes-fleet.io/v1alpha1","kind":"ClusterResourcePlacementMigration","metadata":{"name":"it-crpm-g-bad"},"spec":{"placementName":"web","from":{"clusterNames":["member-1"]},"to":{"clusterNames":["member-2"]},"healthGates":[{"type":"Probe"}]}}"#,
        names: &["spec.healthGates[0]", "a Probe gate needs probe"],
    },
];

#[tokio::test]
async fn invalid_objects_are_refused_with_a_message_naming_the_field() {
    let client = fleet().hub.client().await;
    create_namespace(&client, "it-invalid").await;
    refused_naming_fields(client, CASES).await;
}

fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(assets::binary(assets::KUBECTL).unwrap())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn header(table: &str) -> Vec<String> {
    table.lines().next().unwrap_or_default().split_whitespace().map(String::from).collect()
}

#[tokio::test]
async fn kubectl_prints_kubefleet_columns() {
    let hub = &fleet().hub;
    let client = hub.client().await;
    create_namespace(&client, "it-columns").await;
    Applier::new(client)
        .apply_yaml(
            r#"
apiVersion: cluster.kubernetes-fleet.io/v1beta1
kind: MemberCluster
metadata: {name: it-columns}
spec:
  identity: {kind: User, name: it-columns, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: networking.fleet.azure.com/v1alpha1
kind: TrafficManagerProfile
metadata: {name: it-columns, namespace: it-columns}
spec:
  monitorConfig: {port: 80}
"#,
        )
        .await
        .unwrap();
    let mc = kubectl(&hub.kubeconfig, &["get", "membercluster", "it-columns"]);
    assert_eq!(
        header(&mc),
        ["NAME", "JOINED", "AGE", "MEMBER-AGENT-LAST-SEEN", "NODE-COUNT", "AVAILABLE-CPU", "AVAILABLE-MEMORY"]
    );
    let tmp = kubectl(&hub.kubeconfig, &["get", "tmp", "-n", "it-columns"]);
    assert_eq!(header(&tmp), ["NAME", "DNS-NAME", "IS-PROGRAMMED", "AGE"]);
    // Defaults are applied by the API server, as KubeFleet users see them.
    let hb = kubectl(
        &hub.kubeconfig,
        &["get", "membercluster", "it-columns", "-o", "jsonpath={.spec.heartbeatPeriodSeconds}"],
    );
    assert_eq!(hb, "60");
}

#[tokio::test]
async fn agents_serve_health_readiness_and_metrics() {
    let f = fleet();
    let agents =
        std::iter::once(("hub-agent", f.hub_agent)).chain(f.member_agents.iter().map(|(_, a)| ("member-agent", *a)));
    for (agent, addr) in agents {
        assert_eq!(probe::get(addr, "/healthz").await.unwrap().0, 200, "{agent}");
        assert_eq!(probe::get(addr, "/readyz").await.unwrap().0, 200, "{agent} is ready");
        let (code, body) = probe::get(addr, "/metrics").await.unwrap();
        assert_eq!(code, 200, "{agent}");
        assert!(body.contains(&format!(r#"flotilla_build_info{{agent="{agent}""#)), "{agent}: {body}");
        // One registration in the runtime serves both agents' request counts.
        assert!(body.contains(r#"flotilla_api_requests_total{method="WATCH"}"#), "{agent}: {body}");
    }
    // Members have joined, so the membership controller has reconciled and timed it.
    let (_, body) = probe::get(f.hub_agent, "/metrics").await.unwrap();
    assert!(body.contains(r#"flotilla_reconcile_duration_seconds_count{controller="membercluster"}"#), "{body}");
}

#[tokio::test]
async fn an_agent_that_cannot_reach_its_api_server_fails_with_a_clear_error() {
    let f = fleet();
    let bad = f.dir.join("it-unreachable.kubeconfig");
    let text = std::fs::read_to_string(&f.hub.kubeconfig)
        .unwrap()
        .replace(&f.hub.server, &format!("https://127.0.0.1:{}", free_port()));
    std::fs::write(&bad, text).unwrap();
    let out = tokio::process::Command::new(assets::workspace_binary("hub-agent").unwrap())
        .args([format!("--kubeconfig={}", bad.display()), "--admin-address=127.0.0.1:0".into()])
        .output();
    let out = tokio::time::timeout(TIMEOUT, out).await.expect("hub-agent gives up").unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reaching the hub API server"), "{stderr}");
}
