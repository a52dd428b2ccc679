//! The Works a binding should have, with KubeFleet's names, labels and
//! annotations, and whether an existing Work already matches. Pure.

use std::collections::BTreeMap;

use apis::{
    cluster::member_namespace,
    labels,
    placement::{ApplyStrategy, DeletePropagationPolicy, EnvelopeType, Manifest, Work, WorkSpec, WorkloadTemplate},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::envelope;

/// One snapshot of the bound group.
pub struct Snapshot<'a> {
    /// `None` for the master snapshot.
    pub subindex: Option<usize>,
    pub resources: &'a [Manifest],
}

/// Everything a binding's Works are made from.
pub struct Source<'a> {
    /// The placement's name (`parent-CRP`).
    pub placement: &'a str,
    /// A ResourcePlacement's namespace.
    pub placement_namespace: Option<&'a str>,
    pub binding: &'a str,
    /// The binding as the Works' owner: only a cluster-scoped binding can
    /// own them (a ResourceBinding is in another namespace than its Works).
    pub owner: Option<OwnerReference>,
    pub cluster: &'a str,
    /// The bound master snapshot's name and its resource index.
    pub master: &'a str,
    pub index: &'a str,
    /// The group, master first.
    pub snapshots: Vec<Snapshot<'a>>,
    pub apply_strategy: Option<&'a ApplyStrategy>,
    pub delete_policy: DeletePropagationPolicy,
    /// The override snapshots' hashes (annotations; empty lists until overrides exist).
    pub resource_override_hash: String,
    pub cluster_resource_override_hash: String,
}

impl Source<'_> {
    /// The Work name base: the placement's name, `<ns>.<name>` for a ResourcePlacement.
    fn base(&self) -> String {
        match self.placement_namespace {
            Some(ns) => format!("{ns}.{}", self.placement),
            None => self.placement.to_string(),
        }
    }

    fn prefix(&self, subindex: Option<usize>) -> String {
        match subindex {
            None => format!("{}-work", self.base()),
            Some(s) => format!("{}-{s}", self.base()),
        }
    }
}

/// Lower-case hex SHA-256 of a list's JSON: the override-hash annotations.
pub fn list_hash<T: serde::Serialize>(list: &[T]) -> String {
    format!("{:x}", Sha256::digest(serde_json::to_vec(list).expect("lists serialize")))
}

/// `<prefix>-envelope-<16 hex>` (`-configmap-` for a ConfigMap envelope), from
/// the envelope's type, namespace and name: stable across snapshots, so an
/// envelope's Work is updated in place.
pub fn envelope_work_name(prefix: &str, t: EnvelopeType, namespace: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{}/{namespace}/{name}", envelope::type_name(t)));
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let infix = if t == EnvelopeType::ConfigMap { "configmap" } else { "envelope" };
    format!("{prefix}-{infix}-{short}")
}

/// The Works of a binding. An error (an envelope whose content cannot be
/// placed) names the envelope.
pub fn desired(src: &Source) -> Result<Vec<Work>, String> {
    let mut works = Vec::new();
    for snapshot in &src.snapshots {
        let prefix = src.prefix(snapshot.subindex);
        let mut plain = Vec::new();
        for m in snapshot.resources {
            match envelope::envelope_type(&m.0) {
                None => plain.push(m.clone()),
                Some(t) => {
                    let manifests = envelope::unwrap(&m.0, t)?.into_iter().map(Manifest).collect();
                    let meta = &m.0["metadata"];
                    let name = meta["name"].as_str().unwrap_or_default();
                    let namespace = meta["namespace"].as_str().unwrap_or_default();
                    let mut work = work(src, envelope_work_name(&prefix, t, namespace, name), manifests);
                    let l = work.metadata.labels.get_or_insert_default();
                    l.insert(labels::ENVELOPE_TYPE.into(), envelope::type_name(t).into());
                    l.insert(labels::ENVELOPE_NAME.into(), name.into());
                    if !namespace.is_empty() {
                        l.insert(labels::ENVELOPE_NAMESPACE.into(), namespace.into());
                    }
                    works.push(work);
                }
            }
        }
        // One Work per snapshot even when empty, so the placement's status
        // always has a Work to report on.
        works.push(work(src, prefix, plain));
    }
    Ok(works)
}

fn work(src: &Source, name: String, manifests: Vec<Manifest>) -> Work {
    let mut l = BTreeMap::from([
        (labels::PARENT_BINDING.to_string(), src.binding.to_string()),
        (labels::PLACEMENT_TRACKING.to_string(), src.placement.to_string()),
        (labels::PARENT_RESOURCE_SNAPSHOT_INDEX.to_string(), src.index.to_string()),
    ]);
    if let Some(ns) = src.placement_namespace {
        l.insert(labels::PARENT_NAMESPACE.into(), ns.into());
    }
    let annotations = BTreeMap::from([
        (labels::PARENT_RESOURCE_SNAPSHOT_NAME.to_string(), src.master.to_string()),
        (labels::PARENT_RESOURCE_OVERRIDE_SNAPSHOT_HASH.to_string(), src.resource_override_hash.clone()),
        (
            labels::PARENT_CLUSTER_RESOURCE_OVERRIDE_SNAPSHOT_HASH.to_string(),
            src.cluster_resource_override_hash.clone(),
        ),
        (labels::DELETE_PROPAGATION_POLICY.to_string(), format!("{:?}", src.delete_policy)),
    ]);
    Work {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(member_namespace(src.cluster)),
            labels: Some(l),
            annotations: Some(annotations),
            owner_references: src.owner.clone().map(|o| vec![o]),
            ..Default::default()
        },
        spec: WorkSpec {
            workload: WorkloadTemplate { manifests },
            apply_strategy: src.apply_strategy.cloned(),
            report_back_strategy: None,
        },
        status: None,
    }
}

/// In the agent's Work cache only: a hash of the Work's spec, which replaces
/// its manifests there (a fleet of Works would otherwise be held in memory
/// twice over: by the API server and by the agent). Never written.
pub const CACHED_SPEC_HASH: &str = "flotilla.dev/cached-spec-hash";

fn spec_hash(spec: &WorkSpec) -> String {
    format!("{:x}", Sha256::digest(serde_json::to_vec(spec).expect("a Work spec serializes")))
}

/// What the agent keeps of a Work it watches: everything but the manifests,
/// which it only ever compares (by hash) with what it wants.
pub fn strip(w: &mut Work) {
    let hash = spec_hash(&w.spec);
    w.metadata.annotations.get_or_insert_default().insert(CACHED_SPEC_HASH.to_string(), hash);
    w.spec.workload.manifests = Vec::new();
}

fn contains(have: &Option<BTreeMap<String, String>>, want: &Option<BTreeMap<String, String>>) -> bool {
    let have = have.as_ref();
    want.iter().flatten().all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
}

/// Whether `have` (as cached, see [`strip`], or whole) already is `want`:
/// nothing to write.
pub fn matches(have: &Work, want: &Work) -> bool {
    let owners = have.metadata.owner_references.as_deref().unwrap_or_default();
    let have_hash = have.metadata.annotations.as_ref().and_then(|a| a.get(CACHED_SPEC_HASH)).cloned();
    contains(&have.metadata.labels, &want.metadata.labels)
        && contains(&have.metadata.annotations, &want.metadata.annotations)
        && want.metadata.owner_references.iter().flatten().all(|o| owners.iter().any(|h| h.uid == o.uid))
        && have_hash.unwrap_or_else(|| spec_hash(&have.spec)) == spec_hash(&want.spec)
}

/// A Work's manifests' identities, for logs and status.
pub fn manifest_summary(w: &Work) -> Vec<String> {
    w.spec.workload.manifests.iter().map(|m| describe(&m.0)).collect()
}

fn describe(v: &Value) -> String {
    format!("{} {}", v["kind"].as_str().unwrap_or("?"), v["metadata"]["name"].as_str().unwrap_or("?"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn owner() -> OwnerReference {
        OwnerReference {
            api_version: "placement.kubernetes-fleet.io/v1beta1".into(),
            kind: "ClusterResourceBinding".into(),
            name: "crp-member-1-abcde".into(),
            uid: "uid-1".into(),
            block_owner_deletion: Some(true),
            controller: None,
        }
    }

    fn source<'a>(snapshots: Vec<Snapshot<'a>>, namespace: Option<&'a str>) -> Source<'a> {
        Source {
            placement: "crp",
            placement_namespace: namespace,
            binding: "crp-member-1-abcde",
            owner: Some(owner()),
            cluster: "member-1",
            master: "crp-3-snapshot",
            index: "3",
            snapshots,
            apply_strategy: None,
            delete_policy: DeletePropagationPolicy::Delete,
            resource_override_hash: list_hash::<String>(&[]),
            cluster_resource_override_hash: list_hash::<String>(&[]),
        }
    }

    fn cm(name: &str) -> Manifest {
        Manifest(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "app"}}))
    }

    #[test]
    fn one_work_per_snapshot_named_as_kubefleet_does() {
        let (a, b) = ([cm("a")], [cm("b")]);
        let works = desired(&source(
            vec![Snapshot { subindex: None, resources: &a }, Snapshot { subindex: Some(0), resources: &b }],
            None,
        ))
        .unwrap();
        let names: Vec<_> = works.iter().map(|w| w.metadata.name.clone().unwrap()).collect();
        assert_eq!(names, ["crp-work", "crp-0"]);
        let w = &works[0];
        assert_eq!(w.metadata.namespace.as_deref(), Some("fleet-member-member-1"));
        let l = w.metadata.labels.as_ref().unwrap();
        assert_eq!(l[labels::PARENT_BINDING], "crp-member-1-abcde");
        assert_eq!(l[labels::PLACEMENT_TRACKING], "crp");
        assert_eq!(l[labels::PARENT_RESOURCE_SNAPSHOT_INDEX], "3");
        assert_eq!(w.metadata.annotations.as_ref().unwrap()[labels::PARENT_RESOURCE_SNAPSHOT_NAME], "crp-3-snapshot");
        assert_eq!(w.spec.workload.manifests, a);
    }

    #[test]
    fn a_resource_placement_prefixes_its_namespace() {
        let a = [cm("a")];
        let works = desired(&source(vec![Snapshot { subindex: None, resources: &a }], Some("app"))).unwrap();
        assert_eq!(works[0].metadata.name.as_deref(), Some("app.crp-work"));
        assert_eq!(works[0].metadata.labels.as_ref().unwrap()[labels::PARENT_NAMESPACE], "app");
    }

    #[test]
    fn an_envelope_gets_its_own_work_and_is_not_placed_itself() {
        let mut envelope = cm("envelope");
        envelope.0["metadata"]["annotations"] = json!({"kubernetes-fleet.io/envelope-configmap": "true"});
        envelope.0["data"] =
            json!({"d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: app\n"});
        let resources = [cm("a"), envelope];
        let works = desired(&source(vec![Snapshot { subindex: None, resources: &resources }], None)).unwrap();
        assert_eq!(works.len(), 2);
        let (env, main) = (&works[0], &works[1]);
        assert!(env.metadata.name.as_deref().unwrap().starts_with("crp-work-configmap-"));
        assert_eq!(env.metadata.name.as_deref().unwrap().len(), "crp-work-configmap-".len() + 16);
        assert_eq!(manifest_summary(env), ["Deployment web"]);
        assert_eq!(manifest_summary(main), ["ConfigMap a"]);
        let l = env.metadata.labels.as_ref().unwrap();
        assert_eq!(l[labels::ENVELOPE_TYPE], "ConfigMap");
        assert_eq!(l[labels::ENVELOPE_NAME], "envelope");
        assert_eq!(l[labels::ENVELOPE_NAMESPACE], "app");
    }

    #[test]
    fn matching_ignores_what_others_add_but_not_content() {
        let a = [cm("a")];
        let want = desired(&source(vec![Snapshot { subindex: None, resources: &a }], None)).unwrap().remove(0);
        let mut have = want.clone();
        have.metadata.labels.as_mut().unwrap().insert("extra".into(), "x".into());
        have.metadata.finalizers = Some(vec!["kubernetes-fleet.io/work-cleanup".into()]);
        assert!(matches(&have, &want));
        have.spec.workload.manifests[0].0["data"] = json!({"k": "v"});
        assert!(!matches(&have, &want));
        let mut cached = want.clone();
        strip(&mut cached);
        assert!(cached.spec.workload.manifests.is_empty());
        assert!(matches(&cached, &want), "a cached Work matches by its spec hash");
        let mut changed = want.clone();
        changed.spec.workload.manifests[0].0["data"] = json!({"k": "v"});
        assert!(!matches(&cached, &changed));
        let mut abandoned = want.clone();
        abandoned
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(labels::DELETE_PROPAGATION_POLICY.into(), "Abandon".into());
        assert!(!matches(&want, &abandoned));
    }
}
