//! One real Kubernetes control plane on loopback: etcd and kube-apiserver with
//! RBAC on, kube-controller-manager everywhere (namespace deletion and garbage
//! collection are part of the API's semantics), and on members also
//! kube-scheduler and kwok with fake Nodes so Deployments become Available.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;
use k8s_openapi::{
    api::core::v1::Node, apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
    runtime::wait::{await_condition, conditions},
};

use crate::{assets, kubeconfig, kwok, pki, ports::free_port, process::Process, wait};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Hub,
    Member,
}

/// What an admin client is called: a member of `system:masters`.
pub const ADMIN_USER: &str = "fleet-admin";
const FIELD_MANAGER: &str = "flotilla-fleet";
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub struct ControlPlane {
    pub name: String,
    pub role: Role,
    /// Holds certificates, kubeconfigs, etcd data and one log per process.
    pub dir: PathBuf,
    /// `https://127.0.0.1:<port>`.
    pub server: String,
    /// An admin kubeconfig (client certificate in `system:masters`).
    pub kubeconfig: PathBuf,
    processes: Vec<Process>,
}

impl ControlPlane {
    /// Starts the control plane in `dir` and waits until its API server is ready
    /// and, on members, `nodes` fake Nodes are Ready.
    pub async fn start(name: &str, role: Role, dir: &Path, nodes: usize) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let ca = pki::CertificateAuthority::new(&format!("{name}-ca"))?;
        let serving = ca.serving("kube-apiserver")?;
        let admin = ca.client(ADMIN_USER, &["system:masters"])?;
        let (sa_key, sa_pub) = pki::service_account_key()?;
        let file = |n: &str, content: &str| -> anyhow::Result<PathBuf> {
            let p = dir.join(n);
            std::fs::write(&p, content).with_context(|| format!("writing {}", p.display()))?;
            Ok(p)
        };
        let ca_crt = file("ca.crt", &ca.cert_pem)?;
        file("ca.key", &ca.key_pem())?;
        let serving_crt = file("apiserver.crt", &serving.cert_pem)?;
        let serving_key = file("apiserver.key", &serving.key_pem)?;
        let admin_crt = file("admin.crt", &admin.cert_pem)?;
        let admin_key = file("admin.key", &admin.key_pem)?;
        let sa_key = file("sa.key", &sa_key)?;
        let sa_pub = file("sa.pub", &sa_pub)?;

        let (etcd_port, peer_port, api_port) = (free_port(), free_port(), free_port());
        let server = format!("https://127.0.0.1:{api_port}");
        let kubeconfig = dir.join("admin.kubeconfig");
        kubeconfig::write(&kubeconfig, name, &server, &ca_crt, &admin_crt, &admin_key)?;

        let mut cp =
            Self { name: name.to_string(), role, dir: dir.to_path_buf(), server, kubeconfig, processes: Vec::new() };
        let s = |p: &Path| p.display().to_string();

        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        cp.run(
            assets::ETCD,
            vec![
                format!("--name={name}"),
                format!("--data-dir={}", s(&dir.join("etcd"))),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster={name}={peer_url}"),
                "--unsafe-no-fsync=true".into(),
                "--log-level=warn".into(),
            ],
        )?;
        cp.run(
            assets::KUBE_APISERVER,
            vec![
                format!("--etcd-servers={etcd_url}"),
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                format!("--secure-port={api_port}"),
                format!("--cert-dir={}", s(&dir.join("apiserver-certs"))),
                format!("--tls-cert-file={}", s(&serving_crt)),
                format!("--tls-private-key-file={}", s(&serving_key)),
                format!("--client-ca-file={}", s(&ca_crt)),
                "--authorization-mode=RBAC".into(),
                format!("--service-account-issuer=https://127.0.0.1:{api_port}"),
                format!("--service-account-key-file={}", s(&sa_pub)),
                format!("--service-account-signing-key-file={}", s(&sa_key)),
                "--service-cluster-ip-range=10.96.0.0/16".into(),
                "--allow-privileged=true".into(),
                // A loopback advertise address cannot back the `kubernetes` Service endpoints.
                "--endpoint-reconciler-type=none".into(),
                "--profiling=false".into(),
            ],
        )?;
        cp.wait_ready().await?;

        let admin_kubeconfig = s(&cp.kubeconfig);
        let common = |port: u16| {
            vec![
                format!("--kubeconfig={admin_kubeconfig}"),
                format!("--authentication-kubeconfig={admin_kubeconfig}"),
                format!("--authorization-kubeconfig={admin_kubeconfig}"),
                "--leader-elect=false".into(),
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={port}"),
                format!("--cert-dir={}", s(&dir.join("component-certs"))),
            ]
        };
        let mut kcm = common(free_port());
        kcm.extend([
            format!("--service-account-private-key-file={}", s(&sa_key)),
            format!("--root-ca-file={}", s(&ca_crt)),
        ]);
        cp.run(assets::KUBE_CONTROLLER_MANAGER, kcm)?;

        if role == Role::Member {
            cp.run(assets::KUBE_SCHEDULER, common(free_port()))?;
            let stages = file("kwok-stages.yaml", kwok::STAGES)?;
            cp.run(
                assets::KWOK,
                vec![
                    format!("--kubeconfig={admin_kubeconfig}"),
                    "--manage-all-nodes=false".into(),
                    format!(
                        "--manage-nodes-with-annotation-selector={}={}",
                        kwok::NODE_ANNOTATION.0,
                        kwok::NODE_ANNOTATION.1
                    ),
                    "--cidr=10.244.0.0/16".into(),
                    // Node leases are the kubelet's heartbeat: without them the
                    // node lifecycle controller marks the Nodes NotReady (and
                    // their Pods unready) about 40 s after start.
                    "--node-lease-duration-seconds=40".into(),
                    format!("--config={}", s(&stages)),
                ],
            )?;
            cp.add_nodes(nodes).await?;
        }
        Ok(cp)
    }

    fn run(&mut self, binary: &str, args: Vec<String>) -> anyhow::Result<()> {
        let program = assets::binary(binary)?;
        let log = self.dir.join(format!("{binary}.log"));
        let p = Process::spawn(&format!("{}/{binary}", self.name), &program, &args, &log)?;
        self.processes.push(p);
        Ok(())
    }

    /// Fails at once, with its log, if any process of this control plane died.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for p in &mut self.processes {
            if let Some(status) = p.exited() {
                anyhow::bail!("{} exited ({status}); last log lines:\n{}", p.name, p.log_tail(20));
            }
        }
        Ok(())
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = self.client().await?;
        let what = format!("the {} API server to be ready", self.name);
        let r = wait::until(&what, START_TIMEOUT, || {
            let alive = self.check_alive();
            let client = client.clone();
            async move {
                alive?;
                let req = http::Request::get("/readyz").body(Vec::new())?;
                Ok(client.request_text(req).await.ok().filter(|t| t.trim() == "ok").map(|_| ()))
            }
        })
        .await;
        r.map_err(|e| anyhow::anyhow!("{e:#}\nkube-apiserver log:\n{}", self.log_tail(assets::KUBE_APISERVER)))
    }

    fn log_tail(&self, binary: &str) -> String {
        self.processes.iter().find(|p| p.name.ends_with(binary)).map(|p| p.log_tail(20)).unwrap_or_default()
    }

    async fn add_nodes(&mut self, count: usize) -> anyhow::Result<()> {
        let client = self.client().await?;
        let nodes: Api<Node> = Api::all(client);
        for i in 1..=count {
            let name = format!("{}-node-{i}", self.name);
            nodes
                .patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(kwok::node(&name, "2", "8Gi")))
                .await?;
        }
        let what = format!("{count} Ready nodes on {}", self.name);
        wait::until(&what, START_TIMEOUT, || {
            let nodes = nodes.clone();
            let alive = self.check_alive();
            async move {
                alive?;
                let ready = nodes
                    .list(&Default::default())
                    .await?
                    .items
                    .iter()
                    .filter(|n| {
                        n.status
                            .as_ref()
                            .and_then(|s| s.conditions.as_ref())
                            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
                    })
                    .count();
                Ok((ready >= count).then_some(()))
            }
        })
        .await
    }

    /// A client with the admin identity.
    pub async fn client(&self) -> anyhow::Result<Client> {
        kubeconfig::client(&self.kubeconfig).await
    }

    /// A kubeconfig at `path` for `user` in `groups`, signed by this control
    /// plane's client CA: an identity RBAC must authorize like any other.
    pub fn issue_kubeconfig(&self, user: &str, groups: &[&str], path: &Path) -> anyhow::Result<()> {
        Self::issue_kubeconfig_at(&self.kubeconfig, user, groups, path)
    }

    /// [`Self::issue_kubeconfig`] for the control plane whose admin kubeconfig is
    /// `admin_kubeconfig` (its CA files sit beside it), usable from any process.
    pub fn issue_kubeconfig_at(
        admin_kubeconfig: &Path,
        user: &str,
        groups: &[&str],
        path: &Path,
    ) -> anyhow::Result<()> {
        let dir = admin_kubeconfig.parent().context("a kubeconfig in a directory")?;
        let ca = pki::CertificateAuthority::load(&dir.join("ca.crt"), &dir.join("ca.key"))?;
        let pair = ca.client(user, groups)?;
        let stem = path.with_extension("");
        let (crt, key) = (stem.with_extension("crt"), stem.with_extension("key"));
        std::fs::write(&crt, pair.cert_pem)?;
        std::fs::write(&key, pair.key_pem)?;
        let kc = kube::config::Kubeconfig::read_from(admin_kubeconfig)?;
        let server =
            kc.clusters.first().and_then(|c| c.cluster.as_ref()).and_then(|c| c.server.clone()).context("a server")?;
        let name = kc.current_context.unwrap_or_default();
        kubeconfig::write(path, &name, &server, &dir.join("ca.crt"), &crt, &key)
    }

    /// Server-side applies `crds` and waits until each is Established.
    pub async fn install_crds(&self, crds: &[CustomResourceDefinition]) -> anyhow::Result<()> {
        let api: Api<CustomResourceDefinition> = Api::all(self.client().await?);
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        for crd in crds {
            let name = crd.metadata.name.clone().context("a CRD has a name")?;
            api.patch(&name, &pp, &Patch::Apply(crd))
                .await
                .with_context(|| format!("installing CRD {name} on {}", self.name))?;
        }
        for crd in crds {
            let name = crd.metadata.name.as_deref().unwrap_or_default();
            tokio::time::timeout(START_TIMEOUT, await_condition(api.clone(), name, conditions::is_crd_established()))
                .await
                .with_context(|| format!("CRD {name} not Established on {}", self.name))??;
        }
        Ok(())
    }

    /// Stops one component (e.g. etcd, to make the API server unready).
    pub fn stop_component(&mut self, binary: &str) {
        if let Some(p) = self.processes.iter_mut().find(|p| p.name.ends_with(&format!("/{binary}"))) {
            p.stop(Duration::from_secs(5));
        }
    }

    /// Resident memory of all this control plane's processes, by process.
    pub fn memory(&self) -> Vec<(String, u64)> {
        self.processes.iter().map(|p| (p.name.clone(), p.rss_bytes())).collect()
    }

    /// Stops every process, the last started first, all within one grace period.
    pub fn stop(&mut self) {
        for p in self.processes.iter().rev() {
            p.terminate();
        }
        while let Some(mut p) = self.processes.pop() {
            p.stop(Duration::from_secs(5));
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.stop();
    }
}
