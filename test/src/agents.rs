//! Flotilla's agents on the local fleet, each with an identity of its own: the
//! hub agent as `flotilla-hub-agent` bound to its ClusterRole, each member
//! agent as its member's name, admitted only by the Role the hub agent grants.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use apis::{
    cluster::{MemberCluster, MemberClusterSpec},
    conditions,
};
use kube::{
    Api, Client,
    api::{ObjectMeta, Patch, PatchParams},
};

use crate::{ControlPlane, apply::Applier, assets, ports::free_port, process::Process, wait};

pub const HUB_AGENT_USER: &str = "flotilla-hub-agent";
const FIELD_MANAGER: &str = "flotilla-fleet";

/// How agents are run on the local fleet.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    pub heartbeat_period_seconds: i32,
    pub force_delete_wait: Duration,
    pub heartbeat_timeout: Duration,
}

impl Default for AgentOptions {
    /// KubeFleet's defaults, as a person trying the seed tutorial expects.
    fn default() -> Self {
        Self {
            heartbeat_period_seconds: 60,
            force_delete_wait: Duration::from_secs(900),
            heartbeat_timeout: Duration::from_secs(300),
        }
    }
}

impl AgentOptions {
    /// Short enough that tests see heartbeats, staleness and forced cleanup in seconds.
    pub fn for_tests() -> Self {
        Self {
            heartbeat_period_seconds: 2,
            force_delete_wait: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(8),
        }
    }
}

/// What an agent needs to reach the hub.
#[derive(Clone, Debug)]
pub struct Hub {
    pub server: String,
    pub ca: PathBuf,
    pub admin_kubeconfig: PathBuf,
}

impl Hub {
    pub fn of(hub: &ControlPlane) -> Self {
        Self { server: hub.server.clone(), ca: hub.dir.join("ca.crt"), admin_kubeconfig: hub.kubeconfig.clone() }
    }
}

/// A running agent and its admin address (/healthz, /readyz, /metrics).
pub struct RunningAgent {
    pub process: Process,
    pub admin: SocketAddr,
}

fn admin_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// Grants the hub agent its ClusterRole and starts it as `flotilla-hub-agent`.
pub async fn start_hub_agent(hub: &Hub, dir: &Path, opts: &AgentOptions) -> anyhow::Result<RunningAgent> {
    let admin_client = crate::kubeconfig::client(&hub.admin_kubeconfig).await?;
    let role = std::fs::read_to_string(assets::repo_root().join("config/rbac/hub-agent-clusterrole.yaml"))?;
    let binding = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: flotilla-hub-agent}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: flotilla-hub-agent}}
subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: {HUB_AGENT_USER}}}]
"
    );
    let mut applier = Applier::new(admin_client.clone());
    applier.apply_yaml(&role).await.context("granting the hub agent its ClusterRole")?;
    applier.apply_yaml(&binding).await?;

    let kubeconfig = dir.join("hub-agent.kubeconfig");
    ControlPlane::issue_kubeconfig_at(&hub.admin_kubeconfig, HUB_AGENT_USER, &[], &kubeconfig)?;
    let admin = admin_address();
    let webhook = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let (cert, key) = webhook_certificate(hub, dir)?;
    let args = vec![
        format!("--kubeconfig={}", kubeconfig.display()),
        format!("--admin-address={admin}"),
        format!("--force-delete-wait-time={}", humantime::format_duration(opts.force_delete_wait)),
        format!("--heartbeat-timeout={}", humantime::format_duration(opts.heartbeat_timeout)),
        format!("--unhealthy-timeout={}", humantime::format_duration(opts.heartbeat_timeout)),
        format!("--webhook-address={webhook}"),
        format!("--webhook-cert={}", cert.display()),
        format!("--webhook-key={}", key.display()),
    ];
    let process =
        Process::spawn("hub-agent", &assets::workspace_binary("hub-agent")?, &args, &dir.join("hub-agent.log"))?;
    register_webhook(&admin_client, hub, webhook).await?;
    Ok(RunningAgent { process, admin })
}

/// A serving certificate for the hub agent's webhook on loopback, from the hub's CA.
fn webhook_certificate(hub: &Hub, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let ca = crate::pki::CertificateAuthority::load(&hub.ca, &hub.ca.with_file_name("ca.key"))?;
    let pair = ca.serving("flotilla-hub-agent-webhook")?;
    let (cert, key) = (dir.join("hub-agent-webhook.crt"), dir.join("hub-agent-webhook.key"));
    std::fs::write(&cert, &pair.cert_pem)?;
    std::fs::write(&key, &pair.key_pem)?;
    Ok((cert, key))
}

/// Registers the hub agent's webhooks with the hub's API server, by URL, as
/// config/webhook/ does behind a Service.
async fn register_webhook(client: &Client, hub: &Hub, at: SocketAddr) -> anyhow::Result<()> {
    use k8s_openapi::{
        ByteString,
        api::admissionregistration::v1::{MutatingWebhookConfiguration, ValidatingWebhookConfiguration},
    };
    let ca = ByteString(std::fs::read(&hub.ca)?);
    let hook = |name: &str, path: &str, resources: &[&str], failure: &str| {
        serde_json::json!({
            "name": name,
            "clientConfig": {"url": format!("https://{at}{path}"), "caBundle": ca},
            "rules": [{"apiGroups": ["placement.kubernetes-fleet.io"], "apiVersions": ["*"],
                       "operations": ["CREATE", "UPDATE"], "resources": resources}],
            "failurePolicy": failure, "sideEffects": "None", "admissionReviewVersions": ["v1"], "timeoutSeconds": 5
        })
    };
    let placements = ["clusterresourceplacements", "resourceplacements"];
    let validating: ValidatingWebhookConfiguration = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "flotilla-hub-agent"},
        "webhooks": [
            hook("overrides.placement.kubernetes-fleet.io", "/validate-override",
                 &["clusterresourceoverrides", "resourceoverrides"], "Fail"),
            hook("placements.placement.kubernetes-fleet.io", "/validate-placement", &placements, "Fail"),
            hook("disruptions.placement.kubernetes-fleet.io", "/validate-disruption",
                 &["clusterresourceplacementevictions", "clusterresourceplacementdisruptionbudgets"], "Fail"),
        ]
    }))?;
    let mutating: MutatingWebhookConfiguration = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "flotilla-hub-agent"},
        "webhooks": [hook("placements.placement.kubernetes-fleet.io", "/mutate-placement", &placements, "Ignore")]
    }))?;
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .patch("flotilla-hub-agent", &pp, &Patch::Apply(&validating))
        .await
        .context("registering the validating webhooks")?;
    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .patch("flotilla-hub-agent", &pp, &Patch::Apply(&mutating))
        .await
        .context("registering the mutating webhook")?;
    Ok(())
}

/// Issues `member`'s hub identity (a client certificate, CN = the member's
/// name, from the hub's client CA) and starts its agent against `member_kubeconfig`.
pub fn start_member_agent(
    hub: &Hub,
    member: &str,
    member_kubeconfig: &Path,
    dir: &Path,
) -> anyhow::Result<RunningAgent> {
    spawn_member_agent(hub, member, member_kubeconfig, dir, identity(hub, member, dir)?)
}

/// Issues `member`'s hub identity: the agent flags naming its certificate and key.
fn identity(hub: &Hub, member: &str, dir: &Path) -> anyhow::Result<Vec<String>> {
    let identity = dir.join(format!("{member}-agent.kubeconfig"));
    ControlPlane::issue_kubeconfig_at(&hub.admin_kubeconfig, member, &[], &identity)?;
    let (cert, key) = (identity.with_extension("crt"), identity.with_extension("key"));
    Ok(vec![format!("--identity-cert={}", cert.display()), format!("--identity-key={}", key.display())])
}

/// Like [`start_member_agent`], for a second fleet member on an API server
/// that already has one: it joins and heartbeats but applies no Works (two
/// agents would place the same Works, under the same AppliedWork names, into
/// one cluster).
pub fn start_virtual_member_agent(
    hub: &Hub,
    member: &str,
    member_kubeconfig: &Path,
    dir: &Path,
) -> anyhow::Result<RunningAgent> {
    let mut args = identity(hub, member, dir)?;
    args.push("--work-applier=false".to_string());
    spawn_member_agent(hub, member, member_kubeconfig, dir, args)
}

/// Starts `member`'s agent authenticating with the bearer token in `token_file`.
pub fn start_member_agent_with_token(
    hub: &Hub,
    member: &str,
    member_kubeconfig: &Path,
    dir: &Path,
    token_file: &Path,
) -> anyhow::Result<RunningAgent> {
    // A second member on an API server that has one: it applies nothing.
    let args = vec![format!("--token-file={}", token_file.display()), "--work-applier=false".to_string()];
    spawn_member_agent(hub, member, member_kubeconfig, dir, args)
}

fn spawn_member_agent(
    hub: &Hub,
    member: &str,
    member_kubeconfig: &Path,
    dir: &Path,
    credentials: Vec<String>,
) -> anyhow::Result<RunningAgent> {
    let admin = admin_address();
    let mut args = vec![
        format!("--member-name={member}"),
        format!("--hub-url={}", hub.server),
        format!("--hub-ca={}", hub.ca.display()),
        format!("--kubeconfig={}", member_kubeconfig.display()),
        format!("--admin-address={admin}"),
    ];
    args.extend(credentials);
    let log = dir.join(format!("{member}-agent.log"));
    let process =
        Process::spawn(&format!("{member}/member-agent"), &assets::workspace_binary("member-agent")?, &args, &log)?;
    Ok(RunningAgent { process, admin })
}

/// A MemberCluster as the seed declares one: identity = the member's user,
/// label `cluster-name: <name>`.
pub async fn create_member_cluster(hub: &Client, name: &str, heartbeat_period_seconds: i32) -> anyhow::Result<()> {
    create_member_cluster_with(hub, name, MemberClusterSpec::for_user(name, heartbeat_period_seconds)).await
}

/// A MemberCluster with the given spec and the label `cluster-name: <name>`.
pub async fn create_member_cluster_with(hub: &Client, name: &str, spec: MemberClusterSpec) -> anyhow::Result<()> {
    let mut mc = MemberCluster::new(name, spec);
    mc.metadata = ObjectMeta {
        name: Some(name.into()),
        labels: Some([("cluster-name".into(), name.into())].into()),
        ..Default::default()
    };
    Api::<MemberCluster>::all(hub.clone())
        .patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&mc))
        .await
        .with_context(|| format!("creating MemberCluster {name}"))?;
    Ok(())
}

/// Waits until the MemberCluster says Joined=True.
pub async fn wait_joined(hub: &Client, name: &str, timeout: Duration) -> anyhow::Result<MemberCluster> {
    let api: Api<MemberCluster> = Api::all(hub.clone());
    wait::until(&format!("MemberCluster {name} to join"), timeout, || {
        let api = api.clone();
        async move {
            let mc = api.get(name).await?;
            let joined =
                mc.status.as_ref().is_some_and(|s| conditions::is_true(&s.conditions, conditions::cluster::JOINED));
            Ok(joined.then_some(mc))
        }
    })
    .await
}
