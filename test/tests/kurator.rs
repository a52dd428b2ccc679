//! Kurator's Migrate as seed 003 writes it (`config/samples/backup_v1alpha1_migrate.yaml`,
//! with member-3 added as a second target), on a hub and three members of its
//! own: the members carry the Kurator names the seed uses
//! (`flotilla.dev/kurator-cluster-name`), member-1 runs objects labelled
//! `app: busybox` and one that is not; the labelled ones appear on member-2
//! and member-3, the source's Pods keep their uids, and the status shows
//! the source and both targets as Kurator does.

use std::time::Duration;

use apis::{
    kurator::{Migrate, MigratePhase},
    labels,
};
use fleet::{Fleet, FleetOptions, apply::Applier, assets, pods, wait};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap};
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(120);
const NS: &str = "kurator-backup";

const BUSYBOX: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: kurator-backup}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: busybox, namespace: kurator-backup, labels: {app: busybox}}
spec:
  replicas: 2
  selector: {matchLabels: {app: busybox}}
  template:
    metadata: {labels: {app: busybox}}
    spec:
      containers: [{name: busybox, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: busybox-config, namespace: kurator-backup, labels: {app: busybox}}
data: {greeting: hello}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated, namespace: kurator-backup}
data: {stays: "on member-1"}
"#;

async fn label(hub: &Client, member: &str, kurator_name: &str) {
    let patch = json!({"metadata": {"labels": {labels::KURATOR_CLUSTER_NAME: kurator_name}}});
    Api::<apis::cluster::MemberCluster>::all(hub.clone())
        .patch(member, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap();
}

#[tokio::test]
async fn seed_003_migrate_copies_the_labelled_objects_to_both_targets_without_restarting_the_source() {
    let fleet =
        Fleet::start(FleetOptions { members: 3, nodes_per_member: 1, ..Default::default() }).await.expect("the fleet");
    let hub = fleet.hub.client().await.unwrap();
    let mut members = Vec::new();
    for m in &fleet.members {
        members.push(m.client().await.unwrap());
    }
    label(&hub, "member-1", "kurator-member1").await;
    label(&hub, "member-2", "kurator-member2").await;
    Applier::new(members[0].clone()).apply_yaml(BUSYBOX).await.unwrap();
    let before = wait::until("busybox's two Pods running on member-1", TIMEOUT, || async {
        let p = pods::identities(&members[0], NS).await?;
        Ok((p.len() == 2).then_some(p))
    })
    .await
    .unwrap();

    // The seed's Migrate, with member-3 as a second target.
    let mut sample: serde_json::Value = {
        let text =
            std::fs::read_to_string(assets::repo_root().join("config/samples/backup_v1alpha1_migrate.yaml")).unwrap();
        serde_saphyr::from_str(&text).unwrap()
    };
    sample["spec"]["targetCluster"]["clusters"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "member-3", "kind": "AttachedCluster"}));
    Applier::new(hub.clone()).apply_yaml(&serde_json::to_string(&sample).unwrap()).await.unwrap();

    let api = Api::<Migrate>::namespaced(hub.clone(), "default");
    let done = wait::until("the Migrate Completed", TIMEOUT, || async {
        let m = api.get("select-labels").await?;
        let phase = m.status.as_ref().and_then(|s| s.phase);
        anyhow::ensure!(
            phase != Some(MigratePhase::Failed) && phase != Some(MigratePhase::FailedValidation),
            "{:?}",
            m.status
        );
        Ok((phase == Some(MigratePhase::Completed)).then_some(m))
    })
    .await
    .unwrap();

    // Both targets run the labelled objects; the unlabelled one stays on member-1 only.
    for (i, m) in members.iter().enumerate().skip(1) {
        let deployments = Api::<Deployment>::namespaced(m.clone(), NS);
        let d = deployments.get_opt("busybox").await.unwrap().unwrap_or_else(|| panic!("busybox on member-{}", i + 1));
        assert_eq!(d.spec.unwrap().replicas, Some(2));
        let cms = Api::<ConfigMap>::namespaced(m.clone(), NS);
        assert!(cms.get_opt("busybox-config").await.unwrap().is_some(), "member-{}", i + 1);
        assert!(cms.get_opt("unrelated").await.unwrap().is_none(), "member-{}: not labelled, not migrated", i + 1);
    }
    assert!(Api::<ConfigMap>::namespaced(members[0].clone(), NS).get_opt("unrelated").await.unwrap().is_some());
    // The source was adopted in place: the same Pods, no restart.
    assert_eq!(pods::identities(&members[0], NS).await.unwrap(), before, "member-1's Pods are undisturbed");

    let st = done.status.unwrap();
    let source = st.source_cluster_status.unwrap();
    assert_eq!((source.cluster_name.as_str(), source.cluster_kind.as_str()), ("member-1", "AttachedCluster"));
    let backup = source.backup_status_in_cluster.unwrap();
    assert_eq!(backup.phase, "Completed");
    assert_eq!(backup.progress.unwrap().items_backed_up, 2, "the Deployment and its ConfigMap");
    let targets: Vec<(String, String)> = st
        .target_cluster_status
        .iter()
        .map(|t| (t.cluster_name.clone(), t.restore_status_in_cluster.as_ref().unwrap().phase.clone()))
        .collect();
    assert_eq!(targets, [("member-2".into(), "Completed".into()), ("member-3".into(), "Completed".into())]);
    assert_eq!(st.target_cluster_status[0].restore_name_in_cluster, "member-2-migrate-default-select-labels");
    assert!(st.conditions.iter().any(|c| c.type_ == "sourceReady" && c.status == "True"));

    // Deleting the Migrate leaves everything where it is.
    api.delete("select-labels", &Default::default()).await.unwrap();
    wait::until("the Migrate gone", TIMEOUT, || async {
        Ok(api.get_opt("select-labels").await?.is_none().then_some(()))
    })
    .await
    .unwrap();
    for m in &members {
        assert!(Api::<Deployment>::namespaced(m.clone(), NS).get_opt("busybox").await.unwrap().is_some());
    }
}
