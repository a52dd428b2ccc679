//! A placement's resource snapshot group: names, the content hash, and the
//! split into a master snapshot and sub-snapshots under the size limit. Pure.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Keeps each snapshot object well under etcd's 1.5 MiB limit.
pub const SIZE_LIMIT: usize = 800 * 1024;

/// The master snapshot of group `index`: `<placement>-<index>-snapshot`.
pub fn master_name(placement: &str, index: u32) -> String {
    format!("{placement}-{index}-snapshot")
}

/// Sub-snapshot `subindex` (from 0) of group `index`: `<placement>-<index>-<subindex>`.
pub fn sub_name(placement: &str, index: u32, subindex: usize) -> String {
    format!("{placement}-{index}-{subindex}")
}

/// Lower-case hex SHA-256 of `{"selectedResources":[…]}` over every object of
/// the group, before splitting: what changes when anything selected changes.
pub fn hash(objects: &[Value]) -> String {
    let body = serde_json::to_vec(&json!({ "selectedResources": objects })).expect("JSON values serialize");
    format!("{:x}", Sha256::digest(body))
}

/// Splits `objects` (in order) greedily into chunks of at most `limit` bytes of
/// JSON each; an object larger than the limit gets a chunk of its own. Chunk 0
/// goes into the master snapshot, chunk k into sub-snapshot k-1. At least one
/// (possibly empty) chunk.
pub fn split(objects: Vec<Value>, limit: usize) -> Vec<Vec<Value>> {
    let mut chunks = vec![Vec::new()];
    let mut size = 0;
    for o in objects {
        let n = serde_json::to_vec(&o).map(|b| b.len()).unwrap_or(0);
        let current = chunks.last_mut().expect("at least one chunk");
        if !current.is_empty() && size + n > limit {
            chunks.push(vec![o]);
            size = n;
        } else {
            current.push(o);
            size += n;
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(name: &str, bytes: usize) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"d": "x".repeat(bytes)}})
    }

    fn sizes(chunks: &[Vec<Value>]) -> Vec<usize> {
        chunks.iter().map(Vec::len).collect()
    }

    #[test]
    fn names_are_kubefleets() {
        assert_eq!(master_name("crp-availability", 11), "crp-availability-11-snapshot");
        assert_eq!(sub_name("crp-availability", 11, 0), "crp-availability-11-0");
    }

    #[test]
    fn the_hash_changes_with_content_or_order_and_only_then() {
        let a = [cm("a", 1), cm("b", 1)];
        assert_eq!(hash(&a), hash(&a.clone()));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&[cm("a", 2), cm("b", 1)]));
        assert_ne!(hash(&a), hash(&[cm("b", 1), cm("a", 1)]), "order is part of the content");
        // Key order inside an object is not.
        let x: Value =
            serde_json::from_str(r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"}}"#).unwrap();
        let y: Value =
            serde_json::from_str(r#"{"apiVersion":"v1","metadata":{"name":"a"},"kind":"ConfigMap"}"#).unwrap();
        assert_eq!(hash(&[x]), hash(&[y]));
        assert_eq!(
            hash(&[]),
            format!("{:x}", Sha256::digest(br#"{"selectedResources":[]}"#)),
            "an empty selection hashes the empty list"
        );
    }

    #[test]
    fn splits_greedily_under_the_limit() {
        let one = serde_json::to_vec(&cm("c0", 100)).unwrap().len();
        let objs: Vec<Value> = (0..5).map(|i| cm(&format!("c{i}"), 100)).collect();
        assert_eq!(sizes(&split(objs.clone(), one * 2)), [2, 2, 1]);
        assert_eq!(sizes(&split(objs.clone(), one * 5)), [5]);
        assert_eq!(sizes(&split(vec![], 10)), [0], "an empty selection still has a master");
        let big = vec![cm("small", 10), cm("huge", 5000), cm("after", 10)];
        assert_eq!(sizes(&split(big, 1000)), [1, 1, 1], "an oversized object stands alone");
        let chunks = split(objs, one * 2);
        assert_eq!(chunks[2][0]["metadata"]["name"], "c4", "order kept");
    }
}
