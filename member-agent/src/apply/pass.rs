//! One pass over a Work on the member cluster: remove what left the Work,
//! then take each manifest through ownership, drift detection and apply, in
//! waves (a wave's manifests concurrently), and read back availability. The
//! decisions are the pure modules'; this file only makes the calls. Writes
//! happen only when the live object is missing, differs from the manifest or
//! lacks our owner reference.

use std::time::Duration;

use apis::{
    conditions::placement as p,
    placement::{
        AppliedResourceMeta, ApplyStrategy, ApplyStrategyType, ComparisonOptionType, PatchDetail, WhenToApplyType,
        WorkResourceIdentifier,
    },
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::{
    Api,
    api::{DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams, Preconditions},
};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{
    FIELD_MANAGER, availability,
    decode::{self, Decoded, Refused},
    desired,
    diff::{self, Comparison},
    inventory,
    kinds::{Kind, Kinds, ResolveError},
    ownership::{self, Step},
    status::Outcome,
    waves,
};
use crate::metrics::Metrics;

/// How long a custom resource waits for the CRD placed with it to be served.
const CRD_WAIT: Duration = Duration::from_secs(10);

/// What the pass works with.
pub struct Pass<'a> {
    pub member: &'a kube::Client,
    pub kinds: &'a Kinds,
    pub metrics: &'a Metrics,
    pub strategy: ApplyStrategy,
    /// The AppliedWork's name and uid.
    pub owner: OwnerReference,
    /// Whether an AppliedWork with this uid exists on the member.
    pub alive: &'a (dyn Fn(&str) -> bool + Sync),
}

/// The outcome of a pass.
pub struct Done {
    /// One per manifest, in order.
    pub outcomes: Vec<Outcome>,
    /// The AppliedWork's inventory after the pass.
    pub inventory: Vec<AppliedResourceMeta>,
}

fn refused(reason: &'static str, message: impl Into<String>) -> Refused {
    Refused { reason, message: message.into() }
}

fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

fn gvk(id: &WorkResourceIdentifier) -> GroupVersionKind {
    GroupVersionKind::gvk(&id.group, &id.version, &id.kind)
}

fn comparison(strategy: &ApplyStrategy) -> Comparison {
    match strategy.comparison_option {
        ComparisonOptionType::PartialComparison => Comparison::Partial,
        ComparisonOptionType::FullComparison => Comparison::Full,
    }
}

/// Whether a CRD among `manifests` defines the kind of `id`.
fn placed_crd_defines(manifests: &[Decoded], id: &WorkResourceIdentifier) -> bool {
    manifests.iter().any(|d| {
        d.identifier.kind == "CustomResourceDefinition"
            && d.object.as_ref().is_ok_and(|o| {
                o["spec"]["group"] == id.group.as_str() && o["spec"]["names"]["kind"] == id.kind.as_str()
            })
    })
}

impl Pass<'_> {
    fn api(&self, kind: &Kind, namespace: &str) -> Api<DynamicObject> {
        if kind.namespaced {
            let ns = if namespace.is_empty() { "default" } else { namespace };
            Api::namespaced_with(self.member.clone(), ns, &kind.resource)
        } else {
            Api::all_with(self.member.clone(), &kind.resource)
        }
    }

    /// Resolve a kind; for one a CRD of this Work defines, wait (bounded) for it to be served.
    async fn resolve(&self, id: &WorkResourceIdentifier, wait_for_crd: bool) -> Result<Kind, String> {
        let deadline = Instant::now() + CRD_WAIT;
        loop {
            match self.kinds.resolve(&gvk(id)).await {
                Ok(k) => return Ok(k),
                Err(e) if !wait_for_crd || Instant::now() >= deadline => return Err(e.to_string()),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    pub async fn run(&self, manifests: &[apis::placement::Manifest], previous: &[AppliedResourceMeta]) -> Done {
        let decoded = decode::decode(manifests);
        let ids: Vec<WorkResourceIdentifier> =
            decoded.iter().filter(|d| d.object.is_ok()).map(|d| d.identifier.clone()).collect();

        // What left the Work goes first (as KubeFleet), so a renamed object
        // never exists twice; what cannot be removed yet stays listed.
        let mut not_removed = Vec::new();
        for r in inventory::stale(previous, &ids) {
            if let Err(e) = self.remove(&r).await {
                tracing::warn!(kind = %r.identifier.kind, name = %r.identifier.name, error = %e, "cannot remove an object that left its Work yet");
                not_removed.push(r);
            }
        }

        // Resolve kinds; an unknown kind waits for the last wave (its CRD may come first).
        let mut outcomes: Vec<Option<Outcome>> = vec![None; decoded.len()];
        let mut ready: Vec<(usize, Value, Option<Kind>)> = Vec::new();
        for (i, d) in decoded.iter().enumerate() {
            match &d.object {
                Err(r) => outcomes[i] = Some(Outcome::refused(d.identifier.clone(), r.clone(), None)),
                Ok(obj) => ready.push((i, obj.clone(), self.kinds.resolve(&gvk(&d.identifier)).await.ok())),
            }
        }
        let organized = waves::organize(ready, |(_, _, k)| match k {
            Some(k) => (k.resource.group.as_str(), k.resource.plural.as_str()),
            None => ("", ""),
        });
        let mut confirmed = Vec::new();
        for (_, wave) in organized {
            let results = futures::future::join_all(wave.into_iter().map(|(i, obj, kind)| {
                let decoded = &decoded;
                async move {
                    let mut id = decoded[i].identifier.clone();
                    let kind = match kind {
                        Some(k) => Ok(k),
                        None => self.resolve(&id, placed_crd_defines(decoded, &id)).await,
                    };
                    let out = match kind {
                        Ok(kind) => {
                            id.resource = kind.resource.plural.clone();
                            self.kinds.watch(&kind);
                            self.one(id, &obj, &kind).await
                        }
                        Err(e) => (Outcome::refused(id, refused(p::REASON_MANIFEST_APPLY_FAILED, e), None), None),
                    };
                    (i, out)
                }
            }))
            .await;
            for (i, (outcome, placed)) in results {
                outcomes[i] = Some(outcome);
                confirmed.extend(placed);
            }
        }
        let outcomes: Vec<Outcome> = outcomes.into_iter().map(|o| o.expect("every manifest has an outcome")).collect();
        let inventory = inventory::next(confirmed, previous, |r| {
            ids.iter().any(|m| {
                (&m.group, &m.kind, &m.namespace, &m.name)
                    == (&r.identifier.group, &r.identifier.kind, &r.identifier.namespace, &r.identifier.name)
            }) || not_removed.contains(r)
        });
        Done { outcomes, inventory }
    }

    /// One manifest: its outcome and, if the object is ours now, its inventory entry.
    async fn one(
        &self,
        id: WorkResourceIdentifier,
        manifest: &Value,
        kind: &Kind,
    ) -> (Outcome, Option<AppliedResourceMeta>) {
        let api = self.api(kind, &id.namespace);
        let live = match api.get_opt(&id.name).await {
            Ok(o) => o.map(|o| serde_json::to_value(o).expect("objects serialize")),
            Err(e) => {
                let r = refused(p::REASON_FAILED_TO_FIND_OBJ_IN_MEMBER_CLUSTER, api_message(&e));
                return (Outcome::refused(id, r, None), None);
            }
        };
        let generation = |v: &Value| v["metadata"]["generation"].as_i64().or(Some(0));
        let mode = comparison(&self.strategy);

        if self.strategy.type_ == ApplyStrategyType::ReportDiff {
            let diffs = match &live {
                None => vec![PatchDetail {
                    path: "/".into(),
                    value_in_member: String::new(),
                    value_in_hub: "(the whole object)".into(),
                }],
                Some(l) => diff::differences(l, manifest, mode),
            };
            let outcome =
                Outcome { generation: live.as_ref().and_then(generation), diffs: Some(diffs), ..Outcome::done(id) };
            return (outcome, None);
        }

        let uid = self.owner.uid.as_str();
        let mut live = live;
        match ownership::decide(live.as_ref(), uid, &self.strategy, self.alive) {
            Step::Refuse(r) => {
                let g = live.as_ref().and_then(generation);
                return (Outcome::refused(id, r, g), None);
            }
            Step::TakeOver { keep, compare_first } => {
                let current = live.as_ref().expect("only existing objects are taken over");
                if compare_first {
                    let diffs = diff::differences(current, manifest, mode);
                    if !diffs.is_empty() {
                        let r = refused(
                            p::REASON_FAILED_TO_TAKE_OVER,
                            format!(
                                "the object differs from the hub's manifest in {} field(s) and whenToTakeOver is IfNoDiff",
                                diffs.len()
                            ),
                        );
                        let o = Outcome { diffs: Some(diffs), ..Outcome::refused(id, r, generation(current)) };
                        return (o, None);
                    }
                }
                let mut owners = keep;
                owners.push(serde_json::to_value(&self.owner).expect("owner references serialize"));
                let patch = json!({"metadata": {"ownerReferences": owners, "resourceVersion": current["metadata"]["resourceVersion"]}});
                match api.patch(&id.name, &PatchParams::default(), &Patch::Merge(patch)).await {
                    Ok(o) => {
                        self.metrics.object_write("takeover");
                        live = Some(serde_json::to_value(o).expect("objects serialize"));
                    }
                    Err(e) => {
                        let r = refused(p::REASON_FAILED_TO_TAKE_OVER, api_message(&e));
                        return (Outcome::refused(id, r, generation(current)), None);
                    }
                }
            }
            Step::Create | Step::Apply => {}
        }

        let hash = desired::spec_hash(manifest);
        if let Some(l) = &live
            && self.strategy.when_to_apply == WhenToApplyType::IfNotDrifted
            && desired::recorded_hash(l) == Some(hash.as_str())
        {
            // Applied before and unchanged on the hub: any difference is a drift, kept.
            let drifts = diff::differences(l, manifest, mode);
            if !drifts.is_empty() {
                let r = refused(
                    p::REASON_FOUND_DRIFTS,
                    format!(
                        "the object changed on the member cluster in {} field(s) and whenToApply is IfNotDrifted",
                        drifts.len()
                    ),
                );
                let o = Outcome { drifts, ..Outcome::refused(id, r, generation(l)) };
                return (o, None);
            }
        }

        let stale = match &live {
            None => true,
            Some(l) => {
                desired::recorded_hash(l) != Some(hash.as_str())
                    || !diff::differences(l, manifest, Comparison::Partial).is_empty()
            }
        };
        if stale {
            match self.write(&api, &id.name, manifest, &hash, live.as_ref()).await {
                Ok(o) => live = Some(o),
                Err(e) => {
                    let r = refused(p::REASON_MANIFEST_APPLY_FAILED, e);
                    let g = live.as_ref().and_then(generation);
                    return (Outcome::refused(id, r, g), None);
                }
            }
        }
        let live = live.expect("applied");
        let drifts =
            if mode == Comparison::Full { diff::differences(&live, manifest, Comparison::Full) } else { vec![] };
        let entry = AppliedResourceMeta {
            identifier: id.clone(),
            uid: live["metadata"]["uid"].as_str().unwrap_or_default().to_string(),
        };
        let outcome = Outcome {
            availability: Some(availability::of(&id.group, &id.kind, &live)),
            drifts,
            generation: generation(&live),
            ..Outcome::done(id)
        };
        (outcome, Some(entry))
    }

    /// Create or update the object per the apply strategy; the server's message on failure.
    async fn write(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        manifest: &Value,
        hash: &str,
        live: Option<&Value>,
    ) -> Result<Value, String> {
        let to_value = |o: DynamicObject| serde_json::to_value(o).expect("objects serialize");
        let server_side = |force: bool| async move {
            let obj = desired::server_side(manifest, hash, &self.owner);
            let params = PatchParams { force, ..PatchParams::apply(FIELD_MANAGER) };
            self.metrics.object_write("apply");
            api.patch(name, &params, &Patch::Apply(obj)).await.map(to_value).map_err(|e| api_message(&e))
        };
        if self.strategy.type_ == ApplyStrategyType::ServerSideApply {
            let force = self.strategy.server_side_apply_config.as_ref().is_some_and(|c| c.force_conflicts);
            return server_side(force).await;
        }
        // Client-side apply: our owner reference joins the live object's (a merge patch replaces the list).
        let mut owners: Vec<Value> = live.map(|l| ownership::owners(l).to_vec()).unwrap_or_default();
        if !live.is_some_and(|l| ownership::owned_by(l, &self.owner.uid)) {
            owners.push(serde_json::to_value(&self.owner).expect("owner references serialize"));
        }
        let Some(obj) = desired::client_side(manifest, hash, owners) else {
            return server_side(true).await;
        };
        match live {
            None => {
                let obj: DynamicObject = serde_json::from_value(obj).map_err(|e| e.to_string())?;
                let params = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
                self.metrics.object_write("create");
                api.create(&params, &obj).await.map(to_value).map_err(|e| api_message(&e))
            }
            Some(l) => {
                let patch = desired::three_way(desired::last_applied(l).as_ref(), &obj, l);
                let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
                self.metrics.object_write("patch");
                api.patch(name, &params, &Patch::Merge(patch)).await.map(to_value).map_err(|e| api_message(&e))
            }
        }
    }

    /// Remove a placed object whose manifest left the Work: deleted if only
    /// we own it, let go if others own it too, untouched if it is not ours.
    async fn remove(&self, r: &AppliedResourceMeta) -> Result<(), String> {
        let id = &r.identifier;
        let kind = match self.kinds.resolve(&gvk(id)).await {
            Ok(kind) => kind,
            // The kind is gone, and its objects with it.
            Err(ResolveError::NotServed { .. }) => return Ok(()),
            // Unknown: keep it listed, so it is removed once discovery answers.
            Err(e) => return Err(e.to_string()),
        };
        let api = self.api(&kind, &id.namespace);
        let Some(live) = api.get_opt(&id.name).await.map_err(|e| api_message(&e))? else { return Ok(()) };
        let live = serde_json::to_value(live).expect("objects serialize");
        release_or_delete(&api, &id.name, &live, &self.owner.uid, self.metrics).await
    }
}

/// Delete `live` if our AppliedWork `uid` is its only owner; if others own
/// it too, only drop our reference; if it is not ours, leave it.
pub async fn release_or_delete(
    api: &Api<DynamicObject>,
    name: &str,
    live: &Value,
    uid: &str,
    metrics: &Metrics,
) -> Result<(), String> {
    if !ownership::owned_by(live, uid) {
        return Ok(());
    }
    let others: Vec<&Value> = ownership::owners(live).iter().filter(|o| o["uid"] != uid).collect();
    let result = if others.is_empty() {
        metrics.object_write("delete");
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: live["metadata"]["uid"].as_str().map(String::from),
                resource_version: None,
            }),
            ..DeleteParams::background()
        };
        flotilla_runtime::api::ok_if_gone(api.delete(name, &params).await)
    } else {
        release(api, name, live, uid, metrics).await
    };
    result.map_err(|e| api_message(&e))
}

/// Drop our owner reference from `live`, leaving the object in place.
pub async fn release(
    api: &Api<DynamicObject>,
    name: &str,
    live: &Value,
    uid: &str,
    metrics: &Metrics,
) -> Result<(), kube::Error> {
    if !ownership::owned_by(live, uid) {
        return Ok(());
    }
    let others: Vec<&Value> = ownership::owners(live).iter().filter(|o| o["uid"] != uid).collect();
    let patch =
        json!({"metadata": {"ownerReferences": others, "resourceVersion": live["metadata"]["resourceVersion"]}});
    metrics.object_write("release");
    flotilla_runtime::api::ok_if_gone(api.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await)
}
