//! The hub agent's validating admission webhook, over TLS: the override
//! rules the CRD schema cannot express (see `overrides::admission`). The API
//! server calls `POST /validate-override` for ClusterResourceOverrides and
//! ResourceOverrides; the deployment manifests and the local fleet register it
//! with a ValidatingWebhookConfiguration.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context as _;
use apis::placement::{ClusterResourceOverride, ClusterResourceOverrideSpec, ResourceOverride, ResourceOverrideSpec};
use axum::{Json, Router, extract::State, routing::post};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DynamicObject, ListParams},
    core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation},
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

use crate::overrides::admission::{self, Other};

/// The path the API server calls.
pub const PATH: &str = "/validate-override";

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
            Ok(out)
        }
        _ => Ok(vec![]),
    }
}

async fn validate(
    State(client): State<Client>,
    Json(review): Json<AdmissionReview<DynamicObject>>,
) -> Json<AdmissionReview<DynamicObject>> {
    let request: AdmissionRequest<DynamicObject> = match review.try_into() {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "an admission review without a request");
            return Json(AdmissionResponse::invalid(e.to_string()).into_review());
        }
    };
    let response = AdmissionResponse::from(&request);
    if matches!(request.operation, Operation::Delete | Operation::Connect) {
        return Json(response.into_review());
    }
    let response = match refusals(&request, &client).await {
        Ok(r) if r.is_empty() => response,
        Ok(r) => {
            debug!(kind = %request.kind.kind, name = %request.name, "refused: {}", r.join("; "));
            response.deny(r.join("; "))
        }
        Err(e) => response.deny(format!("the override cannot be read: {e}")),
    };
    Json(response.into_review())
}

/// Serves the webhook until the process ends; `ready` once it listens (at
/// once when there is no webhook to serve).
pub async fn serve(args: WebhookArgs, client: Client, ready: impl FnOnce()) -> anyhow::Result<()> {
    let (Some(addr), Some(cert), Some(key)) = (args.webhook_address, &args.webhook_cert, &args.webhook_key) else {
        ready();
        return std::future::pending().await;
    };
    let acceptor = tls(cert, key)?;
    let app = Router::new().route(PATH, post(validate)).with_state(client);
    let listener = TcpListener::bind(addr).await.with_context(|| format!("binding the webhook to {addr}"))?;
    info!(address = %listener.local_addr()?, path = PATH, "serving the override admission webhook");
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
