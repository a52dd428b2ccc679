//! TrafficManagerProfile: a DNS name that spreads traffic across the endpoints
//! of its TrafficManagerBackends by weight, with active health probes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Only weighted routing is supported.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "networking.fleet.azure.com",
    version = "v1beta1",
    kind = "TrafficManagerProfile",
    namespaced,
    shortname = "tmp",
    category = "fleet-networking",
    status = "TrafficManagerProfileStatus",
    printcolumn = r#"{"name":"DNS-Name","type":"string","jsonPath":".status.dnsName"}"#,
    printcolumn = r#"{"name":"Is-Programmed","type":"string","jsonPath":".status.conditions[?(@.type=='Programmed')].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    validation = Rule::new("size(self.metadata.name) < 64").message("metadata.name max length is 63")
)]
#[x_kube(
    validation = Rule::new("!has(oldSelf.resourceGroup) || has(self.resourceGroup)").message("resourceGroup cannot be removed once set")
)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerProfileSpec {
    /// The Azure resource group fleet-networking creates the profile in.
    /// Flotilla accepts it for compatibility and ignores it (fleet-networking
    /// requires it); once set it cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 90))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("resourceGroup is immutable"))]
    pub resource_group: Option<String>,
    /// How endpoints are probed. Unset means every field's default; see
    /// [`TrafficManagerProfileSpec::effective_monitor_config`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_config: Option<MonitorConfig>,
}

impl TrafficManagerProfileSpec {
    /// The monitor config with every default applied, including the timeout,
    /// whose default depends on the interval.
    pub fn effective_monitor_config(&self) -> MonitorConfig {
        let mut mc = self.monitor_config.clone().unwrap_or_default();
        mc.timeout_in_seconds = Some(mc.effective_timeout_in_seconds());
        mc
    }
}

/// Endpoint health probing.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(
    validation = Rule::new("!has(self.intervalInSeconds) || self.intervalInSeconds != 30 || !has(self.timeoutInSeconds) || (self.timeoutInSeconds >= 5 && self.timeoutInSeconds <= 10)").message("timeoutInSeconds must be between 5 and 10 when intervalInSeconds is 30"),
    validation = Rule::new("!has(self.intervalInSeconds) || self.intervalInSeconds != 10 || !has(self.timeoutInSeconds) || (self.timeoutInSeconds >= 5 && self.timeoutInSeconds <= 9)").message("timeoutInSeconds must be between 5 and 9 when intervalInSeconds is 10")
)]
#[serde(rename_all = "camelCase")]
pub struct MonitorConfig {
    /// Seconds between probes of each endpoint: 30 (normal) or 10 (fast).
    #[serde(default = "default_interval_in_seconds")]
    #[schemars(extend("enum" = [10, 30]))]
    pub interval_in_seconds: i64,
    /// The probed path, relative to the endpoint's host.
    #[serde(default = "default_path")]
    pub path: String,
    /// The probed port.
    #[serde(default = "default_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: i64,
    #[serde(default)]
    pub protocol: MonitorProtocol,
    /// Extra probe request headers, such as `Host`; at most 8, one per name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub custom_headers: Vec<MonitorConfigCustomHeader>,
    /// How long a probe may take: 5..=10 seconds with a 30 s interval,
    /// 5..=9 with a 10 s interval. Unset means 10 or 9 respectively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 10))]
    pub timeout_in_seconds: Option<i64>,
    /// Consecutive failed probes tolerated before the endpoint is degraded.
    #[serde(default = "default_tolerated_number_of_failures")]
    #[schemars(range(min = 0, max = 9))]
    pub tolerated_number_of_failures: i64,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            interval_in_seconds: default_interval_in_seconds(),
            path: default_path(),
            port: default_port(),
            protocol: MonitorProtocol::default(),
            custom_headers: Vec::new(),
            timeout_in_seconds: None,
            tolerated_number_of_failures: default_tolerated_number_of_failures(),
        }
    }
}

impl MonitorConfig {
    /// `timeoutInSeconds`, or its default: 9 for a 10 s interval, else 10.
    pub fn effective_timeout_in_seconds(&self) -> i64 {
        match (self.timeout_in_seconds, self.interval_in_seconds) {
            (Some(t), _) => t,
            (None, 10) => 9,
            (None, _) => 10,
        }
    }
}

fn default_interval_in_seconds() -> i64 {
    30
}

fn default_path() -> String {
    "/".to_string()
}

fn default_port() -> i64 {
    80
}

fn default_tolerated_number_of_failures() -> i64 {
    3
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum MonitorProtocol {
    #[default]
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "HTTPS")]
    Https,
    #[serde(rename = "TCP")]
    Tcp,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorConfigCustomHeader {
    #[schemars(length(min = 1))]
    pub name: String,
    #[schemars(length(min = 1))]
    pub value: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficManagerProfileStatus {
    /// The profile's fully-qualified DNS name, `<namespace>-<name>.<zone>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The ID of the backing resource (an Azure resource ID in fleet-networking).
    #[serde(rename = "resourceID", default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Flotilla addition (not in fleet-networking): where Flotilla's data
    /// plane serves this profile's traffic (`host:port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_address: Option<String>,
    /// `Programmed`: whether the profile has been configured in the data plane.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "crate::schema::conditions")]
    pub conditions: Vec<Condition>,
}
