//! Scheduling policy snapshots: a new one only when the policy changes in a
//! way that needs a new scheduling decision. `numberOfClusters` is left out of
//! the hash: scaling a PickN placement updates the latest snapshot's
//! `number-of-clusters` annotation instead, so the scheduler scales without
//! treating every binding as obsolete. Pure.

use apis::placement::PlacementPolicy;
use sha2::{Digest, Sha256};

/// `<placement>-<index>`, from index 0.
pub fn name(placement: &str, index: u32) -> String {
    format!("{placement}-{index}")
}

/// Lower-case hex SHA-256 of the policy's JSON without `numberOfClusters`
/// (`null` for no policy). Compared only with Flotilla's own hashes.
pub fn hash(policy: Option<&PlacementPolicy>) -> String {
    let without_n = policy.map(|p| PlacementPolicy { number_of_clusters: None, ..p.clone() });
    format!("{:x}", Sha256::digest(serde_json::to_vec(&without_n).expect("a policy serializes")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::placement::PlacementType;

    fn pick_n(n: i32) -> PlacementPolicy {
        PlacementPolicy { placement_type: PlacementType::PickN, number_of_clusters: Some(n), ..Default::default() }
    }

    #[test]
    fn scaling_keeps_the_hash_and_any_other_change_does_not() {
        assert_eq!(hash(Some(&pick_n(2))), hash(Some(&pick_n(5))));
        let mut with_names = pick_n(2);
        with_names.cluster_names = vec!["a".into()];
        assert_ne!(hash(Some(&pick_n(2))), hash(Some(&with_names)));
        assert_ne!(hash(None), hash(Some(&pick_n(2))));
        assert_eq!(hash(None), format!("{:x}", Sha256::digest(b"null")));
        assert_eq!(name("crp-availability", 0), "crp-availability-0");
    }
}
