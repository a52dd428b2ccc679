//! The AppliedWork's inventory: what the applier placed from a Work. An
//! object leaves the inventory only once it is removed from the member (or
//! let go), so a manifest dropped from the Work is cleaned up even across
//! restarts and failed passes. Pure.

use apis::placement::{AppliedResourceMeta, WorkResourceIdentifier};

/// The same object whatever the API version or position in the Work.
fn same(a: &WorkResourceIdentifier, b: &WorkResourceIdentifier) -> bool {
    (&a.group, &a.kind, &a.namespace, &a.name) == (&b.group, &b.kind, &b.namespace, &b.name)
}

/// Placed objects whose manifests are no longer in the Work.
pub fn stale(inventory: &[AppliedResourceMeta], manifests: &[WorkResourceIdentifier]) -> Vec<AppliedResourceMeta> {
    inventory.iter().filter(|r| !manifests.iter().any(|m| same(&r.identifier, m))).cloned().collect()
}

/// The inventory after a pass: what the pass confirmed as ours, then what was
/// ours before and is still wanted or not yet removed (`kept`), once each,
/// sorted so an unchanged inventory is not rewritten.
pub fn next(
    confirmed: Vec<AppliedResourceMeta>,
    previous: &[AppliedResourceMeta],
    kept: impl Fn(&AppliedResourceMeta) -> bool,
) -> Vec<AppliedResourceMeta> {
    let mut out = confirmed;
    for r in previous {
        if kept(r) && !out.iter().any(|c| same(&c.identifier, &r.identifier)) {
            out.push(r.clone());
        }
    }
    out.sort_by(|a, b| {
        let k = |r: &AppliedResourceMeta| {
            let i = &r.identifier;
            (i.group.clone(), i.kind.clone(), i.namespace.clone(), i.name.clone())
        };
        k(a).cmp(&k(b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: &str, name: &str, version: &str, ordinal: i32) -> WorkResourceIdentifier {
        WorkResourceIdentifier {
            ordinal,
            version: version.into(),
            kind: kind.into(),
            name: name.into(),
            namespace: "app".into(),
            ..Default::default()
        }
    }

    fn placed(kind: &str, name: &str) -> AppliedResourceMeta {
        AppliedResourceMeta { identifier: id(kind, name, "v1", 0), uid: format!("uid-{name}") }
    }

    #[test]
    fn only_objects_whose_manifest_left_are_stale() {
        let inventory = [placed("ConfigMap", "a"), placed("Service", "b")];
        // b moved position and API version: still wanted.
        let manifests = [id("Service", "b", "v2", 5)];
        assert_eq!(stale(&inventory, &manifests), vec![placed("ConfigMap", "a")]);
    }

    #[test]
    fn the_next_inventory_keeps_what_is_not_yet_removed_once_and_in_order() {
        let previous = [placed("Service", "b"), placed("ConfigMap", "a"), placed("Secret", "gone")];
        let confirmed = vec![placed("Service", "b")];
        let next = next(confirmed, &previous, |r| r.identifier.name != "gone");
        let names: Vec<&str> = next.iter().map(|r| r.identifier.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
