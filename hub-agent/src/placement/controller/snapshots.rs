//! The resource snapshot group and the policy snapshot of one pass: reuse the
//! latest when nothing changed, otherwise retire it, prune the history and
//! create the next. A placement with the External strategy takes a resource
//! snapshot only when an update run asks for one (KubeFleet's behaviour: an
//! edit on the hub makes no new version until a run rolls it).

use std::{collections::BTreeMap, sync::Arc};

use apis::{
    labels,
    placement::{Manifest, PlacementType, ResourceSnapshotSpec, RolloutStrategyType, SchedulingPolicySnapshotSpec},
};
use k8s_openapi::ByteString;
use kube::{
    Resource, ResourceExt,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::json;
use tracing::info;

use super::{
    expectations::Child,
    pass::{Error, Pass},
    write::delete_object,
};
use crate::{
    history,
    placement::{
        family::{Family, Object, WithSpec},
        selection::resolve::Selected,
        snapshot::{policy as policy_snapshot, resources},
        works::envelope,
    },
};

/// The latest resource snapshot group, master first.
pub struct Group {
    pub master: String,
    pub index: String,
    /// (subindex, resources); `None` is the master.
    pub snapshots: Vec<(Option<usize>, Vec<Manifest>)>,
}

impl Group {
    /// No snapshot yet: an External placement no run has asked one of.
    fn none() -> Self {
        Group { master: String::new(), index: String::new(), snapshots: Vec::new() }
    }

    pub fn is_none(&self) -> bool {
        self.master.is_empty()
    }
}

fn label<'a, K: Resource>(o: &'a K, key: &str) -> Option<&'a str> {
    o.meta().labels.as_ref()?.get(key).map(String::as_str)
}

fn annotation<'a, K: Resource>(o: &'a K, key: &str) -> Option<&'a str> {
    o.meta().annotations.as_ref()?.get(key).map(String::as_str)
}

fn index_of<K: Resource>(o: &K, key: &str) -> Option<u32> {
    label(o, key)?.parse().ok()
}

fn group_of<F: Family>(
    snaps: &[Arc<F::ResourceSnapshot>],
    index: u32,
) -> Vec<(Option<usize>, Arc<F::ResourceSnapshot>)> {
    let mut g: Vec<_> = snaps
        .iter()
        .filter(|s| index_of(s.as_ref(), labels::RESOURCE_INDEX) == Some(index))
        .map(|s| {
            let sub = annotation(s.as_ref(), labels::SUBINDEX_OF_RESOURCE_SNAPSHOT).and_then(|v| v.parse().ok());
            (sub, s.clone())
        })
        .collect();
    g.sort_by_key(|(sub, _)| sub.map(|s| s + 1).unwrap_or(0));
    g
}

/// Reads a stored group of snapshots for a binding bound to an older index.
pub fn stored_group<F: Family>(pass: &Pass<'_, F>, master: &str) -> Option<Group> {
    let snaps = pass.children(&pass.ctx.resource_snapshots);
    let m = snaps.iter().find(|s| s.name_any() == master)?;
    let index = index_of(m.as_ref(), labels::RESOURCE_INDEX)?;
    let group = group_of::<F>(&snaps, index);
    let want: usize =
        annotation(m.as_ref(), labels::NUMBER_OF_RESOURCE_SNAPSHOTS).and_then(|n| n.parse().ok()).unwrap_or(1);
    if group.len() != want {
        return None;
    }
    Some(Group {
        master: master.to_string(),
        index: index.to_string(),
        snapshots: group.into_iter().map(|(sub, s)| (sub, s.spec().selected_resources.clone())).collect(),
    })
}

pub async fn resources<F: Family>(pass: &mut Pass<'_, F>, selected: &Selected) -> Result<Group, Error> {
    let api = F::ResourceSnapshot::api(pass.ctx.client.clone(), pass.ns());
    let snaps = pass.children(&pass.ctx.resource_snapshots);
    let masters: Vec<&Arc<F::ResourceSnapshot>> =
        snaps.iter().filter(|s| annotation(s.as_ref(), labels::RESOURCE_GROUP_HASH).is_some()).collect();
    let latest = masters
        .iter()
        .find(|m| label(m.as_ref(), labels::IS_LATEST_SNAPSHOT) == Some("true"))
        .or_else(|| masters.iter().max_by_key(|m| index_of(m.as_ref(), labels::RESOURCE_INDEX)))
        .copied();
    // External: only a run's request that the latest does not answer yet takes a snapshot.
    let request = (pass.spec().strategy.type_ == RolloutStrategyType::External)
        .then(|| annotation(pass.placement, labels::RESOURCE_SNAPSHOT_REQUEST).unwrap_or_default().to_string());
    if let Some(r) = &request {
        let answered = latest.is_some_and(|m| annotation(m.as_ref(), labels::RESOURCE_SNAPSHOT_ANSWERS) == Some(r));
        if r.is_empty() || answered {
            let stored = latest.and_then(|m| stored_group(pass, &m.name_any()));
            return Ok(stored.unwrap_or_else(Group::none));
        }
    }
    let hash = resources::hash(&selected.objects);
    let chunks = resources::split(selected.objects.clone(), resources::SIZE_LIMIT);

    if let Some(m) = latest.filter(|m| annotation(m.as_ref(), labels::RESOURCE_GROUP_HASH) == Some(hash.as_str())) {
        let index = index_of(m.as_ref(), labels::RESOURCE_INDEX).unwrap_or(0);
        let master = m.name_any();
        if label(m.as_ref(), labels::IS_LATEST_SNAPSHOT) != Some("true") {
            set_latest(pass, &api, &master, true).await?;
        }
        if let Some(r) = &request {
            // Nothing changed since: the latest is the snapshot the run asked for.
            let patch = json!({"metadata": {"annotations": {labels::RESOURCE_SNAPSHOT_ANSWERS: r}}});
            let written = api
                .patch(&master, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(pass.kube("answering a run's snapshot request"))?;
            pass.wrote(Child::of::<F::ResourceSnapshot>(), &written);
        }
        // A crash between creating the master and its sub-snapshots leaves the
        // group short: create what is missing.
        let existing = group_of::<F>(&snaps, index);
        for (sub, chunk) in chunks.iter().enumerate().skip(1) {
            if !existing.iter().any(|(s, _)| *s == Some(sub - 1)) {
                create_sub(pass, &api, index, sub - 1, chunk.clone()).await?;
            }
        }
        return Ok(Group { master, index: index.to_string(), snapshots: numbered(chunks) });
    }

    // Something changed: a new group.
    let indices: Vec<u32> = snaps.iter().filter_map(|s| index_of(s.as_ref(), labels::RESOURCE_INDEX)).collect();
    let index = indices.iter().max().map(|i| i + 1).unwrap_or(0);
    let limit = pass.spec().revision_history_limit.max(1) as usize;
    let pruned = history::prune(&indices, limit);
    // Retire the latest first (unless it is pruned anyway), so a crash between
    // here and the create leaves a consistent history.
    if let Some(m) = latest.filter(|m| label(m.as_ref(), labels::IS_LATEST_SNAPSHOT) == Some("true")) {
        let retired = index_of(m.as_ref(), labels::RESOURCE_INDEX).is_some_and(|i| pruned.contains(&i));
        if !retired {
            set_latest(pass, &api, &m.name_any(), false).await?;
        }
    }
    for old in pruned {
        for s in snaps.iter().filter(|s| index_of(s.as_ref(), labels::RESOURCE_INDEX) == Some(old)) {
            delete_object(&api, &s.name_any()).await.map_err(pass.kube("pruning resource snapshots"))?;
            pass.deleted(Child::of::<F::ResourceSnapshot>(), s.namespace(), &s.name_any());
        }
    }
    let enveloped = selected.objects.iter().filter(|o| envelope::envelope_type(o).is_some()).count();
    let master = resources::master_name(&pass.name, index);
    let mut meta = pass.child_meta(
        master.clone(),
        BTreeMap::from([
            (labels::RESOURCE_INDEX.to_string(), index.to_string()),
            (labels::IS_LATEST_SNAPSHOT.to_string(), "true".to_string()),
        ]),
    );
    let mut annotations = BTreeMap::from([
        (labels::RESOURCE_GROUP_HASH.to_string(), hash),
        (labels::NUMBER_OF_RESOURCE_SNAPSHOTS.to_string(), chunks.len().to_string()),
        (labels::NUMBER_OF_ENVELOPED_OBJECTS.to_string(), enveloped.to_string()),
    ]);
    if let Some(r) = request {
        annotations.insert(labels::RESOURCE_SNAPSHOT_ANSWERS.to_string(), r);
    }
    meta.annotations = Some(annotations);
    let spec = ResourceSnapshotSpec { selected_resources: chunks[0].iter().cloned().map(Manifest).collect() };
    let created = api
        .create(&PostParams::default(), &F::ResourceSnapshot::build(meta, spec))
        .await
        .map_err(pass.kube("creating the resource snapshot"))?;
    pass.wrote(Child::of::<F::ResourceSnapshot>(), &created);
    for (sub, chunk) in chunks.iter().enumerate().skip(1) {
        create_sub(pass, &api, index, sub - 1, chunk.clone()).await?;
    }
    info!(placement = %pass.key, snapshot = %master, resources = selected.objects.len(), "new resource snapshot");
    Ok(Group { master, index: index.to_string(), snapshots: numbered(chunks) })
}

fn numbered(chunks: Vec<Vec<serde_json::Value>>) -> Vec<(Option<usize>, Vec<Manifest>)> {
    chunks.into_iter().enumerate().map(|(i, c)| (i.checked_sub(1), c.into_iter().map(Manifest).collect())).collect()
}

async fn create_sub<F: Family>(
    pass: &mut Pass<'_, F>,
    api: &kube::Api<F::ResourceSnapshot>,
    index: u32,
    subindex: usize,
    chunk: Vec<serde_json::Value>,
) -> Result<(), Error> {
    let mut meta = pass.child_meta(
        resources::sub_name(&pass.name, index, subindex),
        BTreeMap::from([(labels::RESOURCE_INDEX.to_string(), index.to_string())]),
    );
    meta.annotations =
        Some(BTreeMap::from([(labels::SUBINDEX_OF_RESOURCE_SNAPSHOT.to_string(), subindex.to_string())]));
    let spec = ResourceSnapshotSpec { selected_resources: chunk.into_iter().map(Manifest).collect() };
    let created = api
        .create(&PostParams::default(), &F::ResourceSnapshot::build(meta, spec))
        .await
        .map_err(pass.kube("creating a resource sub-snapshot"))?;
    pass.wrote(Child::of::<F::ResourceSnapshot>(), &created);
    Ok(())
}

async fn set_latest<F: Family, K: Object>(
    pass: &mut Pass<'_, F>,
    api: &kube::Api<K>,
    name: &str,
    latest: bool,
) -> Result<(), Error> {
    let patch = json!({"metadata": {"labels": {labels::IS_LATEST_SNAPSHOT: latest.to_string()}}});
    let written = api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(pass.kube("relabelling a snapshot"))?;
    pass.wrote(Child::of::<K>(), &written);
    Ok(())
}

/// The latest policy snapshot, created or brought up to date.
pub async fn policy<F: Family>(pass: &mut Pass<'_, F>) -> Result<F::PolicySnapshot, Error> {
    let api = F::PolicySnapshot::api(pass.ctx.client.clone(), pass.ns());
    let snaps = pass.children(&pass.ctx.policy_snapshots);
    let latest = snaps
        .iter()
        .find(|s| label(s.as_ref(), labels::IS_LATEST_SNAPSHOT) == Some("true"))
        .or_else(|| snaps.iter().max_by_key(|s| index_of(s.as_ref(), labels::POLICY_INDEX)));
    let policy = pass.spec().policy.as_ref();
    let hash = policy_snapshot::hash(policy);
    let n = policy.filter(|p| p.placement_type == PlacementType::PickN).and_then(|p| p.number_of_clusters);
    let want_annotations = {
        let mut a = BTreeMap::from([(labels::CRP_GENERATION.to_string(), pass.generation.to_string())]);
        if let Some(n) = n {
            a.insert(labels::NUMBER_OF_CLUSTERS.to_string(), n.to_string());
        }
        a
    };

    if let Some(s) = latest.filter(|s| s.spec().policy_hash.0 == hash.as_bytes()) {
        let stale_annotations = want_annotations.iter().any(|(k, v)| annotation(s.as_ref(), k) != Some(v.as_str()));
        if !stale_annotations && label(s.as_ref(), labels::IS_LATEST_SNAPSHOT) == Some("true") {
            return Ok(s.as_ref().clone());
        }
        // Same policy, new generation or N: update in place (a scale, not a reschedule).
        let patch = json!({"metadata": {
            "labels": {labels::IS_LATEST_SNAPSHOT: "true"},
            "annotations": want_annotations,
        }});
        let written = api
            .patch(&s.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(pass.kube("updating the policy snapshot"))?;
        pass.wrote(Child::of::<F::PolicySnapshot>(), &written);
        return Ok(written);
    }

    let indices: Vec<u32> = snaps.iter().filter_map(|s| index_of(s.as_ref(), labels::POLICY_INDEX)).collect();
    let index = indices.iter().max().map(|i| i + 1).unwrap_or(0);
    if let Some(s) = latest.filter(|s| label(s.as_ref(), labels::IS_LATEST_SNAPSHOT) == Some("true")) {
        set_latest(pass, &api, &s.name_any(), false).await?;
    }
    let limit = pass.spec().revision_history_limit.max(1) as usize;
    for old in history::prune(&indices, limit) {
        for s in snaps.iter().filter(|s| index_of(s.as_ref(), labels::POLICY_INDEX) == Some(old)) {
            delete_object(&api, &s.name_any()).await.map_err(pass.kube("pruning policy snapshots"))?;
            pass.deleted(Child::of::<F::PolicySnapshot>(), s.namespace(), &s.name_any());
        }
    }
    let name = policy_snapshot::name(&pass.name, index);
    let mut meta = pass.child_meta(
        name.clone(),
        BTreeMap::from([
            (labels::IS_LATEST_SNAPSHOT.to_string(), "true".to_string()),
            (labels::POLICY_INDEX.to_string(), index.to_string()),
        ]),
    );
    meta.annotations = Some(want_annotations);
    let spec = SchedulingPolicySnapshotSpec { policy: policy.cloned(), policy_hash: ByteString(hash.into_bytes()) };
    let created = api
        .create(&PostParams::default(), &F::PolicySnapshot::build(meta, spec))
        .await
        .map_err(pass.kube("creating the policy snapshot"))?;
    pass.wrote(Child::of::<F::PolicySnapshot>(), &created);
    info!(placement = %pass.key, snapshot = %name, "new scheduling policy snapshot");
    Ok(created)
}
