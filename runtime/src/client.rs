//! Clients for the hub and member API servers: from a kubeconfig file when one
//! is given, otherwise from the in-cluster service account.

use std::{path::Path, sync::LazyLock};

use anyhow::Context;
use kube::{
    Client, Config,
    client::{Body, ClientBuilder},
    config::{KubeConfigOptions, Kubeconfig},
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The HTTP method, or WATCH for a watch.
    pub method: String,
}

static REQUESTS: LazyLock<Family<RequestLabels, Counter>> = LazyLock::new(Family::default);

/// Every API request the process's clients made, by method: what "no
/// needless API calls" is measured by. Register it in the agent's registry.
pub fn requests() -> Family<RequestLabels, Counter> {
    REQUESTS.clone()
}

fn build(config: Config, what: &str) -> anyhow::Result<Client> {
    let count = tower::util::MapRequestLayer::new(|req: http::Request<Body>| {
        let watch = req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "watch=true" || kv == "watch=1"));
        let method = if watch { "WATCH" } else { req.method().as_str() };
        REQUESTS.get_or_create(&RequestLabels { method: method.to_string() }).inc();
        req
    });
    Ok(ClientBuilder::try_from(config)
        .with_context(|| format!("building the {what} client"))?
        .with_layer(&count)
        .build())
}

/// A client from `kubeconfig` (current context) or, without one, the in-cluster config.
pub async fn connect(kubeconfig: Option<&Path>, what: &str) -> anyhow::Result<Client> {
    let config = match kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .with_context(|| format!("reading the {what} kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("loading the {what} kubeconfig {}", path.display()))?
        }
        None => {
            Config::incluster().with_context(|| format!("no {what} kubeconfig given and not running in a cluster"))?
        }
    };
    build(config, what)
}

/// Asks the API server for its version: proof that address and credentials work.
pub async fn check(client: &Client, what: &str) -> anyhow::Result<String> {
    let v = client.apiserver_version().await.with_context(|| format!("reaching the {what} API server"))?;
    Ok(v.git_version)
}

/// How an agent proves who it is to the hub.
#[derive(Clone, Debug)]
pub enum HubAuth {
    ClientCertificate { cert: std::path::PathBuf, key: std::path::PathBuf },
    TokenFile(std::path::PathBuf),
}

/// A client for `server` that trusts `ca` (or the system roots) and
/// authenticates with `auth`; the token file is re-read as it rotates.
pub async fn connect_to(server: &str, ca: Option<&Path>, auth: HubAuth, what: &str) -> anyhow::Result<Client> {
    use kube::config::{AuthInfo, Cluster, Context as KubeContext, NamedAuthInfo, NamedCluster, NamedContext};
    let path = |p: &Path| Some(p.display().to_string());
    let mut user = AuthInfo::default();
    match &auth {
        HubAuth::ClientCertificate { cert, key } => {
            user.client_certificate = path(cert);
            user.client_key = path(key);
        }
        HubAuth::TokenFile(t) => user.token_file = path(t),
    }
    let kc = Kubeconfig {
        clusters: vec![NamedCluster {
            name: what.into(),
            cluster: Some(Cluster {
                server: Some(server.into()),
                certificate_authority: ca.and_then(path),
                ..Default::default()
            }),
            other: Default::default(),
        }],
        auth_infos: vec![NamedAuthInfo { name: what.into(), auth_info: Some(user), other: Default::default() }],
        contexts: vec![NamedContext {
            name: what.into(),
            context: Some(KubeContext { cluster: what.into(), user: Some(what.into()), ..Default::default() }),
            other: Default::default(),
        }],
        current_context: Some(what.into()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .with_context(|| format!("configuring the {what} connection to {server}"))?;
    build(config, what)
}
