//! `networking.fleet.azure.com` condition types and reasons.

// ServiceExport.
pub const SERVICE_EXPORT_VALID: &str = "Valid";
pub const SERVICE_EXPORT_CONFLICT: &str = "Conflict";

/// Valid=True.
pub const REASON_SERVICE_IS_VALID: &str = "ServiceIsValid";
/// Valid=False: no Service of the export's name.
pub const REASON_SERVICE_NOT_FOUND: &str = "ServiceNotFound";
/// Valid=False: the Service cannot be exported (headless or ExternalName).
pub const REASON_SERVICE_INELIGIBLE: &str = "ServiceIneligible";
/// Valid=False: the weight annotation is not an integer in 0..=1000; the
/// previous export stays in place.
pub const REASON_SERVICE_EXPORT_INVALID_WEIGHT_ANNOTATION: &str = "ServiceExportInvalidWeightAnnotation";
/// Conflict=Unknown: the hub has not compared the export yet.
pub const REASON_SERVICE_PENDING_CONFLICT_RESOLUTION: &str = "ServicePendingConflictResolution";
/// Conflict=True: the Service's ports differ from the ServiceImport's.
pub const REASON_CONFLICT_FOUND: &str = "ConflictFound";
/// Conflict=False.
pub const REASON_NO_CONFLICT_FOUND: &str = "NoConflictFound";

// TrafficManagerProfile.
pub const TRAFFIC_MANAGER_PROFILE_PROGRAMMED: &str = "Programmed";

/// Programmed=True.
pub const REASON_PROFILE_PROGRAMMED: &str = "Programmed";
/// Programmed=False: the profile was refused (a client error other than throttling).
pub const REASON_PROFILE_INVALID: &str = "Invalid";
/// Programmed=False: the profile's DNS name is taken.
pub const REASON_PROFILE_DNS_NAME_NOT_AVAILABLE: &str = "DNSNameNotAvailable";
/// Programmed=Unknown: a transient error; retried.
pub const REASON_PROFILE_PENDING: &str = "Pending";

// TrafficManagerBackend.
pub const TRAFFIC_MANAGER_BACKEND_ACCEPTED: &str = "Accepted";

/// Accepted=True.
pub const REASON_BACKEND_ACCEPTED: &str = "Accepted";
/// Accepted=False: the profile or ServiceImport is missing or unusable, or
/// some exported Services cannot be endpoints.
pub const REASON_BACKEND_INVALID: &str = "Invalid";
/// Accepted=Unknown: a transient error, or no cluster exports the Service yet; retried.
pub const REASON_BACKEND_PENDING: &str = "Pending";

// MultiClusterService.
pub const MULTI_CLUSTER_SERVICE_VALID: &str = "Valid";

/// Valid=True.
pub const REASON_FOUND_SERVICE_IMPORT: &str = "FoundServiceImport";
/// Valid=False: the ServiceImport does not exist.
pub const REASON_UNKNOWN_SERVICE_IMPORT: &str = "UnknownServiceImport";
