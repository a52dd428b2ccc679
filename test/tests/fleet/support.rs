//! Helpers the fleet tests share.

use std::{net::SocketAddr, time::Duration};

use fleet::probe;
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api,
    api::{ObjectMeta, PostParams},
};

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub async fn create_namespace(client: &kube::Client, name: &str) {
    let ns = Namespace { metadata: ObjectMeta { name: Some(name.into()), ..Default::default() }, ..Default::default() };
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await.expect("create namespace");
}

/// The value of the first sample in `addr`'s /metrics whose line starts with `prefix`.
pub async fn metric(addr: SocketAddr, prefix: &str) -> Option<f64> {
    let (_, body) = probe::get(addr, "/metrics").await.ok()?;
    body.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}
