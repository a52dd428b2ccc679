//! `kubectl apply` for tests: multi-document YAML, kinds resolved through API
//! discovery (CRDs included), server-side apply. The API server's refusal is
//! returned as is, so tests can assert on its message.

use std::collections::HashMap;

use anyhow::Context;
use kube::{
    Api, Client,
    api::{DynamicObject, Patch, PatchParams},
    core::{ApiResource, GroupVersionKind},
    discovery::{self, ApiCapabilities, Scope},
};

pub const FIELD_MANAGER: &str = "flotilla-test";

/// Parses every non-empty document of `yaml`.
pub fn parse(yaml: &str) -> anyhow::Result<Vec<DynamicObject>> {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(yaml).context("parsing YAML")?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| serde_json::from_value(d).context("a document is not a Kubernetes object"))
        .collect()
}

/// Resolves kinds once per apply call.
pub struct Applier {
    client: Client,
    kinds: HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)>,
}

impl Applier {
    pub fn new(client: Client) -> Self {
        Self { client, kinds: HashMap::new() }
    }

    /// The Api for an object's kind and namespace.
    pub async fn api_for(&mut self, obj: &DynamicObject) -> anyhow::Result<Api<DynamicObject>> {
        let tm = obj.types.as_ref().context("an object without apiVersion/kind")?;
        let gvk = GroupVersionKind::try_from(tm)?;
        if !self.kinds.contains_key(&gvk) {
            let found = discovery::pinned_kind(&self.client, &gvk)
                .await
                .with_context(|| format!("the API server does not serve {}/{}", tm.api_version, tm.kind))?;
            self.kinds.insert(gvk.clone(), found);
        }
        let (ar, caps) = &self.kinds[&gvk];
        Ok(match (&caps.scope, obj.metadata.namespace.as_deref()) {
            (Scope::Namespaced, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, ar),
            (Scope::Namespaced, None) => Api::default_namespaced_with(self.client.clone(), ar),
            (Scope::Cluster, _) => Api::all_with(self.client.clone(), ar),
        })
    }

    /// Server-side applies one object; the error keeps the API server's status.
    pub async fn apply(&mut self, obj: &DynamicObject) -> Result<DynamicObject, ApplyError> {
        let api = self.api_for(obj).await.map_err(ApplyError::Other)?;
        let name =
            obj.metadata.name.clone().ok_or_else(|| ApplyError::Other(anyhow::anyhow!("an object without a name")))?;
        api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(obj)).await.map_err(ApplyError::Api)
    }

    /// Applies every object of `yaml` in order, failing on the first refusal.
    pub async fn apply_yaml(&mut self, yaml: &str) -> anyhow::Result<Vec<DynamicObject>> {
        let mut out = Vec::new();
        for obj in parse(yaml)? {
            let what = describe(&obj);
            out.push(self.apply(&obj).await.with_context(|| format!("applying {what}"))?);
        }
        Ok(out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Api(kube::Error),
    #[error(transparent)]
    Other(anyhow::Error),
}

impl ApplyError {
    /// The API server's refusal message, if it refused.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            ApplyError::Api(kube::Error::Api(s)) => Some(&s.message),
            _ => None,
        }
    }
}

/// `Kind namespace/name`, for messages.
pub fn describe(obj: &DynamicObject) -> String {
    let kind = obj.types.as_ref().map(|t| t.kind.as_str()).unwrap_or("?");
    match &obj.metadata.namespace {
        Some(ns) => format!("{kind} {ns}/{}", obj.metadata.name.as_deref().unwrap_or("?")),
        None => format!("{kind} {}", obj.metadata.name.as_deref().unwrap_or("?")),
    }
}
