//! The context of one pass over one placement, shared by every stage: the
//! placement, the clock, the bindings as this pass has written them so far,
//! and the writes the next pass must see in the caches before it acts.
//! Stages hand their results to the next as values, not through here.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use apis::{
    labels,
    placement::{PlacementSpec, Work},
};
use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference},
    jiff::Timestamp,
};
use kube::{Resource, ResourceExt};

use super::{
    Context,
    expectations::{Child, Expect, Pending, version},
};
use crate::placement::family::{Family, Object, WithSpec};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{doing} for placement {placement}: {source}")]
    Kube {
        doing: String,
        placement: String,
        #[source]
        source: kube::Error,
    },
    #[error("placement {placement}: {message}")]
    Other { placement: String, message: String },
}

pub struct Pass<'a, F: Family> {
    pub ctx: &'a Context<F>,
    pub placement: &'a F::Placement,
    pub name: String,
    pub namespace: Option<String>,
    /// `namespace/name`, or the name of a cluster-scoped placement.
    pub key: String,
    pub generation: i64,
    pub now: Timestamp,
    /// The placement's bindings as this pass has left them: the cache may
    /// not show a write of this pass yet, and later stages read them.
    pub bindings: Vec<F::Binding>,
    /// Writes to wait for before the next pass acts on the caches.
    pub writes: Vec<Pending>,
    /// When to look again at the latest (a rollout waiting on a clock).
    pub requeue: Option<Duration>,
}

/// `namespace/name`, or the name of a cluster-scoped placement.
pub fn key(placement: &impl Resource) -> String {
    let m = placement.meta();
    match &m.namespace {
        Some(ns) => format!("{ns}/{}", m.name.as_deref().unwrap_or_default()),
        None => m.name.clone().unwrap_or_default(),
    }
}

impl<'a, F: Family> Pass<'a, F> {
    pub fn new(ctx: &'a Context<F>, placement: &'a F::Placement) -> Self {
        let mut pass = Pass {
            ctx,
            placement,
            name: placement.name_any(),
            namespace: placement.meta().namespace.clone(),
            key: key(placement),
            generation: placement.meta().generation.unwrap_or(0),
            now: Timestamp::now(),
            bindings: Vec::new(),
            writes: Vec::new(),
            requeue: None,
        };
        pass.bindings = pass.children(&ctx.bindings).into_iter().map(|b| (*b).clone()).collect();
        pass.bindings.sort_by_key(|b| b.name_any());
        pass
    }

    pub fn spec(&self) -> &'a PlacementSpec {
        self.placement.spec()
    }

    /// `ns` for a ResourcePlacement's children, "" for cluster-scoped ones.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }

    pub fn kube(&self, doing: &str) -> impl FnOnce(kube::Error) -> Error {
        let (doing, placement) = (doing.to_string(), self.key.clone());
        move |source| Error::Kube { doing, placement, source }
    }

    /// Look again after `after` at the latest (the sooner of all asked for).
    pub fn requeue_after(&mut self, after: Duration) {
        self.requeue = Some(self.requeue.map_or(after, |r| r.min(after)));
    }

    /// Metadata of a child: in the placement's namespace, labelled with it,
    /// and owned by it (so the garbage collector removes what a crash leaves).
    pub fn child_meta(&self, name: String, extra_labels: BTreeMap<String, String>) -> ObjectMeta {
        let mut l = BTreeMap::from([(labels::PLACEMENT_TRACKING.to_string(), self.name.clone())]);
        l.extend(extra_labels);
        ObjectMeta {
            name: Some(name),
            namespace: self.namespace.clone(),
            labels: Some(l),
            owner_references: self.placement.controller_owner_ref(&()).map(|o| vec![o]),
            ..Default::default()
        }
    }

    /// Remembers a write so the next pass waits until the cache shows it.
    pub fn wrote<K: Resource>(&mut self, kind: Child, obj: &K) {
        let m = obj.meta();
        self.writes.push(Pending {
            kind,
            namespace: m.namespace.clone(),
            name: m.name.clone().unwrap_or_default(),
            expect: Expect::Version(version(m.resource_version.as_deref())),
        });
    }

    pub fn deleted(&mut self, kind: Child, namespace: Option<String>, name: &str) {
        // An earlier write of it in this pass is moot: it must be gone now.
        self.writes.retain(|p| !(p.kind == kind && p.namespace == namespace && p.name == name));
        self.writes.push(Pending { kind, namespace, name: name.to_string(), expect: Expect::Gone });
    }

    /// The placement's children in `store`.
    pub fn children<K: Object>(&self, store: &kube::runtime::reflector::Store<K>) -> Vec<Arc<K>> {
        store
            .state()
            .into_iter()
            .filter(|o| {
                o.meta().namespace == self.namespace
                    && o.labels().get(labels::PLACEMENT_TRACKING).is_some_and(|n| *n == self.name)
            })
            .collect()
    }

    /// The placement's Works, by binding.
    pub fn works_by_binding(&self) -> BTreeMap<String, Vec<Arc<Work>>> {
        let mut out: BTreeMap<String, Vec<Arc<Work>>> = BTreeMap::new();
        for w in self.ctx.works.state() {
            let l = w.labels();
            let mine = l.get(labels::PLACEMENT_TRACKING) == Some(&self.name)
                && l.get(labels::PARENT_NAMESPACE) == self.namespace.as_ref();
            if mine && let Some(b) = l.get(labels::PARENT_BINDING) {
                out.entry(b.clone()).or_default().push(w);
            }
        }
        out
    }

    pub fn binding_owner(binding: &F::Binding) -> OwnerReference {
        let m = binding.meta();
        OwnerReference {
            api_version: F::Binding::api_version(&()).to_string(),
            kind: F::Binding::kind(&()).to_string(),
            name: m.name.clone().unwrap_or_default(),
            uid: m.uid.clone().unwrap_or_default(),
            block_owner_deletion: Some(true),
            controller: None,
        }
    }
}
