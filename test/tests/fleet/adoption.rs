//! Adopting a namespace that runs on member-1 (kwok nodes: its Pods run):
//! a dry run plans and changes nothing, Adopt takes it over with no Pod
//! replaced or restarted, a hub edit rolls out, release hands it back.

use std::collections::BTreeMap;

use apis::{
    conditions::{self, placement as p},
    placement::{AdoptionPhase, AdoptionResult, ClusterResourceAdoption, ClusterResourcePlacement, ResourceExport},
};
use fleet::{apply::Applier, shared::fleet, wait};
use k8s_openapi::api::{
    apps::v1::{Deployment, StatefulSet},
    core::v1::{Namespace, Pod},
};
use kube::{
    Api, Client, ResourceExt,
    api::{DynamicObject, ListParams, Patch, PatchParams},
};
use serde_json::json;

use crate::support::{TIMEOUT, wait_object};

const NS: &str = "it-adopt";

/// The application as it runs on member-1 before the fleet knows of it.
const APP: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: it-adopt}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: it-adopt}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: "nginx:1.27", env: [{name: MODE, value: blue}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: it-adopt}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: it-adopt}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: it-adopt}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: credentials, namespace: it-adopt}
stringData: {password: s3cret}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: it-adopt}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: it-adopt}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-reads, namespace: it-adopt}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: web, namespace: it-adopt}]
"#;

async fn pods(member: &Client) -> BTreeMap<String, (String, i32)> {
    fleet::pods::identities(member, NS).await.unwrap()
}

async fn wait_phase(hub: &Client, name: &str, phase: AdoptionPhase) -> ClusterResourceAdoption {
    let api: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    let got = wait::until(&format!("adoption {name} {phase:?}"), TIMEOUT, || async {
        let a = api.get(name).await?;
        let now = a.status.as_ref().and_then(|s| s.phase);
        Ok((now == Some(phase)).then_some(a))
    })
    .await;
    match got {
        Ok(a) => a,
        Err(e) => {
            let crp = Api::<ClusterResourcePlacement>::all(hub.clone()).get_opt(name).await.ok().flatten();
            let crp = crp.and_then(|c| c.status).map(|s| (s.conditions, s.placement_statuses));
            let log = std::fs::read_to_string(fleet().dir.join("hub-agent.log")).unwrap_or_default();
            let log: Vec<&str> = log.lines().filter(|l| l.contains("adopt")).collect();
            let log = log[log.len().saturating_sub(30)..].join("\n");
            panic!(
                "{e:#}\nstatus: {:#?}\nplacement: {crp:#?}\nhub agent:\n{log}",
                api.get(name).await.ok().and_then(|a| a.status)
            )
        }
    }
}

/// Every fleet trace on a live object: AppliedWork owners, `kubernetes-fleet.io/` keys.
fn fleet_traces(o: &DynamicObject) -> Vec<String> {
    let mut out: Vec<String> = (o.metadata.owner_references.iter().flatten())
        .filter(|r| r.kind == "AppliedWork")
        .map(|r| format!("owner {}", r.name))
        .collect();
    for (what, m) in [("label", &o.metadata.labels), ("annotation", &o.metadata.annotations)] {
        out.extend(
            m.iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("kubernetes-fleet.io/"))
                .map(|(k, _)| format!("{what} {k}")),
        );
    }
    out
}

#[tokio::test]
async fn a_namespace_is_planned_adopted_without_restarts_edited_from_the_hub_and_handed_back() {
    let f = fleet();
    let (hub, member) = (f.hub.client().await, f.members[0].client().await);
    let mut on_member = Applier::new(member.clone());
    let app = on_member.apply_yaml(APP).await.unwrap();
    let deployments: Api<Deployment> = Api::namespaced(member.clone(), NS);
    wait_object(&deployments, "web", "web running on member-1", |d| {
        d.and_then(|d| d.status.as_ref()).and_then(|s| s.available_replicas) == Some(2)
    })
    .await;
    wait_object(&Api::<StatefulSet>::namespaced(member.clone(), NS), "db", "db running on member-1", |s| {
        s.and_then(|s| s.status.as_ref()).and_then(|s| s.ready_replicas) == Some(1)
    })
    .await;
    let before = pods(&member).await;
    assert_eq!(before.len(), 3, "{before:?}");

    // A dry run: every object and its fate, nothing changed anywhere.
    let adoptions: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    let crad: ClusterResourceAdoption = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
        "metadata": {"name": NS},
        "spec": {"clusterName": "member-1", "namespaces": {"names": [NS]}, "mode": "DryRun",
                 "verification": {"observationSeconds": 3, "maxPodRestarts": 0}}}))
    .unwrap();
    adoptions.create(&Default::default(), &crad).await.unwrap();
    let planned = wait_phase(&hub, NS, AdoptionPhase::Diffing).await;
    let status = planned.status.unwrap();
    let fate = |kind: &str, name: &str| {
        status.resources.iter().find(|r| r.reference.kind == kind && r.reference.name == name).map(|r| r.result)
    };
    for (kind, name) in [
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("Service", "web"),
        ("ConfigMap", "settings"),
        ("Secret", "credentials"),
        ("ServiceAccount", "web"),
        ("Role", "reader"),
        ("RoleBinding", "web-reads"),
    ] {
        assert_eq!(fate(kind, name), Some(AdoptionResult::Planned), "{kind} {name}: {:?}", status.resources);
    }
    let excluded: Vec<&str> = (status.resources.iter())
        .filter(|r| r.result == AdoptionResult::Excluded)
        .map(|r| r.reference.kind.as_str())
        .collect();
    assert!(excluded.contains(&"ReplicaSet") && excluded.contains(&"Pod"), "{excluded:?}");
    let svc = status.resources.iter().find(|r| r.reference.kind == "Service").unwrap();
    assert!(svc.diff_paths.contains(&"spec.clusterIP".to_string()), "{:?}", svc.diff_paths);
    let diffed = conditions::find(&status.conditions, p::ADOPTION_DIFFED).unwrap();
    assert_eq!(diffed.reason, p::REASON_ADOPTION_DRY_RUN);
    assert!(
        Api::<Namespace>::all(hub.clone()).get_opt(NS).await.unwrap().is_none(),
        "a dry run creates nothing on the hub"
    );
    assert!(Api::<ClusterResourcePlacement>::all(hub.clone()).get_opt(NS).await.unwrap().is_none());
    let web = deployments.get("web").await.unwrap();
    assert!(!web.owner_references().iter().any(|r| r.kind == "AppliedWork"), "a dry run takes nothing");

    // Adopt: taken over, every Pod kept.
    let asked = std::time::Instant::now();
    adoptions.patch(NS, &PatchParams::default(), &Patch::Merge(json!({"spec": {"mode": "Adopt"}}))).await.unwrap();
    let adopted = wait_phase(&hub, NS, AdoptionPhase::Adopted).await;
    let took = asked.elapsed();
    let status = adopted.status.unwrap();
    assert_eq!(fate_of(&status, "Deployment", "web"), Some(AdoptionResult::Adopted));
    assert!(status.adopted_count >= 8, "{}", status.adopted_count);
    assert!(conditions::is_true(&status.conditions, p::ADOPTION_WORKLOADS_UNDISTURBED));
    let web_pods = &status.workloads.iter().find(|w| w.kind == "Deployment").unwrap();
    assert_eq!(web_pods.before.len(), 2);
    assert_eq!(Some(&web_pods.before), web_pods.after.as_ref());
    assert_eq!(pods(&member).await, before, "no Pod replaced or restarted");
    let web = deployments.get("web").await.unwrap();
    assert!(web.owner_references().iter().any(|r| r.kind == "AppliedWork"), "the fleet owns it now");
    let (start, end) = (status.start_time.clone().unwrap().0, status.completion_time.clone().unwrap().0);
    eprintln!(
        "adoption of {NS}: mode Adopt → phase Adopted in {:.1}s as the test saw it, {:.1}s from the takeover's start \
         to verified (3s of it observing), {} Pods, 0 restarts",
        took.as_secs_f64(),
        end.duration_since(start).as_secs_f64(),
        before.len()
    );
    // An adoption cannot go back to a dry run.
    match adoptions.patch(NS, &PatchParams::default(), &Patch::Merge(json!({"spec": {"mode": "DryRun"}}))).await {
        Err(kube::Error::Api(s)) => {
            assert!(s.code == 422 && s.message.contains("mode may only change from DryRun to Adopt"), "{s:?}")
        }
        other => panic!("mode went back to DryRun: {other:?}"),
    }

    // An ordinary placement now: an edit on the hub reaches member-1.
    let envelopes = Api::<DynamicObject>::namespaced_with(
        hub.clone(),
        NS,
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "placement.kubernetes-fleet.io",
            "v1beta1",
            "ResourceEnvelope",
        )),
    );
    let mut env = envelopes.get("adopted-deployment-web").await.unwrap();
    env.data["data"]["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] =
        json!("green");
    envelopes.replace("adopted-deployment-web", &Default::default(), &env).await.unwrap();
    wait_object(&deployments, "web", "the hub's edit on member-1", |d| {
        let env =
            d.and_then(|d| d.spec.as_ref()).and_then(|s| s.template.spec.as_ref()).map(|s| s.containers[0].env.clone());
        env.flatten().is_some_and(|e| e.iter().any(|v| v.value.as_deref() == Some("green")))
    })
    .await;

    // Release: the app keeps running, nothing of the fleet stays on it or on the hub.
    adoptions.patch(NS, &PatchParams::default(), &Patch::Merge(json!({"spec": {"release": true}}))).await.unwrap();
    wait_phase(&hub, NS, AdoptionPhase::Released).await;
    let mut leftovers = Vec::new();
    for o in &app {
        let api = on_member.api_for(o).await.unwrap();
        let live = api.get(&o.name_any()).await.expect("still on member-1");
        leftovers.extend(
            fleet_traces(&live)
                .into_iter()
                .map(|t| format!("{} {}: {t}", o.types.as_ref().unwrap().kind, o.name_any())),
        );
    }
    assert!(leftovers.is_empty(), "{leftovers:?}");
    wait_object(&Api::<Namespace>::all(hub.clone()), NS, "the hub's copy gone", |n| n.is_none()).await;
    assert!(Api::<ClusterResourcePlacement>::all(hub.clone()).get_opt(NS).await.unwrap().is_none());
    let exports: Api<ResourceExport> = Api::namespaced(hub.clone(), "fleet-member-member-1");
    assert!(exports.get_opt(&format!("adoption-{NS}")).await.unwrap().is_none());
    let web = deployments.get("web").await.unwrap();
    assert_eq!(web.status.and_then(|s| s.available_replicas), Some(2), "still running");
}

fn fate_of(status: &apis::placement::AdoptionStatus, kind: &str, name: &str) -> Option<AdoptionResult> {
    status.resources.iter().find(|r| r.reference.kind == kind && r.reference.name == name).map(|r| r.result)
}

#[tokio::test]
async fn a_pod_replaced_while_the_adoption_watches_fails_it_and_hands_everything_back() {
    let f = fleet();
    let (hub, member) = (f.hub.client().await, f.members[2].client().await);
    let ns = "it-adopt-disturbed";
    let mut on_member = Applier::new(member.clone());
    on_member
        .apply_yaml(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: {ns}}}\n\
             spec: {{replicas: 1, selector: {{matchLabels: {{app: api}}}}, template: {{metadata: {{labels: {{app: api}}}}, \
             spec: {{containers: [{{name: api, image: 'nginx:1.27'}}]}}}}}}\n"
        ))
        .await
        .unwrap();
    let deployments: Api<Deployment> = Api::namespaced(member.clone(), ns);
    wait_object(&deployments, "api", "api running on member-3", |d| {
        d.and_then(|d| d.status.as_ref()).and_then(|s| s.available_replicas) == Some(1)
    })
    .await;
    let adoptions: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    let a: ClusterResourceAdoption = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
        "metadata": {"name": ns},
        "spec": {"clusterName": "member-3", "namespaces": {"names": [ns]}, "verification": {"observationSeconds": 20}}}))
    .unwrap();
    adoptions.create(&Default::default(), &a).await.unwrap();
    wait_phase(&hub, ns, AdoptionPhase::Verifying).await;
    // Someone deletes the Pod while the adoption watches: its Deployment makes another.
    let pods: Api<Pod> = Api::namespaced(member.clone(), ns);
    for p in pods.list(&ListParams::default()).await.unwrap() {
        pods.delete(&p.name_any(), &Default::default()).await.unwrap();
    }
    let failed = wait_phase(&hub, ns, AdoptionPhase::Failed).await.status.unwrap();
    let c = conditions::find(&failed.conditions, p::ADOPTION_WORKLOADS_UNDISTURBED).unwrap();
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", p::REASON_ADOPTION_DISTURBED));
    assert!(c.message.contains("was replaced"), "{}", c.message);
    assert!(conditions::is_true(&failed.conditions, p::ADOPTION_RELEASED), "released by itself");
    let api = deployments.get("api").await.unwrap();
    assert!(!api.owner_references().iter().any(|r| r.kind == "AppliedWork"), "handed back");
    wait_object(&Api::<Namespace>::all(hub.clone()), ns, "the hub's copy gone", |n| n.is_none()).await;
}

#[tokio::test]
async fn a_namespace_placed_from_the_hub_or_holding_an_object_too_large_to_export_is_not_adopted() {
    let f = fleet();
    let (hub, member) = (f.hub.client().await, f.members[1].client().await);
    // A namespace the hub already places on member-2.
    crate::support::create_namespace(&hub, "it-adopt-placed").await;
    let c = crate::support::crp(
        "it-adopt-placed",
        json!({"resourceSelectors": crate::support::namespace_selector("it-adopt-placed"),
               "policy": {"placementType": "PickFixed", "clusterNames": ["member-2"]}}),
    );
    crate::support::create_crp(&hub, &c).await;
    crate::support::wait_condition(&hub, "it-adopt-placed", p::CRP_AVAILABLE, "True").await;
    // A namespace on member-2 with a ConfigMap the member will not export.
    let mut on_member = Applier::new(member.clone());
    let big = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: it-adopt-big}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: it-adopt-big}}\ndata: {{blob: \"{}\"}}\n",
        "x".repeat(300 * 1024)
    );
    on_member.apply_yaml(&big).await.unwrap();

    let adoptions: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    for (name, ns) in [("it-adopt-placed", "it-adopt-placed"), ("it-adopt-big", "it-adopt-big")] {
        let a: ClusterResourceAdoption = serde_json::from_value(json!({
            "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
            "metadata": {"name": name}, "spec": {"clusterName": "member-2", "namespaces": {"names": [ns]},
                                                 "placementName": format!("{name}-adopted")}}))
        .unwrap();
        adoptions.create(&Default::default(), &a).await.unwrap();
    }
    let placed = wait_phase(&hub, "it-adopt-placed", AdoptionPhase::Failed).await.status.unwrap();
    let c = conditions::find(&placed.conditions, p::ADOPTION_DISCOVERED).unwrap();
    assert_eq!(c.reason, p::REASON_ADOPTION_NAMESPACE_ON_HUB);
    assert!(c.message.contains("placed by ClusterResourcePlacement it-adopt-placed"), "{}", c.message);
    let big = wait_phase(&hub, "it-adopt-big", AdoptionPhase::Failed).await.status.unwrap();
    let c = conditions::find(&big.conditions, p::ADOPTION_DISCOVERED).unwrap();
    assert_eq!(c.reason, p::REASON_ADOPTION_NOT_EXPORTABLE);
    assert!(c.message.contains("ConfigMap it-adopt-big/big cannot be exported: too large to export"), "{}", c.message);
    let cm = big.resources.iter().find(|r| r.reference.name == "big").unwrap();
    assert_eq!(cm.result, AdoptionResult::Failed);
    // Nothing changed: no placement made, the hub's own placement untouched, nothing taken on the member.
    let crps: Api<ClusterResourcePlacement> = Api::all(hub.clone());
    for name in ["it-adopt-placed-adopted", "it-adopt-big-adopted"] {
        assert!(crps.get_opt(name).await.unwrap().is_none(), "{name}");
    }
    assert!(Api::<Namespace>::all(hub.clone()).get_opt("it-adopt-big").await.unwrap().is_none());
    let cm = Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(member.clone(), "it-adopt-big")
        .get("big")
        .await
        .unwrap();
    assert!(cm.metadata.owner_references.is_none());
}

#[tokio::test]
async fn adopting_from_a_cluster_not_in_the_fleet_or_a_missing_namespace_changes_nothing() {
    let hub = fleet().hub.client().await;
    let adoptions: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    let make = |name: &str, cluster: &str, ns: &str| -> ClusterResourceAdoption {
        serde_json::from_value(json!({
            "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
            "metadata": {"name": name}, "spec": {"clusterName": cluster, "namespaces": {"names": [ns]}}}))
        .unwrap()
    };
    adoptions.create(&Default::default(), &make("it-adopt-nowhere", "nowhere", "app")).await.unwrap();
    adoptions.create(&Default::default(), &make("it-adopt-missing", "member-2", "it-no-such-namespace")).await.unwrap();
    let pending = wait_phase(&hub, "it-adopt-nowhere", AdoptionPhase::Pending).await.status.unwrap();
    let c = conditions::find(&pending.conditions, p::ADOPTION_DISCOVERED).unwrap();
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", p::REASON_ADOPTION_CLUSTER_NOT_JOINED));
    let failed = wait_phase(&hub, "it-adopt-missing", AdoptionPhase::Failed).await.status.unwrap();
    let c = conditions::find(&failed.conditions, p::ADOPTION_DISCOVERED).unwrap();
    assert_eq!(c.reason, p::REASON_ADOPTION_NOT_EXPORTABLE);
    assert!(c.message.contains("namespace it-no-such-namespace does not exist on cluster member-2"), "{}", c.message);
    assert!(Api::<ClusterResourcePlacement>::all(hub.clone()).get_opt("it-adopt-missing").await.unwrap().is_none());
}

#[tokio::test]
async fn a_dry_run_by_namespace_selector_plans_the_labelled_namespaces_only() {
    let f = fleet();
    let (hub, member) = (f.hub.client().await, f.members[2].client().await);
    let mut on_member = Applier::new(member.clone());
    on_member
        .apply_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: it-adopt-sel-a, labels: {it-team: sel}}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: it-adopt-sel-a}\ndata: {k: v}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata: {name: it-adopt-sel-b, labels: {it-team: other}}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: it-adopt-sel-b}\ndata: {k: v}\n",
        )
        .await
        .unwrap();
    let a: ClusterResourceAdoption = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
        "metadata": {"name": "it-adopt-sel"},
        "spec": {"clusterName": "member-3", "namespaces": {"selector": {"matchLabels": {"it-team": "sel"}}}, "mode": "DryRun"}}))
    .unwrap();
    Api::<ClusterResourceAdoption>::all(hub.clone()).create(&Default::default(), &a).await.unwrap();
    let status = wait_phase(&hub, "it-adopt-sel", AdoptionPhase::Diffing).await.status.unwrap();
    let planned: Vec<(&str, &str)> = (status.resources.iter())
        .filter(|r| r.result == AdoptionResult::Planned)
        .map(|r| (r.reference.namespace.as_str(), r.reference.name.as_str()))
        .collect();
    assert!(planned.contains(&("it-adopt-sel-a", "a")), "{planned:?}");
    assert!(planned.iter().all(|(ns, _)| *ns == "it-adopt-sel-a"), "only the labelled namespace: {planned:?}");
}
