//! Members join and leave on real API servers with RBAC on: each agent uses
//! its own identity, the hub grants it only its reserved namespace, and
//! leaving never touches what was placed on the member.

use std::time::Duration;

use apis::{
    cluster::{InternalMemberCluster, MemberCluster, properties},
    conditions::{self, cluster as c},
    finalizers, labels,
    placement::{ClusterResourcePlacement, Work},
};
use fleet::{ControlPlane, Role, agents, shared::fleet, wait};
use k8s_openapi::api::{
    authentication::v1::TokenRequest,
    core::v1::{ConfigMap, Namespace, Secret, ServiceAccount},
    rbac::v1::{Role as K8sRole, RoleBinding, Subject},
};
use kube::{
    Api, Client,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
};
use serde_json::json;

use crate::support::{TIMEOUT, create_namespace, metric};

async fn hub() -> Client {
    fleet().hub.client().await
}

fn agent_status_condition(
    mc: &MemberCluster,
    type_: &str,
) -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    let agent = mc.status.as_ref()?.agent_status.iter().find(|a| a.type_ == apis::cluster::AgentType::MemberAgent)?;
    conditions::find(&agent.conditions, type_).cloned()
}

async fn wait_gone(api: &Api<MemberCluster>, name: &str, timeout: Duration) {
    wait::until(&format!("MemberCluster {name} to be gone"), timeout, || async {
        Ok(api.get_opt(name).await?.is_none().then_some(()))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn members_join_with_properties_and_keep_heartbeating() {
    let client = hub().await;
    let mcs: Api<MemberCluster> = Api::all(client.clone());
    let mc = agents::wait_joined(&client, "member-1", TIMEOUT).await.unwrap();
    let status = mc.status.as_ref().unwrap();
    assert!(conditions::is_true(&status.conditions, c::READY_TO_JOIN));
    assert_eq!(status.properties[properties::NODE_COUNT].value, "2", "two kwok nodes");
    assert_eq!(status.properties[properties::TOTAL_CPU].value, "4000m");
    assert!(status.properties.contains_key(properties::AVAILABLE_MEMORY));
    assert_eq!(status.resource_usage.allocatable["cpu"].0, "4000m");
    assert_eq!(agent_status_condition(&mc, c::HEALTHY).unwrap().status, "True");
    assert!(mc.metadata.finalizers.as_ref().unwrap().contains(&finalizers::MEMBER_CLUSTER.to_string()));
    assert_eq!(mc.metadata.labels.as_ref().unwrap()[labels::MEMBER_NAME], "member-1");

    let ns: Api<Namespace> = Api::all(client.clone());
    let reserved = ns.get("fleet-member-member-1").await.unwrap();
    assert_eq!(reserved.metadata.labels.unwrap()[labels::IS_FLEET_RESOURCE], "true");
    Api::<K8sRole>::namespaced(client.clone(), "fleet-member-member-1").get("fleet-role-member-1").await.unwrap();
    let rb = Api::<RoleBinding>::namespaced(client.clone(), "fleet-member-member-1")
        .get("fleet-rolebinding-member-1")
        .await
        .unwrap();
    assert_eq!(rb.subjects.unwrap()[0].name, "member-1");
    let imc = Api::<InternalMemberCluster>::namespaced(client.clone(), "fleet-member-member-1")
        .get("member-1")
        .await
        .unwrap();
    assert_eq!(imc.spec.state, apis::cluster::ClusterState::Join);

    // Heartbeats keep coming: the last one moves forward.
    let first =
        agent_status_condition(&mc, c::JOINED).and(status.agent_status[0].last_received_heartbeat.clone()).unwrap();
    wait::until("a later heartbeat", TIMEOUT, || async {
        let mc = mcs.get("member-1").await?;
        let hb = mc.status.unwrap().agent_status[0].last_received_heartbeat.clone().unwrap();
        Ok((hb.0 > first.0).then_some(()))
    })
    .await
    .unwrap();
}

/// A client with member-1's own hub identity (the one its agent uses).
async fn member_1_identity() -> Client {
    let f = fleet();
    let path = f.dir.join("it-rbac-member-1.kubeconfig");
    ControlPlane::issue_kubeconfig_at(&f.hub.kubeconfig, "member-1", &[], &path).unwrap();
    fleet::kubeconfig::client(&path).await.unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> u16 {
    match r {
        Ok(_) => 200,
        Err(kube::Error::Api(s)) => s.code,
        Err(e) => panic!("not an API answer: {e}"),
    }
}

#[tokio::test]
async fn a_member_identity_reaches_only_its_own_namespace() {
    agents::wait_joined(&hub().await, "member-2", TIMEOUT).await.unwrap();
    let me = member_1_identity().await;
    let dry = PatchParams::apply("it-rbac").force().dry_run();
    let own_works: Api<Work> = Api::namespaced(me.clone(), "fleet-member-member-1");
    let own_imcs: Api<InternalMemberCluster> = Api::namespaced(me.clone(), "fleet-member-member-1");
    let status_patch =
        json!({"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "InternalMemberCluster", "status": {}});
    let spec_patch = json!({"apiVersion": "cluster.kubernetes-fleet.io/v1beta1", "kind": "InternalMemberCluster", "spec": {"state": "Leave"}});
    let crp = json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourcePlacement",
        "metadata": {"name": "it-rbac"}, "spec": {"resourceSelectors": [{"group": "", "version": "v1", "kind": "Namespace", "name": "x"}]}});
    let rows: Vec<(&str, u16, u16)> = vec![
        ("list its own Works", 200, code(own_works.list(&ListParams::default()).await)),
        ("read its own InternalMemberCluster", 200, code(own_imcs.get("member-1").await)),
        (
            "write its own InternalMemberCluster status",
            200,
            code(own_imcs.patch_status("member-1", &dry, &Patch::Apply(&status_patch)).await),
        ),
        (
            "change its own join state (spec)",
            403,
            code(own_imcs.patch("member-1", &dry, &Patch::Apply(&spec_patch)).await),
        ),
        (
            "list member-2's Works",
            403,
            code(Api::<Work>::namespaced(me.clone(), "fleet-member-member-2").list(&ListParams::default()).await),
        ),
        (
            "read member-2's InternalMemberCluster",
            403,
            code(Api::<InternalMemberCluster>::namespaced(me.clone(), "fleet-member-member-2").get("member-2").await),
        ),
        ("read MemberCluster member-2", 403, code(Api::<MemberCluster>::all(me.clone()).get("member-2").await)),
        ("read its own MemberCluster", 403, code(Api::<MemberCluster>::all(me.clone()).get("member-1").await)),
        (
            "list Secrets in default",
            403,
            code(Api::<Secret>::namespaced(me.clone(), "default").list(&ListParams::default()).await),
        ),
        (
            "list Secrets in kube-system",
            403,
            code(Api::<Secret>::namespaced(me.clone(), "kube-system").list(&ListParams::default()).await),
        ),
        (
            "list Secrets in its own namespace",
            403,
            code(Api::<Secret>::namespaced(me.clone(), "fleet-member-member-1").list(&ListParams::default()).await),
        ),
        (
            "create a ClusterResourcePlacement",
            403,
            code(Api::<ClusterResourcePlacement>::all(me.clone()).patch("it-rbac", &dry, &Patch::Apply(&crp)).await),
        ),
    ];
    let wrong: Vec<String> = rows
        .iter()
        .filter(|(_, want, got)| want != got)
        .map(|(what, want, got)| format!("{what}: want {want}, got {got}"))
        .collect();
    assert!(wrong.is_empty(), "member-1's identity:\n{}", wrong.join("\n"));
}

/// Starts a member agent for `name` on an existing member cluster and joins it.
async fn join_extra(name: &str, member_kubeconfig: &std::path::Path) -> agents::RunningAgent {
    let f = fleet();
    let client = hub().await;
    let agent = agents::start_virtual_member_agent(&f.hub_endpoint, name, member_kubeconfig, &f.dir).unwrap();
    agents::create_member_cluster(&client, name, f.agent_options.heartbeat_period_seconds).await.unwrap();
    agents::wait_joined(&client, name, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\nagent log:\n{}", agent.process.log_tail(20)));
    agent
}

#[tokio::test]
async fn a_stale_heartbeat_makes_the_member_ineligible() {
    let f = fleet();
    let name = "it-stale";
    let mut agent = join_extra(name, &f.members[0].kubeconfig).await;
    let eligible = format!("flotilla_member_eligible{{member=\"{name}\"}}");
    wait::until("it-stale to be eligible", TIMEOUT, || async {
        Ok((metric(f.hub_agent, &eligible).await == Some(1.0)).then_some(()))
    })
    .await
    .unwrap();

    agent.process.stop(Duration::from_secs(5)); // the agent dies: heartbeats stop
    wait::until("it-stale to become ineligible", TIMEOUT, || async {
        Ok((metric(f.hub_agent, &eligible).await == Some(0.0)).then_some(()))
    })
    .await
    .unwrap();
    let age =
        metric(f.hub_agent, &format!("flotilla_member_heartbeat_age_seconds{{member=\"{name}\"}}")).await.unwrap();
    assert!(age > f.agent_options.heartbeat_timeout.as_secs_f64(), "heartbeat age {age}s");
    // Still Joined as far as the API says: staleness keeps new placements away, it evicts nothing.
    let mc = Api::<MemberCluster>::all(hub().await).get(name).await.unwrap();
    assert!(conditions::is_true(&mc.status.unwrap().conditions, c::JOINED));
    Api::<MemberCluster>::all(hub().await).delete(name, &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn a_member_whose_api_server_is_not_ready_is_unhealthy() {
    let f = fleet();
    let name = "it-unhealthy";
    // A member cluster of its own: this test breaks its etcd.
    let mut cp = ControlPlane::start(name, Role::Member, &f.dir.join(name), 1).await.unwrap();
    let _agent = join_extra(name, &cp.kubeconfig).await;
    let mcs: Api<MemberCluster> = Api::all(hub().await);
    assert_eq!(agent_status_condition(&mcs.get(name).await.unwrap(), c::HEALTHY).unwrap().status, "True");

    cp.stop_component("etcd"); // kube-apiserver stays up, /readyz fails its etcd check
    let unhealthy = wait::until("Healthy=False", TIMEOUT, || async {
        let h = agent_status_condition(&mcs.get(name).await?, c::HEALTHY);
        Ok(h.filter(|h| h.status == "False"))
    })
    .await
    .unwrap();
    assert_eq!(unhealthy.reason, c::REASON_AGENT_UNHEALTHY);
    assert!(unhealthy.message.contains("readyz"), "{}", unhealthy.message);
    mcs.delete(name, &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn leaving_keeps_placed_resources_and_the_same_name_can_join_again() {
    let f = fleet();
    let name = "it-leave";
    let member = &f.members[1];
    let _agent = join_extra(name, &member.kubeconfig).await;
    let client = hub().await;
    let mcs: Api<MemberCluster> = Api::all(client.clone());

    // What a placement would have left on the member, and a Work the agent holds.
    let member_client = member.client().await;
    create_namespace(&member_client, "it-leave-app").await;
    let cm: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "placed", "namespace": "it-leave-app"}, "data": {"k": "v"}}),
    )
    .unwrap();
    Api::<ConfigMap>::namespaced(member_client.clone(), "it-leave-app")
        .create(&PostParams::default(), &cm)
        .await
        .unwrap();
    let work: Work = serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "Work",
        "metadata": {"name": "it-leave-work", "namespace": "fleet-member-it-leave", "finalizers": [finalizers::WORK_CLEANUP]},
        "spec": {"workload": {"manifests": []}}
    }))
    .unwrap();
    Api::<Work>::namespaced(client.clone(), "fleet-member-it-leave")
        .create(&PostParams::default(), &work)
        .await
        .unwrap();

    let leaves_before = metric(f.hub_agent, "flotilla_member_leaves_total{forced=\"false\"}").await.unwrap_or(0.0);
    mcs.delete(name, &DeleteParams::default()).await.unwrap();
    // Well before the forced cleanup would kick in, the agent acknowledges.
    wait_gone(&mcs, name, TIMEOUT).await;
    let leaves_after = metric(f.hub_agent, "flotilla_member_leaves_total{forced=\"false\"}").await.unwrap_or(0.0);
    assert!(leaves_after > leaves_before, "the agent acknowledged leaving ({leaves_before} → {leaves_after})");
    assert!(Api::<Namespace>::all(client.clone()).get_opt("fleet-member-it-leave").await.unwrap().is_none());
    let kept = Api::<ConfigMap>::namespaced(member_client, "it-leave-app").get("placed").await.unwrap();
    assert_eq!(kept.data.unwrap()["k"], "v", "placed resources stay on the member");

    // The same name joins again; the agent is still running and picks it up.
    agents::create_member_cluster(&client, name, f.agent_options.heartbeat_period_seconds).await.unwrap();
    agents::wait_joined(&client, name, TIMEOUT).await.unwrap();
    mcs.delete(name, &DeleteParams::default()).await.unwrap();
}

#[tokio::test]
async fn a_member_whose_agent_never_answers_is_cleaned_up_after_the_wait() {
    let f = fleet();
    let name = "it-dead";
    let client = hub().await;
    let mcs: Api<MemberCluster> = Api::all(client.clone());
    agents::create_member_cluster(&client, name, f.agent_options.heartbeat_period_seconds).await.unwrap();
    let joined = wait::until("the hub to report the join state", TIMEOUT, || async {
        let mc = mcs.get(name).await?;
        Ok(mc.status.and_then(|s| conditions::find(&s.conditions, c::JOINED).cloned()))
    })
    .await
    .unwrap();
    assert!(
        Api::<Namespace>::all(client.clone()).get_opt("fleet-member-it-dead").await.unwrap().is_some(),
        "reserved namespace"
    );
    assert_eq!((joined.status.as_str(), joined.reason.as_str()), ("Unknown", c::REASON_JOIN_STATE_UNKNOWN));

    let forced_before = metric(f.hub_agent, "flotilla_member_leaves_total{forced=\"true\"}").await.unwrap_or(0.0);
    let started = std::time::Instant::now();
    mcs.delete(name, &DeleteParams::default()).await.unwrap();
    wait_gone(&mcs, name, TIMEOUT).await;
    assert!(started.elapsed() >= f.agent_options.force_delete_wait, "not before the wait: {:?}", started.elapsed());
    assert!(metric(f.hub_agent, "flotilla_member_leaves_total{forced=\"true\"}").await.unwrap() > forced_before);
    assert!(Api::<Namespace>::all(client).get_opt("fleet-member-it-dead").await.unwrap().is_none());
}

#[tokio::test]
async fn a_member_agent_with_a_service_account_token_joins() {
    let f = fleet();
    let name = "it-token";
    let client = hub().await;
    // The identity: a ServiceAccount on the hub, its token from the TokenRequest API.
    create_namespace(&client, "it-token-identities").await;
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "it-token-identities");
    let sa: ServiceAccount = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    sas.create(&PostParams::default(), &sa).await.unwrap();
    let request: TokenRequest =
        serde_json::from_value(json!({"spec": {"audiences": [], "expirationSeconds": 3600}})).unwrap();
    let token = sas.create_token_request(name, &PostParams::default(), &request).await.unwrap().status.unwrap().token;
    let token_file = f.dir.join("it-token.token");
    std::fs::write(&token_file, token.expect("a token")).unwrap();

    let mut spec = apis::cluster::MemberClusterSpec::for_user(name, f.agent_options.heartbeat_period_seconds);
    spec.identity = Subject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some("it-token-identities".into()),
        api_group: Some(String::new()),
    };
    let agent =
        agents::start_member_agent_with_token(&f.hub_endpoint, name, &f.members[0].kubeconfig, &f.dir, &token_file)
            .unwrap();
    agents::create_member_cluster_with(&client, name, spec).await.unwrap();
    agents::wait_joined(&client, name, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\nagent log:\n{}", agent.process.log_tail(20)));
    Api::<MemberCluster>::all(client).delete(name, &DeleteParams::default()).await.unwrap();
}
