//! Test fixtures the override modules share.

use apis::placement::{OverridePolicy, ResourceOverrideSpec, ResourceSelector};

/// A ResourceOverride of the Service `name` with `policy`.
pub fn service_override(name: &str, policy: OverridePolicy) -> ResourceOverrideSpec {
    ResourceOverrideSpec {
        placement: None,
        resource_selectors: vec![ResourceSelector {
            group: String::new(),
            version: "v1".into(),
            kind: "Service".into(),
            name: name.into(),
        }],
        policy,
    }
}
