//! Finalizers on `networking.fleet.azure.com` objects.

/// On a ServiceExport (member): held until the Service is unexported from the hub.
pub const SERVICE_EXPORT_CLEANUP: &str = "networking.fleet.azure.com/svc-export-cleanup";
/// On an InternalServiceExport (hub): held until the ServiceImport and the
/// export's conflict condition no longer reflect it.
pub const INTERNAL_SERVICE_EXPORT_CLEANUP: &str = "networking.fleet.azure.com/internal-svc-export-cleanup";
/// On a ServiceImport (hub and member): held until its imports are cleaned up.
pub const SERVICE_IMPORT_CLEANUP: &str = "networking.fleet.azure.com/serviceimport-cleanup";
/// On an InternalServiceImport (hub): held until the import request is withdrawn.
pub const INTERNAL_SERVICE_IMPORT_CLEANUP: &str = "networking.fleet.azure.com/internalsvcimport-cleanup";
/// On a MultiClusterService (member): held until its derived Service is gone.
pub const MULTI_CLUSTER_SERVICE_CLEANUP: &str = "networking.fleet.azure.com/service-resources-cleanup";
/// On a TrafficManagerProfile: held until its data-plane profile and endpoints are gone.
pub const TRAFFIC_MANAGER_PROFILE_CLEANUP: &str = "networking.fleet.azure.com/traffic-manager-profile-cleanup";
/// On a TrafficManagerBackend: held until its endpoints are gone.
pub const TRAFFIC_MANAGER_BACKEND_CLEANUP: &str = "networking.fleet.azure.com/traffic-manager-backend-cleanup";
/// On traffic-manager objects: held until their metrics series are removed.
pub const METRICS_CLEANUP: &str = "networking.fleet.azure.com/metrics-cleanup";
