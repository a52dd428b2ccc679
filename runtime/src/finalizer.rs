//! Removing one finalizer safely: a JSON patch that tests the entry is still
//! the one we mean before removing it, so a concurrent change fails the patch
//! instead of removing someone else's finalizer.

use json_patch::{Patch, PatchOperation, RemoveOperation, TestOperation};

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
