//! What shows a namespace's Pods were not disturbed, for tests that take
//! applications over: each Pod's uid and container restarts, by name.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client, ResourceExt, api::ListParams};

/// Pod name → (uid, restarts of all its containers) in `namespace`.
pub async fn identities(client: &Client, namespace: &str) -> anyhow::Result<BTreeMap<String, (String, i32)>> {
    let list = Api::<Pod>::namespaced(client.clone(), namespace).list(&ListParams::default()).await?;
    Ok(list
        .items
        .iter()
        .map(|p| {
            let restarts =
                p.status.iter().flat_map(|s| s.container_statuses.iter().flatten()).map(|c| c.restart_count).sum();
            (p.name_any(), (p.uid().unwrap_or_default(), restarts))
        })
        .collect())
}
