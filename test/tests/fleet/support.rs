//! Helpers the fleet tests share.

use std::{net::SocketAddr, time::Duration};

use std::collections::{BTreeMap, BTreeSet};

use apis::{
    conditions, labels,
    placement::{ClusterResourcePlacement, Work},
};
use fleet::{probe, wait};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, ObjectMeta, PostParams},
};
use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub async fn create_namespace(client: &kube::Client, name: &str) {
    let ns = Namespace { metadata: ObjectMeta { name: Some(name.into()), ..Default::default() }, ..Default::default() };
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await.expect("create namespace");
}

/// Waits until `check` holds for the object `name` (absent: `None`) and
/// returns it as it then stood.
pub async fn wait_object<K>(api: &Api<K>, name: &str, what: &str, check: impl Fn(Option<&K>) -> bool) -> Option<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait::until(what, TIMEOUT, || async {
        let o = api.get_opt(name).await?;
        Ok(check(o.as_ref()).then_some(o))
    })
    .await
    .unwrap()
}

/// The value of the first sample in `addr`'s /metrics whose line starts with `prefix`.
pub async fn metric(addr: SocketAddr, prefix: &str) -> Option<f64> {
    let (_, body) = probe::get(addr, "/metrics").await.ok()?;
    body.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

pub fn crp(name: &str, spec: Value) -> ClusterResourcePlacement {
    serde_json::from_value(json!({
        "apiVersion": "placement.kubernetes-fleet.io/v1beta1",
        "kind": "ClusterResourcePlacement",
        "metadata": {"name": name},
        "spec": spec,
    }))
    .unwrap()
}

pub fn namespace_selector(ns: &str) -> Value {
    json!([{"group": "", "version": "v1", "kind": "Namespace", "name": ns}])
}

pub async fn create_crp(client: &Client, c: &ClusterResourcePlacement) {
    Api::<ClusterResourcePlacement>::all(client.clone()).create(&PostParams::default(), c).await.unwrap();
}

/// The placement's Works by cluster.
pub async fn works(client: &Client, placement: &str) -> BTreeMap<String, Vec<Work>> {
    let lp = ListParams::default().labels(&format!("{}={placement}", labels::PLACEMENT_TRACKING));
    let mut out: BTreeMap<String, Vec<Work>> = BTreeMap::new();
    for w in Api::<Work>::all(client.clone()).list(&lp).await.unwrap() {
        if w.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let cluster = w.namespace().unwrap().trim_start_matches("fleet-member-").to_string();
        out.entry(cluster).or_default().push(w);
    }
    out
}

/// Waits until the placement's Works are on exactly `clusters`.
pub async fn wait_works_on(client: &Client, placement: &str, clusters: &[&str]) -> BTreeMap<String, Vec<Work>> {
    let want: BTreeSet<String> = clusters.iter().map(|c| c.to_string()).collect();
    wait::until(&format!("{placement}'s Works on {clusters:?}"), TIMEOUT, || async {
        let w = works(client, placement).await;
        Ok((w.keys().cloned().collect::<BTreeSet<_>>() == want).then_some(w))
    })
    .await
    .unwrap()
}

pub async fn get_crp(client: &Client, name: &str) -> ClusterResourcePlacement {
    Api::<ClusterResourcePlacement>::all(client.clone()).get(name).await.unwrap()
}

pub fn condition(
    c: &ClusterResourcePlacement,
    type_: &str,
) -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    conditions::find(&c.status.as_ref()?.conditions, type_).cloned()
}

/// Waits until the placement's condition of `type_` has `status` at its generation.
pub async fn wait_condition(client: &Client, name: &str, type_: &str, status: &str) -> ClusterResourcePlacement {
    wait::until(&format!("{name} {type_}={status}"), TIMEOUT, || async {
        let c = get_crp(client, name).await;
        let ok =
            condition(&c, type_).is_some_and(|x| x.status == status && x.observed_generation == c.metadata.generation);
        Ok(ok.then_some(c))
    })
    .await
    .unwrap()
}

pub async fn config_map(client: &Client, ns: &str, name: &str, data: Value) {
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": name, "namespace": ns}, "data": data})).unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), ns).create(&PostParams::default(), &cm).await.unwrap();
}

/// A bad object and its valid twin: the API server (schema, CEL or a
/// webhook) accepts `valid` and refuses `invalid` with a message holding
/// each of `names`.
pub struct Case {
    pub what: &'static str,
    pub valid: &'static str,
    pub invalid: &'static str,
    pub names: &'static [&'static str],
}

/// Tries every case; fails listing each that was accepted, refused by
/// something other than the API server, or refused without naming the field.
pub async fn refused_naming_fields(client: Client, cases: &[Case]) {
    let mut applier = fleet::apply::Applier::new(client);
    let mut failures = Vec::new();
    for case in cases {
        let valid = fleet::apply::parse(case.valid).unwrap().remove(0);
        if let Err(e) = applier.apply(&valid).await {
            failures.push(format!("{}: the valid twin was refused: {e}", case.what));
            continue;
        }
        let invalid = fleet::apply::parse(case.invalid).unwrap().remove(0);
        match applier.apply(&invalid).await {
            Ok(_) => failures.push(format!("{}: accepted", case.what)),
            Err(e) => match e.api_message() {
                Some(msg) => {
                    for n in case.names {
                        if !msg.contains(n) {
                            failures.push(format!("{}: message does not name {n:?}: {msg}", case.what));
                        }
                    }
                }
                None => failures.push(format!("{}: refused, but not by the API server: {e}", case.what)),
            },
        }
        // Nothing half-applied: a refused new object does not exist.
        if invalid.metadata.name != valid.metadata.name {
            let api = applier.api_for(&invalid).await.unwrap();
            let name = invalid.metadata.name.as_deref().unwrap();
            if api.get_opt(name).await.unwrap().is_some() {
                failures.push(format!("{}: the refused object exists", case.what));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
