//! Kubeconfig files for kubectl, the Kubernetes components and the agents.

use std::path::Path;

use anyhow::Context;

/// Writes a kubeconfig with one cluster, user and context, all named `name`,
/// that authenticates with a client certificate.
pub fn write(path: &Path, name: &str, server: &str, ca: &Path, cert: &Path, key: &Path) -> anyhow::Result<()> {
    let yaml = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: {name}
  user:
    client-certificate: {cert}
    client-key: {key}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}
current-context: {name}
",
        ca = ca.display(),
        cert = cert.display(),
        key = key.display(),
    );
    std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))
}

/// A kube client from a kubeconfig file.
pub async fn client(path: &Path) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(path)?;
    let config = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default()).await?;
    Ok(kube::Client::try_from(config)?)
}
