//! Adding and removing one finalizer safely. Adding: a merge patch replaces
//! the whole list, so it carries the others' finalizers and the resource
//! version it read them at (a concurrent change conflicts instead of being
//! lost). Removing: a JSON patch that tests the entry is still the one we
//! mean before removing it, so a concurrent change fails the patch instead
//! of removing someone else's finalizer.

use json_patch::{Patch, PatchOperation, RemoveOperation, TestOperation};

/// The merge patch adding `finalizer` to `current` (read at
/// `resource_version`), or `None` if it is there already.
pub fn add_patch(current: &[String], finalizer: &str, resource_version: Option<String>) -> Option<serde_json::Value> {
    if current.iter().any(|f| f == finalizer) {
        return None;
    }
    let mut all = current.to_vec();
    all.push(finalizer.to_string());
    Some(serde_json::json!({"metadata": {"finalizers": all, "resourceVersion": resource_version}}))
}

/// The patch removing `finalizer` from `current`, or `None` if it is not there.
pub fn remove_patch(current: &[String], finalizer: &str) -> Option<Patch> {
    let i = current.iter().position(|f| f == finalizer)?;
    let path = || format!("/metadata/finalizers/{i}").try_into().expect("a valid JSON pointer");
    Some(Patch(vec![
        PatchOperation::Test(TestOperation { path: path(), value: finalizer.into() }),
        PatchOperation::Remove(RemoveOperation { path: path() }),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_after_the_others_guarded_by_the_resource_version() {
        let current = vec!["theirs".to_string()];
        let patch = add_patch(&current, "ours", Some("7".into())).unwrap();
        assert_eq!(patch, serde_json::json!({"metadata": {"finalizers": ["theirs", "ours"], "resourceVersion": "7"}}));
        assert!(add_patch(&["ours".to_string()], "ours", None).is_none());
    }

    #[test]
    fn removes_only_the_named_finalizer_and_only_if_it_is_still_there() {
        let current = vec!["a".to_string(), "ours".to_string(), "c".to_string()];
        let patch = remove_patch(&current, "ours").unwrap();
        let mut obj = serde_json::json!({"metadata": {"finalizers": current}});
        json_patch::patch(&mut obj, &patch).unwrap();
        assert_eq!(obj["metadata"]["finalizers"], serde_json::json!(["a", "c"]));
        // Someone removed "a" meanwhile: index 1 is now "c"; the test op refuses.
        let mut moved = serde_json::json!({"metadata": {"finalizers": ["ours", "c"]}});
        assert!(json_patch::patch(&mut moved, &patch).is_err());
        assert!(remove_patch(&current, "absent").is_none());
    }
}
