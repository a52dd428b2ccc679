//! Writes more than one stage makes: batched binding patches that keep what
//! they wrote, deletions that tolerate the object being gone, and status
//! merge patches that clear emptied fields.

use std::sync::Arc;

use apis::placement::Work;
use futures::StreamExt;
use kube::{
    Api, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
};
use serde_json::json;
use tracing::info;

use super::{
    expectations::Child,
    pass::{Error, Pass},
};
use crate::placement::family::{Family, Object};

/// Writes of one kind in one pass go out this many at a time: a placement on
/// a hundred clusters is a hundred bindings and Works, and the API server
/// handles them in parallel.
const CONCURRENCY: usize = 16;

/// Runs `futures` with bounded concurrency, results in completion order.
pub async fn all<T>(futures: impl IntoIterator<Item = impl std::future::Future<Output = T>>) -> Vec<T> {
    futures::stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await
}

/// A merge patch setting `status`: the API types leave empty fields out, so
/// each of `fields` that is empty is sent as null, or it would never clear.
pub fn status_patch(status: &impl serde::Serialize, fields: &[&str]) -> serde_json::Value {
    let mut v = serde_json::to_value(status).expect("a status serializes");
    if let Some(o) = v.as_object_mut() {
        for f in fields {
            o.entry(f.to_string()).or_insert(serde_json::Value::Null);
        }
    }
    json!({ "status": v })
}

/// Merge-patches bindings concurrently and keeps the written objects.
pub async fn patch_bindings<F: Family>(
    pass: &mut Pass<'_, F>,
    patches: Vec<(String, serde_json::Value)>,
    doing: &str,
) -> Result<(), Error> {
    patch_binding_batch(pass, patches, doing, false).await
}

/// Merge-patches bindings' status concurrently and keeps the written objects.
pub async fn patch_binding_statuses<F: Family>(
    pass: &mut Pass<'_, F>,
    patches: Vec<(String, serde_json::Value)>,
) -> Result<(), Error> {
    patch_binding_batch(pass, patches, "writing the status of binding", true).await
}

async fn patch_binding_batch<F: Family>(
    pass: &mut Pass<'_, F>,
    patches: Vec<(String, serde_json::Value)>,
    doing: &str,
    status: bool,
) -> Result<(), Error> {
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    let results = all(patches.into_iter().map(|(name, body)| {
        let api = api.clone();
        async move {
            let (params, patch) = (PatchParams::default(), Patch::Merge(&body));
            let r = if status {
                api.patch_status(&name, &params, &patch).await
            } else {
                api.patch(&name, &params, &patch).await
            };
            (name, r)
        }
    }))
    .await;
    // Every binding written is kept, successes first: a write that succeeded
    // must be expected by the next pass even when another in the batch failed.
    let mut failed = None;
    for (name, r) in results {
        match r {
            Ok(written) => {
                pass.wrote(Child::of::<F::Binding>(), &written);
                if let Some(b) = pass.bindings.iter_mut().find(|b| b.name_any() == name) {
                    *b = written;
                }
            }
            Err(source) => {
                failed.get_or_insert(Error::Kube {
                    doing: format!("{doing} {name}"),
                    placement: pass.key.clone(),
                    source,
                });
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

pub async fn delete_object<K: Object>(api: &Api<K>, name: &str) -> Result<(), kube::Error> {
    flotilla_runtime::api::ok_if_gone(api.delete(name, &DeleteParams::background()).await)
}

/// Deletes a binding and its Works. Each Work carries the delete-propagation
/// policy, so the member agent knows whether the objects go too.
/// `works` are the binding's Works (from one `works_by_binding` per pass).
pub async fn delete_binding<F: Family>(pass: &mut Pass<'_, F>, name: &str, works: &[Arc<Work>]) -> Result<(), Error> {
    for w in works.iter().filter(|w| w.metadata.deletion_timestamp.is_none()) {
        let api: Api<Work> = Api::namespaced(pass.ctx.client.clone(), &w.namespace().unwrap_or_default());
        delete_object(&api, &w.name_any()).await.map_err(pass.kube(&format!("deleting work {}", w.name_any())))?;
        pass.deleted(Child::of::<Work>(), w.namespace(), &w.name_any());
    }
    let api = F::Binding::api(pass.ctx.client.clone(), pass.ns());
    delete_object(&api, name).await.map_err(pass.kube(&format!("deleting binding {name}")))?;
    pass.deleted(Child::of::<F::Binding>(), pass.namespace.clone(), name);
    pass.bindings.retain(|b| b.name_any() != name);
    info!(placement = %pass.key, binding = %name, "binding deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use apis::placement::PlacementStatus;

    use super::*;

    #[test]
    fn an_emptied_status_field_is_sent_as_null_so_the_merge_patch_clears_it() {
        let status = PlacementStatus { observed_resource_index: "3".into(), ..Default::default() };
        let patch = status_patch(&status, &["selectedResources", "observedResourceIndex", "placementStatuses"]);
        assert_eq!(patch["status"]["observedResourceIndex"], "3");
        assert!(patch["status"]["selectedResources"].is_null() && patch["status"].get("selectedResources").is_some());
        assert!(patch["status"].get("placementStatuses").is_some());
    }
}
