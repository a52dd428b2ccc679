//! Labels and annotations of `placement.kubernetes-fleet.io` objects and of the
//! objects fleet places on member clusters.

// Snapshots, bindings and Works: which placement they belong to.

/// Label on policy and resource snapshots, bindings and Works: the name of the
/// placement they derive from (a ResourcePlacement's too, despite the name).
pub const PLACEMENT_TRACKING: &str = "kubernetes-fleet.io/parent-CRP";
/// Label on policy, resource and override snapshots: `"true"` on the latest
/// snapshot of its parent, `"false"` on the others.
pub const IS_LATEST_SNAPSHOT: &str = "kubernetes-fleet.io/is-latest-snapshot";
/// Annotation on a policy snapshot: the placement generation it was made or
/// last updated from.
pub const CRP_GENERATION: &str = "kubernetes-fleet.io/CRP-generation";

// Policy snapshots.

/// Label on a policy snapshot: its index (`<placement>-<index>`, from 0).
pub const POLICY_INDEX: &str = "kubernetes-fleet.io/policy-index";
/// Annotation on a PickN policy snapshot: how many clusters to pick; updated in
/// place when only `numberOfClusters` changes.
pub const NUMBER_OF_CLUSTERS: &str = "kubernetes-fleet.io/number-of-clusters";

// Resource snapshots.

/// Label on a resource snapshot: the index of its group (one group per change).
pub const RESOURCE_INDEX: &str = "kubernetes-fleet.io/resource-index";
/// Annotation on the first snapshot of a group: SHA-256 over the whole group.
pub const RESOURCE_GROUP_HASH: &str = "kubernetes-fleet.io/resource-hash";
/// Annotation on the first snapshot of a group: how many snapshots the group has.
pub const NUMBER_OF_RESOURCE_SNAPSHOTS: &str = "kubernetes-fleet.io/number-of-resource-snapshots";
/// Annotation on the first snapshot of a group: how many enveloped objects the group holds.
pub const NUMBER_OF_ENVELOPED_OBJECTS: &str = "kubernetes-fleet.io/number-of-enveloped-object";
/// Annotation on every snapshot of a group but the first: its subindex.
pub const SUBINDEX_OF_RESOURCE_SNAPSHOT: &str = "kubernetes-fleet.io/subindex-of-resource-snapshot";
/// Annotation on the latest resource snapshot: when the next candidate change
/// was detected (snapshot creation is throttled).
pub const NEXT_RESOURCE_SNAPSHOT_CANDIDATE_DETECTION_TIME: &str =
    "kubernetes-fleet.io/next-resource-snapshot-candidate-detection-time";

// Override snapshots.

/// Label on an override snapshot: the ClusterResourceOverride or ResourceOverride it copies.
pub const OVERRIDE_TRACKING: &str = "kubernetes-fleet.io/parent-resource-override";
/// Label on an override snapshot: its index (`<override>-<index>`, from 0).
pub const OVERRIDE_INDEX: &str = "kubernetes-fleet.io/override-index";

// Bindings.

/// Annotation on an Unscheduled binding: the state it had before (Bound or Scheduled).
pub const PREVIOUS_BINDING_STATE: &str = "kubernetes-fleet.io/previous-binding-state";

// Works.

/// Label on a Work: the binding it was generated from.
pub const PARENT_BINDING: &str = "kubernetes-fleet.io/parent-resource-binding";
/// Label on a Work: the namespace of its ResourcePlacement (absent for a ClusterResourcePlacement).
pub const PARENT_NAMESPACE: &str = "kubernetes-fleet.io/parent-placement-namespace";
/// Label on a Work: the resource index of the snapshot it was generated from.
pub const PARENT_RESOURCE_SNAPSHOT_INDEX: &str = "kubernetes-fleet.io/parent-resource-snapshot-index";
/// Annotation on a Work: the name of the first resource snapshot of its group.
pub const PARENT_RESOURCE_SNAPSHOT_NAME: &str = "kubernetes-fleet.io/parent-resource-snapshot-name";
/// Annotation on a Work: a hash of the ClusterResourceOverrideSnapshots applied to it.
pub const PARENT_CLUSTER_RESOURCE_OVERRIDE_SNAPSHOT_HASH: &str =
    "kubernetes-fleet.io/parent-cluster-resource-override-snapshot-hash";
/// Annotation on a Work: a hash of the ResourceOverrideSnapshots applied to it.
pub const PARENT_RESOURCE_OVERRIDE_SNAPSHOT_HASH: &str = "kubernetes-fleet.io/parent-resource-override-snapshot-hash";
/// Label on a Work generated from an envelope: the envelope's type (an `EnvelopeType`).
pub const ENVELOPE_TYPE: &str = "kubernetes-fleet.io/envelope-work";
/// Label on a Work generated from an envelope: the envelope's name.
pub const ENVELOPE_NAME: &str = "kubernetes-fleet.io/envelope-name";
/// Label on a Work generated from an envelope: the envelope's namespace.
pub const ENVELOPE_NAMESPACE: &str = "kubernetes-fleet.io/envelope-namespace";

/// Annotation on a ConfigMap: `"true"` makes it a (legacy) envelope whose data
/// values are manifests to place instead of the ConfigMap itself.
pub const ENVELOPE_CONFIGMAP: &str = "kubernetes-fleet.io/envelope-configmap";

// Objects placed on member clusters.

/// Annotation on a placed object: the hash of the manifest it was applied from.
pub const MANIFEST_HASH: &str = "kubernetes-fleet.io/spec-hash";
/// Annotation on a placed object (client-side apply): the last applied manifest.
pub const LAST_APPLIED_CONFIG: &str = "kubernetes-fleet.io/last-applied-configuration";

// Staged updates.

/// Label on staged-update objects: the update run they belong to.
pub const TARGET_UPDATE_RUN: &str = "kubernetes-fleet.io/targetUpdateRun";
/// Label on an approval request: `beforeStage` or `afterStage`.
pub const TASK_TYPE: &str = "kubernetes-fleet.io/taskType";
/// Label on an approval request: the stage it gates.
pub const TARGET_UPDATING_STAGE: &str = "kubernetes-fleet.io/targetUpdatingStage";
/// Label on an approval request: `"true"` on the latest one of its update run.
pub const IS_LATEST_UPDATE_RUN_APPROVAL: &str = "kubernetes-fleet.io/isLatestUpdateRunApproval";

/// Flotilla, on a Work: what the member agent does with the objects it placed
/// when the Work is deleted, `Delete` (the default) or `Abandon`, copied from
/// the placement's `strategy.deleteStrategy.propagationPolicy`. KubeFleet has
/// the field but not yet a way to carry it to the member.
pub const DELETE_PROPAGATION_POLICY: &str = "flotilla.dev/delete-propagation-policy";

/// Flotilla, on a placement with the External rollout strategy: the uid of
/// the update run asking for a resource snapshot of what the placement
/// selects now. Such a placement takes no snapshot by itself (as in
/// KubeFleet, where the run takes it); here the placement controller, which
/// holds the resource cache, takes it when asked.
pub const RESOURCE_SNAPSHOT_REQUEST: &str = "flotilla.dev/resource-snapshot-request";

/// Flotilla, on a master resource snapshot: the request (a run's uid) it answers.
pub const RESOURCE_SNAPSHOT_ANSWERS: &str = "flotilla.dev/resource-snapshot-answers";

/// Flotilla, on a ResourceExport and on a ClusterResourcePlacement an
/// adoption made: the ClusterResourceAdoption's name. (Never on the hub
/// templates: they are placed as the member has them.)
pub const ADOPTION: &str = "flotilla.dev/adoption";

/// Flotilla, an annotation on a ClusterResourceAdoption made for a Kosmos
/// PromotePolicy: the policy's `namespace/name`.
pub const PROMOTE_POLICY: &str = "flotilla.dev/promote-policy";

/// Flotilla, on a MemberCluster: the name Kosmos knows the cluster by, so a
/// PromotePolicy's `clusterName` written for Kosmos finds it unchanged.
pub const KOSMOS_CLUSTER_NAME: &str = "flotilla.dev/kosmos-cluster-name";

/// Flotilla, a NoSchedule taint on a MemberCluster that a migration moves a
/// placement away from (its sources, or its targets after a rollback). Unlike
/// other taints it keeps away only the placement its value names
/// (`migration::taint_value`), so other placements still land there.
pub const MIGRATION_TAINT: &str = "flotilla.dev/migrating-away";

/// Flotilla, on the ResourceOverride a migration writes its export weights
/// with: the migration's name (a ResourcePlacementMigration's is in the same namespace).
pub const MIGRATION: &str = "flotilla.dev/migration";

/// Flotilla, on a MemberCluster: the name Kurator's manifests give it (a
/// Migrate's `clusters[].name`), when it differs from the member's own.
pub const KURATOR_CLUSTER_NAME: &str = "flotilla.dev/kurator-cluster-name";

/// Flotilla, on the ClusterResourceAdoption made for a Kurator Migrate: `<namespace>.<name>`.
pub const KURATOR_MIGRATE: &str = "flotilla.dev/kurator-migrate";
