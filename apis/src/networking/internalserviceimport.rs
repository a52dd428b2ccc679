//! InternalServiceImport: a member cluster's request, in its reserved namespace
//! on the hub, to import one ServiceImport.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::{ExportedObjectReference, ServiceImportStatus};

#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "InternalServiceImport",
    namespaced,
    shortname = "internalsvcimport",
    category = "fleet-networking",
    status = "ServiceImportStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct InternalServiceImportSpec {
    /// The ServiceImport (in the importing cluster) this request is for.
    pub service_import_reference: ExportedObjectReference,
}

/// The hub copies the ServiceImport's status here.
pub type InternalServiceImportStatus = ServiceImportStatus;
