//! The hub agent's admission webhooks, over TLS: the rules the CRD schemas
//! cannot express. The API server calls `POST /validate-override` for
//! ClusterResourceOverrides and ResourceOverrides (`overrides::admission`,
//! and a ResourceOverride selects namespaced kinds only), `POST
//! /validate-placement` and `POST /mutate-placement` for
//! ClusterResourcePlacements and ResourcePlacements (`placement::admission`:
//! selectors, affinity, tolerations, the kinds the hub serves; defaults that
//! depend on another field), and `POST /validate-disruption` for
//! ClusterResourcePlacementEvictions and DisruptionBudgets (against their
//! placement's type). The deployment manifests and the local fleet
//! register them with a Validating- and a MutatingWebhookConfiguration.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context as _;
use apis::placement::{
    ClusterResourceOverride, ClusterResourceOverrideSpec, ClusterResourcePlacement, PlacementDisruptionBudgetSpec,
    PlacementSpec, ResourceOverride, ResourceOverrideSpec,
};
use axum::{Json, Router, extract::State, routing::post};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DynamicObject, ListParams},
    core::{
        GroupVersionKind,
        admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation},
    },
    discovery::Scope,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

use crate::{
    overrides::admission::{self, Other},
    placement::admission as placement_admission,
};

/// The paths the API server calls.
pub const PATH: &str = "/validate-override";
pub const VALIDATE_PLACEMENT: &str = "/validate-placement";
pub const MUTATE_PLACEMENT: &str = "/mutate-placement";
pub const VALIDATE_DISRUPTION: &str = "/validate-disruption";

#[derive(clap::Args, Debug, Clone)]
pub struct WebhookArgs {
    /// Serve the validating webhook for overrides here (TLS); off when unset.
    #[arg(long, env = "WEBHOOK_ADDRESS", requires_all = ["webhook_cert", "webhook_key"])]
    pub webhook_address: Option<SocketAddr>,
    /// The webhook's serving certificate (PEM), trusted by the API server.
    #[arg(long, env = "WEBHOOK_CERT")]
    pub webhook_cert: Option<PathBuf>,
    /// The key of --webhook-cert (PEM).
    #[arg(long, env = "WEBHOOK_KEY")]
    pub webhook_key: Option<PathBuf>,
}

fn tls(cert: &PathBuf, key: &PathBuf) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading {}", key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The overrides in `all` other than `name` (an update does not conflict with itself).
fn others<'a, K: ResourceExt, S>(all: &'a [K], name: &str, spec: impl Fn(&'a K) -> &'a S) -> Vec<Other<'a, S>> {
    all.iter()
        .filter(|o| o.meta().name.as_deref() != Some(name))
        .map(|o| Other { name: o.meta().name.as_deref().unwrap_or_default(), spec: spec(o) })
        .collect()
}

/// Why `request` must be refused, if it must. The other overrides are
/// listed from the API server, not a cache: one written a moment ago counts.
async fn refusals(request: &AdmissionRequest<DynamicObject>, client: &Client) -> Result<Vec<String>, String> {
    let Some(obj) = &request.object else { return Ok(vec![]) };
    let name = obj.name_any();
    let spec = obj.data.get("spec").cloned().unwrap_or_default();
    let lp = ListParams::default();
    match request.kind.kind.as_str() {
        "ClusterResourceOverride" => {
            let spec: ClusterResourceOverrideSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
            let all = Api::<ClusterResourceOverride>::all(client.clone()).list(&lp).await.map_err(|e| e.to_string())?;
            let mut out = admission::policy_errors(&spec.policy);
            out.extend(admission::cluster_conflicts(&spec, &others(&all.items, &name, |o| &o.spec)));
            Ok(out)
        }
        "ResourceOverride" => {
            let spec: ResourceOverrideSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
            let namespace = request.namespace.clone().unwrap_or_default();
            let all = Api::<ResourceOverride>::namespaced(client.clone(), &namespace)
                .list(&lp)
                .await
                .map_err(|e| e.to_string())?;
            let mut out = admission::policy_errors(&spec.policy);
            out.extend(admission::namespaced_conflicts(&spec, &others(&all.items, &name, |o| &o.spec)));
            for s in &spec.resource_selectors {
                if scope(client, &s.group, &s.version, &s.kind).await == Some(false) {
                    out.push(format!(
                        "resource selector {}/{}, Kind={} (name {:?}) selects a cluster-scoped kind; a ResourceOverride overrides namespaced resources of its own namespace (use a ClusterResourceOverride)",
                        s.group, s.version, s.kind, s.name
                    ));
                }
            }
            Ok(out)
        }
        _ => Ok(vec![]),
    }
}

/// Whether the hub serves `group/version` `kind` namespaced (`Some(true)`),
/// cluster-scoped (`Some(false)`), or not at all.
async fn scope(client: &Client, group: &str, version: &str, kind: &str) -> Option<bool> {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    kube::discovery::pinned_kind(client, &gvk).await.ok().map(|(_, caps)| caps.scope == Scope::Namespaced)
}

/// Why a placement create or update must be refused. A metadata-only update
/// (the hub agent's own finalizer) is never refused: a selected CRD removed
/// later must not wedge the placement.
async fn placement_refusals(request: &AdmissionRequest<DynamicObject>, client: &Client) -> Result<Vec<String>, String> {
    let Some(obj) = &request.object else { return Ok(vec![]) };
    let spec = obj.data.get("spec").cloned().unwrap_or_default();
    let unchanged = request.old_object.as_ref().is_some_and(|o| o.data.get("spec") == Some(&spec));
    if unchanged || obj.metadata.deletion_timestamp.is_some() {
        return Ok(vec![]);
    }
    let spec: PlacementSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
    let mut out = placement_admission::spec_errors(&spec);
    let mut served = std::collections::HashMap::new();
    for s in &spec.resource_selectors {
        if let std::collections::hash_map::Entry::Vacant(e) =
            served.entry((s.group.clone(), s.version.clone(), s.kind.clone()))
        {
            e.insert(scope(client, &s.group, &s.version, &s.kind).await);
        }
    }
    let resource_placement = request.kind.kind == "ResourcePlacement";
    out.extend(placement_admission::scope_errors(&spec, resource_placement, |g, v, k| {
        served.get(&(g.to_string(), v.to_string(), k.to_string())).copied().flatten()
    }));
    Ok(out)
}

/// Why an eviction or a disruption budget must be refused, judged against
/// its ClusterResourcePlacement (read from the API server). A placement that
/// does not exist (yet) is the controller's to report, as KubeFleet does.
async fn disruption_refusals(
    request: &AdmissionRequest<DynamicObject>,
    client: &Client,
) -> Result<Vec<String>, String> {
    let Some(obj) = &request.object else { return Ok(vec![]) };
    let spec = obj.data.get("spec").cloned().unwrap_or_default();
    let placement = match request.kind.kind.as_str() {
        "ClusterResourcePlacementEviction" => spec["placementName"].as_str().unwrap_or_default().to_string(),
        _ => obj.name_any(),
    };
    let crp = Api::<ClusterResourcePlacement>::all(client.clone()).get_opt(&placement).await.map_err(|e| {
        format!("failed to get clusterResourcePlacement {placement} for {} {}: {e}", request.kind.kind, obj.name_any())
    })?;
    let Some(crp) = crp else { return Ok(vec![]) };
    let policy_type = crp.spec.placement.policy.as_ref().map(|p| p.placement_type).unwrap_or_default();
    Ok(match request.kind.kind.as_str() {
        "ClusterResourcePlacementEviction" => {
            placement_admission::eviction_errors(&placement, policy_type, crp.metadata.deletion_timestamp.is_some())
        }
        _ => {
            let budget: PlacementDisruptionBudgetSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
            placement_admission::budget_errors(policy_type, &budget)
        }
    })
}

async fn mutate_placement(Json(review): Json<AdmissionReview<DynamicObject>>) -> Review {
    review_with(review, async |request| {
        let response = AdmissionResponse::from(&request);
        let Some(obj) = &request.object else { return response };
        let ops = placement_admission::defaults(&serde_json::to_value(obj).unwrap_or_default());
        if ops.is_empty() {
            return response;
        }
        match response.clone().with_patch(json_patch::Patch(ops)) {
            Ok(r) => r,
            Err(e) => response.deny(format!("defaulting failed: {e}")),
        }
    })
    .await
}

/// Answers `review` with what `decide` says of its request.
async fn review_with(
    review: AdmissionReview<DynamicObject>,
    decide: impl AsyncFnOnce(AdmissionRequest<DynamicObject>) -> AdmissionResponse,
) -> Review {
    let request: AdmissionRequest<DynamicObject> = match review.try_into() {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "an admission review without a request");
            return Json(AdmissionResponse::invalid(e.to_string()).into_review());
        }
    };
    Json(decide(request).await.into_review())
}

/// A validating answer: allowed unless `refusals` names something; a
/// delete or connect always passes.
async fn validating(
    review: AdmissionReview<DynamicObject>,
    refusals: impl AsyncFnOnce(&AdmissionRequest<DynamicObject>) -> Result<Vec<String>, String>,
) -> Review {
    review_with(review, async |request| {
        let response = AdmissionResponse::from(&request);
        if matches!(request.operation, Operation::Delete | Operation::Connect) {
            return response;
        }
        match refusals(&request).await {
            Ok(r) if r.is_empty() => response,
            Ok(r) => {
                debug!(kind = %request.kind.kind, name = %request.name, "refused: {}", r.join("; "));
                response.deny(r.join("; "))
            }
            Err(e) => response.deny(format!("the {} cannot be read: {e}", request.kind.kind)),
        }
    })
    .await
}

type Review = Json<AdmissionReview<DynamicObject>>;

async fn validate(State(client): State<Client>, Json(review): Json<AdmissionReview<DynamicObject>>) -> Review {
    validating(review, async |r| refusals(r, &client).await).await
}

async fn validate_placement(
    State(client): State<Client>,
    Json(review): Json<AdmissionReview<DynamicObject>>,
) -> Review {
    validating(review, async |r| {
        let found = placement_refusals(r, &client).await?;
        let kind = &r.kind.kind;
        Ok(if found.is_empty() { found } else { vec![format!("the {kind} has invalid fields: {}", found.join("; "))] })
    })
    .await
}

async fn validate_disruption(
    State(client): State<Client>,
    Json(review): Json<AdmissionReview<DynamicObject>>,
) -> Review {
    validating(review, async |r| disruption_refusals(r, &client).await).await
}

/// Serves the webhook until the process ends; `ready` once it listens (at
/// once when there is no webhook to serve).
pub async fn serve(args: WebhookArgs, client: Client, ready: impl FnOnce()) -> anyhow::Result<()> {
    let (Some(addr), Some(cert), Some(key)) = (args.webhook_address, &args.webhook_cert, &args.webhook_key) else {
        ready();
        return std::future::pending().await;
    };
    let acceptor = tls(cert, key)?;
    let app = Router::new()
        .route(PATH, post(validate))
        .route(VALIDATE_PLACEMENT, post(validate_placement))
        .route(MUTATE_PLACEMENT, post(mutate_placement))
        .route(VALIDATE_DISRUPTION, post(validate_disruption))
        .with_state(client);
    let listener = TcpListener::bind(addr).await.with_context(|| format!("binding the webhook to {addr}"))?;
    info!(address = %listener.local_addr()?, "serving the admission webhooks ({PATH}, {VALIDATE_PLACEMENT}, {MUTATE_PLACEMENT}, {VALIDATE_DISRUPTION})");
    ready();
    loop {
        let (stream, peer) = listener.accept().await?;
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(s) => s,
                Err(e) => return debug!(%peer, error = %e, "webhook TLS handshake failed"),
            };
            let service = TowerToHyperService::new(app);
            if let Err(e) = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tls), service).await
            {
                debug!(%peer, error = %e, "webhook connection");
            }
        });
    }
}
