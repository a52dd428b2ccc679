//! Adoption tests that need a fleet of their own (one real member):
//! - Kosmos's PromotePolicy applied as the seeds write it (seed 000's
//!   manifests from config/samples, unchanged), the member labelled with the
//!   Kosmos cluster name the seed uses, so the shared fleet's sample test
//!   (which applies the same manifests) never promotes anything;
//! - a resource the member cannot list, which would stall every namespace
//!   deletion on a shared member while it exists.

use std::collections::BTreeMap;

use apis::{kosmos::PromotePolicy, labels, placement::ClusterResourceAdoption};
use fleet::{apply::Applier, assets, shared::fleet_of, wait};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Namespace};
use kube::{
    Api, Client, ResourceExt,
    api::{DynamicObject, Patch, PatchParams, PostParams},
};
use serde_json::json;

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);
/// One test at a time on the member: while the unlistable resource exists,
/// every list of it fails, so another test's export would fail too.
static MEMBER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// Where the test applies the policies (the seeds name no namespace).
const POLICIES: &str = "it-kosmos";

/// Seed 000's application, as it runs on the member before the promotion.
const NGINX: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: nginx-test}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: nginx-test
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 1
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14-alpine
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: nginx-service
  namespace: nginx-test
spec:
  selector:
    app: nginx
  ports:
  - protocol: TCP
    port: 80
    targetPort: 80
  type: ClusterIP
"#;

/// A resource whose served version (v2, preferred) needs a conversion
/// webhook that does not answer, so objects stored as v1 cannot be listed.
const UNLISTABLE: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.it.flotilla.dev}
spec:
  group: it.flotilla.dev
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {url: "https://127.0.0.1:1/convert"}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: v1
kind: Namespace
metadata: {name: it-adopt-unlistable}
"#;

async fn phase(api: &Api<PromotePolicy>, name: &str, want: &str) -> PromotePolicy {
    let got = wait::until(&format!("PromotePolicy {name} {want}"), TIMEOUT, || async {
        let p = api.get(name).await?;
        Ok((p.status.as_ref().is_some_and(|s| s.phase == want)).then_some(p))
    })
    .await;
    match got {
        Ok(p) => p,
        Err(e) => {
            let hub = fleet_of(1).hub.client().await;
            let adoption = format!("promotepolicy-{POLICIES}-{name}");
            let a = Api::<ClusterResourceAdoption>::all(hub.clone()).get_opt(&adoption).await.ok().flatten();
            let crp =
                Api::<apis::placement::ClusterResourcePlacement>::all(hub).get_opt(&adoption).await.ok().flatten();
            let log = std::fs::read_to_string(fleet_of(1).dir.join("hub-agent.log")).unwrap_or_default();
            let log: Vec<&str> = log.lines().filter(|l| l.contains("adopt") || l.contains("export")).collect();
            eprintln!("hub agent:\n{}", log[log.len().saturating_sub(40)..].join("\n"));
            panic!(
                "{e:#}\nnow: {:#?}\nadoption: {:#?}\nplacement: {:#?}",
                api.get(name).await.ok().and_then(|p| p.status),
                a.and_then(|a| a.status).map(|s| (s.phase, s.verification_round, s.conditions)),
                crp.and_then(|c| c.status).map(|s| (s.conditions, s.placement_statuses))
            )
        }
    }
}

/// Applies a sample file as written, in namespace `POLICIES`.
async fn apply_sample(hub: &Client, file: &str) {
    let text = std::fs::read_to_string(assets::repo_root().join("config/samples").join(file)).unwrap();
    let mut applier = Applier::new(hub.clone());
    for mut obj in fleet::apply::parse(&text).unwrap() {
        obj.metadata.namespace = Some(POLICIES.into());
        applier.apply(&obj).await.unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

async fn pods(member: &Client) -> BTreeMap<String, (String, i32)> {
    fleet::pods::identities(member, "nginx-test").await.unwrap()
}

#[tokio::test]
async fn the_seed_promote_policy_promotes_nginx_without_restarts_and_its_rollback_hands_it_back() {
    let _member = MEMBER.lock().await;
    let f = fleet_of(1);
    let (hub, member) = (f.hub.client().await, f.members[0].client().await);
    let mut on_member = Applier::new(member.clone());
    let app = on_member.apply_yaml(NGINX).await.unwrap();
    let deployments: Api<Deployment> = Api::namespaced(member.clone(), "nginx-test");
    wait::until("nginx running on the member", TIMEOUT, || async {
        let d = deployments.get("nginx").await?;
        Ok((d.status.and_then(|s| s.available_replicas) == Some(1)).then_some(()))
    })
    .await
    .unwrap();
    let before = pods(&member).await;

    let ns = Namespace {
        metadata: kube::api::ObjectMeta { name: Some(POLICIES.into()), ..Default::default() },
        ..Default::default()
    };
    Api::<Namespace>::all(hub.clone()).create(&PostParams::default(), &ns).await.unwrap();

    let policies: Api<PromotePolicy> = Api::namespaced(hub.clone(), POLICIES);
    apply_sample(&hub, "kosmos_v1alpha1_promotepolicy_example.yaml").await;
    // No member is called cluster-36-28 yet: the policy waits, saying so.
    let waiting = phase(&policies, "promote-policy-example", "Prechecking").await.status.unwrap();
    assert!(waiting.precheck_errors.unwrap_or_default().join("").contains("cluster cluster-36-28 is not a member"));
    // The seed's cluster name becomes the member's by a label, which wakes the policy.
    let members: Api<apis::cluster::MemberCluster> = Api::all(hub.clone());
    let patch = json!({"metadata": {"labels": {labels::KOSMOS_CLUSTER_NAME: "cluster-36-28"}}});
    members.patch(&f.members[0].name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let done = phase(&policies, "promote-policy-example", "Completed").await.status.unwrap();
    let progress = done.progress.unwrap();
    assert!(progress.items_backed_up >= 2 && progress.items_backed_up == progress.total_items, "{progress:?}");
    assert!(done.start_timestamp.is_some() && done.completion_timestamp.is_some());
    assert_eq!(pods(&member).await, before, "no Pod replaced or restarted");
    let nginx = deployments.get("nginx").await.unwrap();
    assert!(nginx.owner_references().iter().any(|r| r.kind == "AppliedWork"), "the fleet holds it");
    let adoption = Api::<ClusterResourceAdoption>::all(hub.clone())
        .get("promotepolicy-it-kosmos-promote-policy-example")
        .await
        .unwrap();
    assert_eq!(adoption.spec.cluster_name, f.members[0].name);

    // The seed's rollback manifest, applied as written.
    apply_sample(&hub, "kosmos_v1alpha1_promotepolicy_rollback.yaml").await;
    phase(&policies, "promote-policy-example", "RolledBack").await;
    for o in &app {
        let api = on_member.api_for(o).await.unwrap();
        let live: DynamicObject = api.get(&o.name_any()).await.expect("still on the member");
        let owned = live.metadata.owner_references.iter().flatten().any(|r| r.kind == "AppliedWork");
        let marked = (live.metadata.annotations.iter().flatten())
            .chain(live.metadata.labels.iter().flatten())
            .any(|(k, _)| k.starts_with("kubernetes-fleet.io/"));
        assert!(!owned && !marked, "{} still carries the fleet: {:?}", o.name_any(), live.metadata);
    }
    assert_eq!(pods(&member).await, before, "rolled back without a restart either");
    wait::until("the hub's copy gone", TIMEOUT, || async {
        Ok(Api::<Namespace>::all(hub.clone()).get_opt("nginx-test").await?.is_none().then_some(()))
    })
    .await
    .unwrap();

    // The other seed policy names a cluster the fleet does not have: it waits, saying why.
    apply_sample(&hub, "kosmos_v1alpha1_promotepolicy.yaml").await;
    let waiting = phase(&policies, "promote-policy-sample", "Prechecking").await.status.unwrap();
    let why = waiting.precheck_errors.unwrap_or_default().join("; ");
    assert!(why.contains("cluster member-cluster1 is not a member of the fleet"), "{why}");
}

#[tokio::test]
async fn a_namespace_holding_an_object_the_member_cannot_list_is_not_adopted_and_nothing_changes() {
    let _member = MEMBER.lock().await;
    let f = fleet_of(1);
    let (hub, member) = (f.hub.client().await, f.members[0].client().await);
    let mut on_member = Applier::new(member.clone());
    on_member.apply_yaml(UNLISTABLE).await.unwrap();
    let widgets =
        kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk("it.flotilla.dev", "v1", "Widget"));
    let in_ns: Api<DynamicObject> = Api::namespaced_with(member.clone(), "it-adopt-unlistable", &widgets);
    wait::until("the Widget CRD established", TIMEOUT, || async {
        let w = DynamicObject::new("w", &widgets).within("it-adopt-unlistable").data(json!({"spec": {"size": 1}}));
        Ok(in_ns.create(&Default::default(), &w).await.ok().map(|_| ()))
    })
    .await
    .unwrap();
    let a: ClusterResourceAdoption = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1alpha1", "kind": "ClusterResourceAdoption",
        "metadata": {"name": "it-adopt-unlistable"},
        "spec": {"clusterName": f.members[0].name, "namespaces": {"names": ["it-adopt-unlistable"]}}}))
    .unwrap();
    let adoptions: Api<ClusterResourceAdoption> = Api::all(hub.clone());
    adoptions.create(&Default::default(), &a).await.unwrap();
    let failed = wait::until("the adoption refused", TIMEOUT, || async {
        let a = adoptions.get("it-adopt-unlistable").await?;
        Ok(a.status.filter(|s| s.phase == Some(apis::placement::AdoptionPhase::Failed)))
    })
    .await
    .unwrap();
    let c = apis::conditions::find(&failed.conditions, apis::conditions::placement::ADOPTION_DISCOVERED).unwrap();
    assert_eq!(c.reason, apis::conditions::placement::REASON_ADOPTION_NOT_EXPORTABLE);
    assert!(c.message.contains("could not export widgets.it.flotilla.dev: "), "{}", c.message);
    let crps: Api<apis::placement::ClusterResourcePlacement> = Api::all(hub.clone());
    assert!(crps.get_opt("it-adopt-unlistable").await.unwrap().is_none(), "no placement made");
    assert!(Api::<Namespace>::all(hub.clone()).get_opt("it-adopt-unlistable").await.unwrap().is_none());
    // Leave the member as found: a resource that cannot be listed stalls namespace deletion.
    in_ns.delete("w", &Default::default()).await.unwrap();
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(member.clone());
    crds.delete("widgets.it.flotilla.dev", &Default::default()).await.unwrap();
    wait::until("the Widget CRD gone", TIMEOUT, || async {
        Ok(crds.get_opt("widgets.it.flotilla.dev").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
}
