//! `placement.kubernetes-fleet.io` condition types and reasons.

// ClusterResourcePlacement condition types, in pipeline order.

pub const CRP_SCHEDULED: &str = "ClusterResourcePlacementScheduled";
pub const CRP_ROLLOUT_STARTED: &str = "ClusterResourcePlacementRolloutStarted";
pub const CRP_OVERRIDDEN: &str = "ClusterResourcePlacementOverridden";
pub const CRP_WORK_SYNCHRONIZED: &str = "ClusterResourcePlacementWorkSynchronized";
pub const CRP_APPLIED: &str = "ClusterResourcePlacementApplied";
pub const CRP_AVAILABLE: &str = "ClusterResourcePlacementAvailable";
/// Instead of Applied and Available under the ReportDiff apply strategy.
pub const CRP_DIFF_REPORTED: &str = "ClusterResourcePlacementDiffReported";
/// Whether the ClusterResourcePlacementStatus object is up to date (statusReportingScope NamespaceAccessible).
pub const CRP_STATUS_SYNCED: &str = "ClusterResourcePlacementStatusSynced";

/// The ClusterResourcePlacement condition types, in the order the pipeline sets them.
pub const CRP_CONDITION_TYPES: [&str; 6] =
    [CRP_SCHEDULED, CRP_ROLLOUT_STARTED, CRP_OVERRIDDEN, CRP_WORK_SYNCHRONIZED, CRP_APPLIED, CRP_AVAILABLE];

// ResourcePlacement condition types, in pipeline order.

pub const RP_SCHEDULED: &str = "ResourcePlacementScheduled";
pub const RP_ROLLOUT_STARTED: &str = "ResourcePlacementRolloutStarted";
pub const RP_OVERRIDDEN: &str = "ResourcePlacementOverridden";
pub const RP_WORK_SYNCHRONIZED: &str = "ResourcePlacementWorkSynchronized";
pub const RP_APPLIED: &str = "ResourcePlacementApplied";
pub const RP_AVAILABLE: &str = "ResourcePlacementAvailable";
/// Instead of Applied and Available under the ReportDiff apply strategy.
pub const RP_DIFF_REPORTED: &str = "ResourcePlacementDiffReported";

/// The ResourcePlacement condition types, in the order the pipeline sets them.
pub const RP_CONDITION_TYPES: [&str; 6] =
    [RP_SCHEDULED, RP_ROLLOUT_STARTED, RP_OVERRIDDEN, RP_WORK_SYNCHRONIZED, RP_APPLIED, RP_AVAILABLE];

// Per-cluster condition types (a placement's `placementStatuses[].conditions`),
// in pipeline order. Bindings use the same types from ROLLOUT_STARTED on; a
// policy snapshot uses SCHEDULED; Works and their manifests use APPLIED,
// AVAILABLE and DIFF_REPORTED.

pub const SCHEDULED: &str = "Scheduled";
pub const ROLLOUT_STARTED: &str = "RolloutStarted";
pub const OVERRIDDEN: &str = "Overridden";
pub const WORK_SYNCHRONIZED: &str = "WorkSynchronized";
pub const APPLIED: &str = "Applied";
pub const AVAILABLE: &str = "Available";
/// Instead of Applied and Available under the ReportDiff apply strategy.
pub const DIFF_REPORTED: &str = "DiffReported";
/// On a Work: the member agent trimmed drift/diff details and back-reported status to fit.
pub const STATUS_TRIMMED: &str = "StatusTrimmed";

/// The per-cluster condition types, in the order the pipeline sets them.
pub const PER_CLUSTER_CONDITION_TYPES: [&str; 6] =
    [SCHEDULED, ROLLOUT_STARTED, OVERRIDDEN, WORK_SYNCHRONIZED, APPLIED, AVAILABLE];

// ClusterResourcePlacementEviction condition types; both are final once set.

/// False: the eviction targets a missing, deleting or PickFixed placement, or no binding.
pub const EVICTION_VALID: &str = "Valid";
pub const EVICTION_EXECUTED: &str = "Executed";

// Placement-level reasons.

/// The selectors are invalid or select forbidden resources.
pub const REASON_INVALID_RESOURCE_SELECTORS: &str = "InvalidResourceSelectors";
/// The placement's name cannot be a label value (longer than 63 characters):
/// nothing can be placed for it. Admission refuses such names; this is for
/// one stored before that.
pub const REASON_INVALID_PLACEMENT_NAME: &str = "InvalidPlacementName";
/// Scheduled=Unknown: no scheduling decision yet.
pub const REASON_SCHEDULE_PENDING: &str = "SchedulePending";
pub const REASON_SCHEDULE_SUCCEEDED: &str = "ScheduleSucceeded";
/// Scheduled=True: the scheduler found every cluster the policy asks for.
pub const REASON_SCHEDULING_POLICY_FULFILLED: &str = "SchedulingPolicyFulfilled";
/// Scheduled=False: the scheduler found fewer clusters than the policy asks for.
pub const REASON_SCHEDULING_POLICY_UNFULFILLED: &str = "SchedulingPolicyUnfulfilled";
pub const REASON_ROLLOUT_STARTED_UNKNOWN: &str = "RolloutStartedUnknown";
/// RolloutStarted=Unknown under the External strategy: not started, or clusters are on different resource indices.
pub const REASON_ROLLOUT_CONTROLLED_BY_EXTERNAL_CONTROLLER: &str = "RolloutControlledByExternalController";
/// RolloutStarted=False: held back by the rollout strategy.
pub const REASON_ROLLOUT_NOT_STARTED_YET: &str = "RolloutNotStartedYet";
pub const REASON_ROLLOUT_STARTED: &str = "RolloutStarted";
pub const REASON_OVERRIDDEN_PENDING: &str = "OverriddenPending";
/// Overridden=True: no override applies.
pub const REASON_NO_OVERRIDE_SPECIFIED: &str = "NoOverrideSpecified";
pub const REASON_OVERRIDDEN_FAILED: &str = "OverriddenFailed";
pub const REASON_OVERRIDDEN_SUCCEEDED: &str = "OverriddenSucceeded";
pub const REASON_WORK_SYNCHRONIZED_UNKNOWN: &str = "WorkSynchronizedUnknown";
pub const REASON_WORK_NOT_SYNCHRONIZED_YET: &str = "WorkNotSynchronizedYet";
/// WorkSynchronized=True at placement level.
pub const REASON_WORK_SYNCHRONIZED: &str = "WorkSynchronized";
pub const REASON_APPLY_PENDING: &str = "ApplyPending";
pub const REASON_APPLY_FAILED: &str = "ApplyFailed";
/// Applied=True at placement level.
pub const REASON_APPLY_SUCCEEDED: &str = "ApplySucceeded";
pub const REASON_AVAILABLE_UNKNOWN: &str = "ResourceAvailableUnknown";
pub const REASON_NOT_AVAILABLE_YET: &str = "ResourceNotAvailableYet";
/// Available=True at placement level.
pub const REASON_AVAILABLE: &str = "ResourceAvailable";
/// DiffReported=Unknown.
pub const REASON_DIFF_REPORTING_PENDING: &str = "DiffReportingPending";
/// DiffReported=False.
pub const REASON_DIFF_REPORTING_INCOMPLETE_OR_FAILED: &str = "DiffReportingIncompleteOrFailed";
/// DiffReported=True.
pub const REASON_DIFF_REPORTING_COMPLETED: &str = "DiffReportingCompleted";
pub const REASON_STATUS_SYNC_FAILED: &str = "StatusSyncFailed";
pub const REASON_STATUS_SYNC_SUCCEEDED: &str = "StatusSyncSucceeded";

// Per-cluster reasons.

/// Scheduled=True for one cluster.
pub const REASON_SCHEDULED: &str = "Scheduled";
/// Scheduled=False for a slot no cluster could fill.
pub const REASON_SCHEDULE_FAILED: &str = "ScheduleFailed";
/// WorkSynchronized=True for one cluster.
pub const REASON_ALL_WORK_SYNCED: &str = "AllWorkSynced";
pub const REASON_SYNC_WORK_FAILED: &str = "SyncWorkFailed";
/// Applied=Unknown: the Works were just updated.
pub const REASON_APPLY_IN_PROGRESS: &str = "ApplyInProgress";
/// DiffReported=Unknown: the Works were just updated.
pub const REASON_DIFF_REPORT_IN_PROGRESS: &str = "DiffReportInProgress";
pub const REASON_NOT_ALL_WORK_APPLIED: &str = "NotAllWorkHaveBeenApplied";
/// Applied=True for one cluster.
pub const REASON_ALL_WORK_APPLIED: &str = "AllWorkHaveBeenApplied";
pub const REASON_NOT_ALL_WORK_AVAILABLE: &str = "NotAllWorkAreAvailable";
/// Available=True, but some objects' availability cannot be tracked.
pub const REASON_NOT_ALL_WORK_AVAILABILITY_TRACKABLE: &str = "NotAllWorkAreAvailabilityTrackable";
/// Available=True for one cluster.
pub const REASON_ALL_WORK_AVAILABLE: &str = "AllWorkAreAvailable";
pub const REASON_ALL_WORK_DIFF_REPORTED: &str = "AllWorkHaveDiffReported";
pub const REASON_NOT_ALL_WORK_DIFF_REPORTED: &str = "NotAllWorkHaveDiffReported";

// Eviction reasons.

pub const REASON_EVICTION_VALID: &str = "ClusterResourcePlacementEvictionValid";
pub const REASON_EVICTION_INVALID: &str = "ClusterResourcePlacementEvictionInvalid";
pub const REASON_EVICTION_EXECUTED: &str = "ClusterResourcePlacementEvictionExecuted";
/// Executed=False: blocked by the disruption budget or the placement's state.
pub const REASON_EVICTION_NOT_EXECUTED: &str = "ClusterResourcePlacementEvictionNotExecuted";

// Work-level reasons.

pub const REASON_WORK_APPLIED_FAILED: &str = "WorkAppliedFailed";
pub const REASON_WORK_APPLIED_COMPLETED: &str = "WorkAppliedCompleted";
pub const REASON_WORK_NOT_AVAILABLE_YET: &str = "WorkNotAvailableYet";
pub const REASON_WORK_AVAILABILITY_UNKNOWN: &str = "WorkAvailabilityUnknown";
pub const REASON_WORK_AVAILABLE: &str = "WorkAvailable";
/// Available=True on a Work some of whose objects' availability cannot be tracked.
pub const REASON_WORK_NOT_TRACKABLE: &str = "WorkNotTrackable";
/// The newer spelling of [`REASON_WORK_NOT_TRACKABLE`], not yet written by KubeFleet.
pub const REASON_SOME_MANIFESTS_ARE_NOT_AVAILABILITY_TRACKABLE: &str = "SomeManifestsAreNotAvailabilityTrackable";
/// Applied=True on a Work.
pub const REASON_ALL_MANIFESTS_APPLIED: &str = "AllManifestsApplied";
/// Available=True on a Work.
pub const REASON_ALL_MANIFESTS_AVAILABLE: &str = "AllManifestsAvailable";
/// DiffReported=True on a Work.
pub const REASON_ALL_MANIFESTS_DIFF_REPORTED: &str = "AllManifestsDiffReported";
pub const REASON_SOME_MANIFESTS_ARE_NOT_APPLIED: &str = "SomeManifestsAreNotApplied";
pub const REASON_SOME_MANIFESTS_ARE_NOT_AVAILABLE: &str = "SomeManifestsAreNotAvailable";
pub const REASON_SOME_MANIFESTS_HAVE_NOT_REPORTED_DIFF: &str = "SomeManifestsHaveNotReportedDiff";
/// StatusTrimmed=True: the status exceeded the size limit.
pub const REASON_STATUS_OVERSIZED: &str = "Oversized";
/// An object is also placed by another placement with a different apply strategy.
pub const REASON_APPLY_CONFLICT_BETWEEN_PLACEMENTS: &str = "ApplyConflictBetweenPlacements";
/// An object is owned by non-fleet owners and co-ownership is not allowed.
pub const REASON_MANIFESTS_ALREADY_OWNED_BY_OTHERS: &str = "ManifestsAlreadyOwnedByOthers";
pub const REASON_MANIFEST_ALREADY_UP_TO_DATE: &str = "ManifestAlreadyUpToDate";
pub const REASON_MANIFEST_NEEDS_UPDATE: &str = "ManifestNeedsUpdate";

// Per-manifest reasons (a Work's `manifestConditions[].conditions`).

/// Written ahead of processing a manifest.
pub const REASON_PREPARING_TO_PROCESS: &str = "PreparingToProcess";
// Applied.
pub const REASON_MANIFEST_APPLIED: &str = "Applied";
/// Applied, but drift detection failed.
pub const REASON_APPLIED_WITH_FAILED_DRIFT_DETECTION: &str = "AppliedWithFailedDriftDetection";
pub const REASON_MANIFEST_APPLY_FAILED: &str = "ManifestApplyFailed";
pub const REASON_DECODING_ERRED: &str = "DecodingErred";
/// The manifest uses generateName, which cannot be placed.
pub const REASON_FOUND_GENERATE_NAME: &str = "FoundGenerateName";
/// Another manifest of the Work is the same object.
pub const REASON_DUPLICATED: &str = "Duplicated";
pub const REASON_FAILED_TO_FIND_OBJ_IN_MEMBER_CLUSTER: &str = "FailedToFindObjInMemberCluster";
pub const REASON_FAILED_TO_TAKE_OVER: &str = "FailedToTakeOver";
/// The object exists and whenToTakeOver (Never, or IfNoDiff with a diff) forbids taking it over.
pub const REASON_NOT_TAKEN_OVER: &str = "NotTakenOver";
pub const REASON_FAILED_TO_RUN_DRIFT_DETECTION: &str = "FailedToRunDriftDetection";
/// Not applied: the object drifted and whenToApply is IfNotDrifted.
pub const REASON_FOUND_DRIFTS: &str = "FoundDrifts";
/// As [`REASON_FOUND_DRIFTS`], found by full comparison because the dry run was refused.
pub const REASON_FOUND_DRIFTS_IN_DEGRADED_MODE: &str = "FoundDriftsInDegradedMode";
// DiffReported.
pub const REASON_NO_DIFF_FOUND: &str = "NoDiffFound";
pub const REASON_FOUND_DIFF: &str = "FoundDiff";
/// As [`REASON_FOUND_DIFF`], found by full comparison because the dry run was refused.
pub const REASON_FOUND_DIFF_IN_DEGRADED_MODE: &str = "FoundDiffInDegradedMode";
pub const REASON_FAILED_TO_REPORT_DIFF: &str = "FailedToReportDiff";
// Available.
pub const REASON_MANIFEST_AVAILABLE: &str = "Available";
pub const REASON_MANIFEST_NOT_AVAILABLE_YET: &str = "ManifestNotAvailableYet";
/// Available=True: the kind's availability cannot be tracked.
pub const REASON_MANIFEST_NOT_TRACKABLE: &str = "NotTrackable";
pub const REASON_MANIFEST_AVAILABILITY_FAILED: &str = "Failed";

// Staged update runs (KubeFleet's): the run's, each stage's and each
// cluster's conditions, each stage task's, and an approval request's.

pub const RUN_INITIALIZED: &str = "Initialized";
/// On a run and on each stage.
pub const RUN_PROGRESSING: &str = "Progressing";
/// On a run, each stage and each cluster.
pub const RUN_SUCCEEDED: &str = "Succeeded";
/// On each cluster of a stage.
pub const CLUSTER_STARTED: &str = "Started";
pub const TASK_APPROVAL_REQUEST_CREATED: &str = "ApprovalRequestCreated";
pub const TASK_APPROVAL_REQUEST_APPROVED: &str = "ApprovalRequestApproved";
pub const TASK_WAIT_TIME_ELAPSED: &str = "WaitTimeElapsed";
/// Set on an approval request by whoever approves.
pub const APPROVAL_APPROVED: &str = "Approved";
/// Set on an approval request by its run once it saw Approved.
pub const APPROVAL_ACCEPTED: &str = "ApprovalAccepted";

pub const REASON_RUN_INITIALIZED: &str = "UpdateRunInitializedSuccessfully";
pub const REASON_RUN_INITIALIZE_FAILED: &str = "UpdateRunInitializedFailed";
pub const REASON_RUN_PROGRESSING: &str = "UpdateRunProgressing";
pub const REASON_RUN_WAITING: &str = "UpdateRunWaiting";
pub const REASON_RUN_STOPPED: &str = "UpdateRunStopped";
pub const REASON_RUN_SUCCEEDED: &str = "UpdateRunSucceeded";
pub const REASON_RUN_FAILED: &str = "UpdateRunFailed";
pub const REASON_STAGE_STARTED: &str = "StageUpdatingStarted";
pub const REASON_STAGE_WAITING: &str = "StageUpdatingWaiting";
pub const REASON_STAGE_SUCCEEDED: &str = "StageUpdatingSucceeded";
pub const REASON_CLUSTER_STARTED: &str = "ClusterUpdatingStarted";
pub const REASON_CLUSTER_SUCCEEDED: &str = "ClusterUpdatingSucceeded";
pub const REASON_TASK_APPROVAL_REQUEST_CREATED: &str = "StageTaskApprovalRequestCreated";
pub const REASON_TASK_APPROVAL_REQUEST_APPROVED: &str = "StageTaskApprovalRequestApproved";
pub const REASON_TASK_WAIT_TIME_ELAPSED: &str = "AfterStageTaskWaitTimeElapsed";
pub const REASON_APPROVAL_ACCEPTED: &str = "ApprovalRequestApprovalAccepted";

// Adoption (Flotilla's ClusterResourceAdoption) and the member's ResourceExport.

/// The member exported the namespaces' objects.
pub const ADOPTION_DISCOVERED: &str = "Discovered";
/// The plan is made: every object's fate and its template.
pub const ADOPTION_DIFFED: &str = "Diffed";
/// The placement took the objects over on the cluster.
pub const ADOPTION_ADOPTED: &str = "Adopted";
/// The workloads kept their Pods, template revisions and restart counts.
pub const ADOPTION_WORKLOADS_UNDISTURBED: &str = "WorkloadsUndisturbed";
/// The objects were handed back.
pub const ADOPTION_RELEASED: &str = "Released";
/// On a ResourceExport: the member answered the spec's generation.
pub const EXPORT_EXPORTED: &str = "Exported";
/// On a ResourceExport: the member let go of the objects named for release.
pub const EXPORT_RELEASED: &str = "Released";

pub const REASON_ADOPTION_EXPORTING: &str = "Exporting";
pub const REASON_ADOPTION_DISCOVERED: &str = "Discovered";
pub const REASON_ADOPTION_CLUSTER_NOT_JOINED: &str = "ClusterNotJoined";
pub const REASON_ADOPTION_NOT_EXPORTABLE: &str = "NotExportable";
pub const REASON_ADOPTION_PLANNED: &str = "Planned";
pub const REASON_ADOPTION_DRY_RUN: &str = "DryRun";
pub const REASON_ADOPTION_NAMESPACE_ON_HUB: &str = "NamespaceExistsOnHub";
pub const REASON_ADOPTION_TAKEOVER_PENDING: &str = "TakeoverPending";
pub const REASON_ADOPTION_TAKEOVER_SUCCEEDED: &str = "TakeoverSucceeded";
pub const REASON_ADOPTION_TAKEOVER_FAILED: &str = "TakeoverFailed";
pub const REASON_ADOPTION_OBSERVING: &str = "Observing";
pub const REASON_ADOPTION_NO_RESTARTS: &str = "NoRestarts";
pub const REASON_ADOPTION_DISTURBED: &str = "PodsDisturbed";
pub const REASON_ADOPTION_RELEASING: &str = "Releasing";
pub const REASON_ADOPTION_RELEASED: &str = "Released";
pub const REASON_EXPORT_SUCCEEDED: &str = "ExportSucceeded";
pub const REASON_EXPORT_FAILED: &str = "ExportFailed";
pub const REASON_EXPORT_RELEASED: &str = "ReleaseSucceeded";
pub const REASON_EXPORT_RELEASE_FAILED: &str = "ReleaseFailed";

// Migrations (Flotilla's ClusterResourcePlacementMigration and ResourcePlacementMigration).

/// The spec can be carried out: the placement, clusters and backend are there.
pub const MIGRATION_ACCEPTED: &str = "Accepted";
/// The move goes on (False: held, by a gate, a budget, a suspend or a timeout).
pub const MIGRATION_PROGRESSING: &str = "Progressing";
/// The application runs on the targets and the sources are retired
/// (False once it rolled back or failed).
pub const MIGRATION_SUCCEEDED: &str = "Succeeded";

pub const REASON_MIGRATION_ACCEPTED: &str = "MigrationAccepted";
pub const REASON_MIGRATION_PLACEMENT_NOT_FOUND: &str = "PlacementNotFound";
pub const REASON_MIGRATION_PLACEMENT_NOT_SUPPORTED: &str = "PlacementTypeNotSupported";
pub const REASON_MIGRATION_INVALID_CLUSTERS: &str = "InvalidClusters";
pub const REASON_MIGRATION_SOURCE_NOT_PLACED: &str = "SourceNotPlaced";
pub const REASON_MIGRATION_BACKEND_NOT_FOUND: &str = "BackendNotFound";
pub const REASON_MIGRATION_CLEANUP_NOT_SUPPORTED: &str = "SourceCleanupNotSupported";
pub const REASON_MIGRATION_ALREADY_RUNNING: &str = "AnotherMigrationRunning";
pub const REASON_MIGRATION_WAITING: &str = "Waiting";
pub const REASON_MIGRATION_PROGRESSING: &str = "Progressing";
pub const REASON_MIGRATION_SUSPENDED: &str = "Suspended";
pub const REASON_MIGRATION_GATE_FAILED: &str = "HealthGateFailed";
pub const REASON_MIGRATION_TIMED_OUT: &str = "StepTimedOut";
pub const REASON_MIGRATION_ABORTED: &str = "Aborted";
pub const REASON_MIGRATION_DELETED: &str = "MigrationDeleted";
pub const REASON_MIGRATION_PLACEMENT_DELETED: &str = "PlacementDeleted";
pub const REASON_MIGRATION_SUCCEEDED: &str = "MigrationSucceeded";
pub const REASON_MIGRATION_ROLLED_BACK: &str = "RolledBack";
pub const REASON_MIGRATION_ROLLING_BACK: &str = "RollingBack";

// Kurator's Migrate (backup.kurator.dev), as Flotilla honours it.

/// The source's objects are adopted, so the targets can get them (Kurator's condition type, as it spells it).
pub const KURATOR_SOURCE_READY: &str = "sourceReady";
/// Every target runs the objects.
pub const KURATOR_TARGETS_READY: &str = "targetsReady";

pub const REASON_KURATOR_VALIDATION_FAILED: &str = "ValidationFailed";
pub const REASON_KURATOR_FINDING_OBJECTS: &str = "FindingObjects";
pub const REASON_KURATOR_NOTHING_SELECTED: &str = "NothingSelected";
pub const REASON_KURATOR_ADOPTING: &str = "Adopting";
pub const REASON_KURATOR_ADOPTED: &str = "SourceAdopted";
pub const REASON_KURATOR_ADOPTION_FAILED: &str = "AdoptionFailed";
pub const REASON_KURATOR_PLACING: &str = "PlacingOnTargets";
pub const REASON_KURATOR_PLACED: &str = "PlacedOnTargets";
pub const REASON_MIGRATION_KIND_NOT_SUPPORTED: &str = "KindNotSupported";
pub const REASON_MIGRATION_ACTION_REFUSED: &str = "ActionRefused";
