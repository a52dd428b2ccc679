//! Clients for the hub and member API servers: from a kubeconfig file when one
//! is given, otherwise from the in-cluster service account.

use std::path::Path;

use anyhow::Context;
use kube::{
    Client, Config,
    config::{KubeConfigOptions, Kubeconfig},
};

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
    Client::try_from(config).with_context(|| format!("building the {what} client"))
}

/// Asks the API server for its version: proof that address and credentials work.
pub async fn check(client: &Client, what: &str) -> anyhow::Result<String> {
    let v = client.apiserver_version().await.with_context(|| format!("reaching the {what} API server"))?;
    Ok(v.git_version)
}
