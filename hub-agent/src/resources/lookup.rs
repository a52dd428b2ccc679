//! What placement selection needs of the hub's objects ([`Lookup`], the
//! resource cache in the agent, a map in tests), and the identity of one
//! object as KubeFleet's status names it. Pure.

use apis::placement::ResourceIdentifier;
use serde_json::Value;

/// How the hub serves a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub namespaced: bool,
    /// The fleet never places it; a selector naming it selects nothing.
    pub skipped: bool,
}

/// The hub's objects, as the resolver needs them.
pub trait Lookup {
    /// How the hub serves `group/version, kind`, or `None` if it does not.
    fn served(&self, group: &str, version: &str, kind: &str) -> Option<Served>;
    /// Every object of a kind, in `namespace` if given. `Err` names a kind whose
    /// objects are not loaded yet.
    fn objects(&self, group: &str, kind: &str, namespace: Option<&str>) -> Result<Vec<Value>, String>;
    /// Every namespaced kind that may be placed, as (group, kind).
    fn namespaced_kinds(&self) -> Vec<(String, String)>;
}

pub fn identifier(obj: &Value) -> ResourceIdentifier {
    let (group, version) = split_api_version(obj["apiVersion"].as_str().unwrap_or_default());
    let meta = &obj["metadata"];
    ResourceIdentifier {
        group: group.to_string(),
        version: version.to_string(),
        kind: obj["kind"].as_str().unwrap_or_default().to_string(),
        name: meta["name"].as_str().unwrap_or_default().to_string(),
        namespace: meta["namespace"].as_str().unwrap_or_default().to_string(),
        envelope: None,
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}
