//! The member cluster's kinds: each manifest's kind resolved through
//! discovery (cached; a miss is asked again, so a CRD applied a moment ago is
//! found once established), and one metadata-only watch per kind the applier
//! placed, which turns any change to a placed object (a hand edit, a
//! Deployment becoming available, a deletion) into a pass over its Work.
//! Only objects owned by an AppliedWork trigger anything; nothing is cached.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use apis::placement::Work;
use futures::StreamExt;
use kube::{
    Api, Client,
    api::{ApiResource, DynamicObject, GroupVersionKind, PartialObjectMeta},
    discovery::{self, Scope},
    error::DiscoveryError,
    runtime::{WatchStreamExt, reflector::ObjectRef, watcher},
};
use tokio::{sync::mpsc, task::JoinHandle};
use tracing::debug;

use super::ownership;

/// A resolved kind.
#[derive(Clone, Debug)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// Discovery cache and placed-object watches for one member cluster.
#[derive(Clone)]
pub struct Kinds {
    client: Client,
    /// The hub namespace of this member's Works, for the triggers.
    work_namespace: String,
    resolved: Arc<Mutex<HashMap<GroupVersionKind, Kind>>>,
    watched: Arc<Mutex<HashSet<(String, String)>>>,
    watches: Arc<Mutex<Vec<JoinHandle<()>>>>,
    triggers: mpsc::UnboundedSender<ObjectRef<Work>>,
}

impl Drop for Kinds {
    fn drop(&mut self) {
        // The last clone stops the watches.
        if Arc::strong_count(&self.watches) == 1 {
            for w in self.watches.lock().expect("watches lock").drain(..) {
                w.abort();
            }
        }
    }
}

/// Why a kind cannot be resolved. Only `NotServed` means its objects are
/// gone: a failed discovery request says nothing about them.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("the member cluster does not serve kind {kind} in {gv}: {why}")]
    NotServed { kind: String, gv: String, why: String },
    #[error("discovering kind {kind} in {gv} on the member cluster: {source}")]
    Discovery {
        kind: String,
        gv: String,
        #[source]
        source: kube::Error,
    },
}

impl ResolveError {
    /// Discovery answers 404 for a group version it does not serve, and
    /// kube reports a served group version without the kind as MissingKind.
    fn of(gvk: &GroupVersionKind, e: kube::Error) -> Self {
        let gv = if gvk.group.is_empty() { gvk.version.clone() } else { format!("{}/{}", gvk.group, gvk.version) };
        let kind = gvk.kind.clone();
        match e {
            kube::Error::Api(s) if s.code == 404 => ResolveError::NotServed { kind, gv, why: s.message },
            kube::Error::Discovery(DiscoveryError::MissingKind(why)) => ResolveError::NotServed { kind, gv, why },
            source => ResolveError::Discovery { kind, gv, source },
        }
    }
}

impl Kinds {
    /// Also returns the stream of Works whose placed objects changed.
    pub fn new(client: Client, work_namespace: &str) -> (Self, mpsc::UnboundedReceiver<ObjectRef<Work>>) {
        let (triggers, rx) = mpsc::unbounded_channel();
        let kinds = Kinds {
            client,
            work_namespace: work_namespace.to_string(),
            resolved: Default::default(),
            watched: Default::default(),
            watches: Default::default(),
            triggers,
        };
        (kinds, rx)
    }

    /// The kind `gvk` as the member serves it; an error names what is missing.
    pub async fn resolve(&self, gvk: &GroupVersionKind) -> Result<Kind, ResolveError> {
        if let Some(k) = self.resolved.lock().expect("kinds lock").get(gvk) {
            return Ok(k.clone());
        }
        match discovery::pinned_kind(&self.client, gvk).await {
            Ok((resource, caps)) => {
                let kind = Kind { resource, namespaced: caps.scope == Scope::Namespaced };
                self.resolved.lock().expect("kinds lock").insert(gvk.clone(), kind.clone());
                Ok(kind)
            }
            Err(e) => Err(ResolveError::of(gvk, e)),
        }
    }

    /// Forget `gvk` (its resource was not found: a CRD may have changed).
    pub fn forget(&self, gvk: &GroupVersionKind) {
        self.resolved.lock().expect("kinds lock").remove(gvk);
    }

    /// Watch objects of `kind` from now on, once per resource.
    pub fn watch(&self, kind: &Kind) {
        let key = (kind.resource.group.clone(), kind.resource.plural.clone());
        if !self.watched.lock().expect("watched lock").insert(key) {
            return;
        }
        let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(self.client.clone(), &kind.resource);
        let triggers = self.triggers.clone();
        let ns = self.work_namespace.clone();
        let plural = kind.resource.plural.clone();
        debug!(resource = %plural, "watching placed objects");
        let task = tokio::spawn(async move {
            let mut events = std::pin::pin!(watcher(api, watcher::Config::default().any_semantic()).default_backoff());
            while let Some(ev) = events.next().await {
                // Deletions count: a placed object deleted by hand is put back.
                let obj = match ev {
                    Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o) | watcher::Event::Delete(o)) => o,
                    _ => continue,
                };
                for r in obj.metadata.owner_references.iter().flatten() {
                    if ownership::names_applied_work(&r.api_version, &r.kind)
                        && triggers.send(ObjectRef::new(&r.name).within(&ns)).is_err()
                    {
                        return;
                    }
                }
            }
        });
        self.watches.lock().expect("watches lock").push(task);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status { code, message: format!("code {code}"), ..Default::default() }))
    }

    #[test]
    fn only_a_kind_the_member_does_not_serve_counts_as_gone() {
        let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
        assert!(matches!(ResolveError::of(&gvk, status(404)), ResolveError::NotServed { .. }));
        let missing = kube::Error::Discovery(DiscoveryError::MissingKind("Widget".into()));
        assert!(matches!(ResolveError::of(&gvk, missing), ResolveError::NotServed { .. }));
        // An overloaded or unreachable API server says nothing about the objects.
        let e = ResolveError::of(&gvk, status(503));
        assert!(matches!(e, ResolveError::Discovery { .. }));
        assert!(e.to_string().contains("kind Widget in example.com/v1"), "{e}");
    }
}
