//! Labels and annotations of `networking.fleet.azure.com` objects.

/// The prefix of every fleet-networking label and annotation.
pub const NETWORKING_PREFIX: &str = "networking.fleet.azure.com/";

/// On a ServiceExport: the cluster's share of the imported Service's traffic,
/// an integer in 0..=1000 (default 1; 0 withdraws the export).
pub const SERVICE_EXPORT_WEIGHT: &str = "networking.fleet.azure.com/weight";
/// On a ServiceImport: which member clusters import the Service (a JSON-encoded map).
pub const SERVICE_IMPORT_SERVICE_IN_USE_BY: &str = "networking.fleet.azure.com/service-in-use-by";
/// On an exported object: its fleet-wide unique name.
pub const EXPORTED_OBJECT_UNIQUE_NAME: &str = "networking.fleet.azure.com/fleet-unique-name";

/// On a MultiClusterService: make the derived load balancer internal.
pub const MULTI_CLUSTER_SERVICE_AZURE_LOAD_BALANCER_INTERNAL: &str =
    "networking.fleet.azure.com/azure-load-balancer-internal";
/// On a MultiClusterService: the ServiceImport it currently imports.
pub const MULTI_CLUSTER_SERVICE_SERVICE_IMPORT: &str = "networking.fleet.azure.com/service-import";
/// On the Service derived from a MultiClusterService: marks it as derived.
pub const MULTI_CLUSTER_SERVICE_DERIVED_SERVICE: &str = "networking.fleet.azure.com/derived-service";
/// On the Service derived from a MultiClusterService: the MultiClusterService's name.
pub const DERIVED_SERVICE_MULTI_CLUSTER_SERVICE_NAME: &str = "networking.fleet.azure.com/multi-cluster-service-name";
/// On the Service derived from a MultiClusterService: the MultiClusterService's namespace.
pub const DERIVED_SERVICE_MULTI_CLUSTER_SERVICE_NAMESPACE: &str =
    "networking.fleet.azure.com/multi-cluster-service-namespace";

/// On a Service (cloud-provider-azure): the load balancer is internal, so the
/// Service cannot be a traffic-manager endpoint.
pub const SERVICE_AZURE_LOAD_BALANCER_INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
/// On a Service (cloud-provider-azure): the resource group of its load balancer.
pub const SERVICE_AZURE_LOAD_BALANCER_RESOURCE_GROUP: &str =
    "service.beta.kubernetes.io/azure-load-balancer-resource-group";
/// On a Service (cloud-provider-azure): the DNS label of its public IP; a
/// traffic-manager endpoint needs one.
pub const SERVICE_AZURE_DNS_LABEL_NAME: &str = "service.beta.kubernetes.io/azure-dns-label-name";

/// Metrics bookkeeping annotations on networking objects.
pub const METRICS_LAST_SEEN_GENERATION: &str = "networking.fleet.azure.com/last-seen-generation";
pub const METRICS_LAST_SEEN_RESOURCE_VERSION: &str = "networking.fleet.azure.com/last-seen-resource-version";
pub const METRICS_LAST_OBSERVED_GENERATION: &str = "networking.fleet.azure.com/last-observed-generation";
pub const METRICS_LAST_OBSERVED_RESOURCE_VERSION: &str = "networking.fleet.azure.com/last-observed-resource-version";
pub const METRICS_LAST_SEEN_TIMESTAMP: &str = "networking.fleet.azure.com/last-seen-timestamp";
