//! The two run families: ClusterStagedUpdateRun rolls a
//! ClusterResourcePlacement with a ClusterStagedUpdateStrategy and
//! ClusterApprovalRequests; StagedUpdateRun rolls a ResourcePlacement of its
//! namespace with a StagedUpdateStrategy and ApprovalRequests there. They
//! share every spec and status, so the controller is written once.

use apis::placement::{
    ApprovalRequest, ApprovalRequestSpec, ApprovalRequestStatus, ClusterApprovalRequest, ClusterStagedUpdateRun,
    ClusterStagedUpdateStrategy, StagedUpdateRun, StagedUpdateStrategy, UpdateRunSpec, UpdateRunStatus,
    UpdateStrategySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{Api, Client};

use crate::placement::family::{
    Cluster, Family, Namespaced, Object, WithSpec, WithStatus, object, with_spec, with_status,
};

pub trait RunFamily: Family {
    type Run: WithSpec<UpdateRunSpec> + WithStatus<UpdateRunStatus>;
    type Strategy: WithSpec<UpdateStrategySpec>;
    type Approval: WithSpec<ApprovalRequestSpec> + WithStatus<ApprovalRequestStatus>;
    /// The controller's name in metrics.
    const CONTROLLER: &'static str;
}

impl RunFamily for Cluster {
    type Run = ClusterStagedUpdateRun;
    type Strategy = ClusterStagedUpdateStrategy;
    type Approval = ClusterApprovalRequest;
    const CONTROLLER: &'static str = "clusterstagedupdaterun";
}

impl RunFamily for Namespaced {
    type Run = StagedUpdateRun;
    type Strategy = StagedUpdateStrategy;
    type Approval = ApprovalRequest;
    const CONTROLLER: &'static str = "stagedupdaterun";
}

object!(cluster ClusterStagedUpdateRun);
object!(cluster ClusterStagedUpdateStrategy);
object!(cluster ClusterApprovalRequest);
object!(namespaced StagedUpdateRun);
object!(namespaced StagedUpdateStrategy);
object!(namespaced ApprovalRequest);

with_spec!(ClusterStagedUpdateRun, UpdateRunSpec, |s| &s.run);
with_spec!(StagedUpdateRun, UpdateRunSpec, |s| &s.run);
with_spec!(ClusterStagedUpdateStrategy, UpdateStrategySpec, |s| &s.strategy);
with_spec!(StagedUpdateStrategy, UpdateStrategySpec, |s| &s.strategy);
with_spec!(ClusterApprovalRequest, ApprovalRequestSpec, |s| &s.request);
with_spec!(ApprovalRequest, ApprovalRequestSpec, |s| &s.request);

with_status!(ClusterStagedUpdateRun, UpdateRunStatus);
with_status!(StagedUpdateRun, UpdateRunStatus);
with_status!(ClusterApprovalRequest, ApprovalRequestStatus);
with_status!(ApprovalRequest, ApprovalRequestStatus);
