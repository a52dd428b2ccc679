//! Override snapshots: each version of a ClusterResourceOverride or
//! ResourceOverride is kept as `<override>-<index>`, labelled with its parent
//! and index, the newest labelled latest. A new snapshot is made only when
//! the spec's hash changes; old ones beyond the history limit are deleted.
//! Placements read the latest snapshots, so an override change rolls out like
//! a resource change. Pure.

use sha2::{Digest, Sha256};

use crate::history;

/// Snapshots kept per override, the newest included.
pub const HISTORY_LIMIT: usize = 10;

/// The snapshot `index` of `override_name`.
pub fn name(override_name: &str, index: u32) -> String {
    format!("{override_name}-{index}")
}

/// The hash of an override's spec, as JSON.
pub fn hash(spec: &serde_json::Value) -> String {
    format!("{:x}", Sha256::digest(serde_json::to_vec(spec).expect("JSON serializes")))
}

/// An existing snapshot, as its labels and spec say.
#[derive(Clone, Debug, PartialEq)]
pub struct Existing {
    pub name: String,
    pub index: u32,
    pub hash: String,
    pub latest: bool,
}

/// What to write so the snapshots match the override.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// A new latest snapshot: name and index.
    pub create: Option<(String, u32)>,
    /// Snapshots to label latest (true) or not (false).
    pub relabel: Vec<(String, bool)>,
    pub delete: Vec<String>,
}

pub fn plan(override_name: &str, hash: &str, existing: &[Existing]) -> Plan {
    let newest = existing.iter().max_by_key(|e| e.index);
    let mut out = Plan::default();
    let current = newest.filter(|n| n.hash == hash);
    for e in existing {
        let want = current.is_some_and(|c| c.name == e.name);
        if e.latest != want {
            out.relabel.push((e.name.clone(), want));
        }
    }
    if current.is_none() {
        let index = newest.map_or(0, |n| n.index + 1);
        out.create = Some((name(override_name, index), index));
        let indices: Vec<u32> = existing.iter().map(|e| e.index).collect();
        let gone = history::prune(&indices, HISTORY_LIMIT);
        out.delete = existing.iter().filter(|e| gone.contains(&e.index)).map(|e| e.name.clone()).collect();
        out.relabel.retain(|(n, _)| !out.delete.contains(n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: u32, hash: &str, latest: bool) -> Existing {
        Existing { name: name("ro", index), index, hash: hash.into(), latest }
    }

    #[test]
    fn the_first_version_is_index_zero() {
        assert_eq!(plan("ro", "h", &[]), Plan { create: Some(("ro-0".into(), 0)), ..Default::default() });
    }

    #[test]
    fn an_unchanged_spec_writes_nothing() {
        assert_eq!(plan("ro", "h1", &[e(0, "h0", false), e(1, "h1", true)]), Plan::default());
    }

    #[test]
    fn a_change_makes_the_next_index_latest() {
        let p = plan("ro", "h2", &[e(0, "h0", false), e(1, "h1", true)]);
        assert_eq!(p.create, Some(("ro-2".into(), 2)));
        assert_eq!(p.relabel, vec![("ro-1".to_string(), false)]);
        assert!(p.delete.is_empty());
    }

    #[test]
    fn a_spec_changed_back_is_a_new_snapshot_and_the_history_is_bounded() {
        let existing: Vec<Existing> = (0..HISTORY_LIMIT as u32).map(|i| e(i, &format!("h{i}"), i == 9)).collect();
        let p = plan("ro", "h0", &existing);
        assert_eq!(p.create, Some(("ro-10".into(), 10)), "back to an old spec is still a new version");
        assert_eq!(p.delete, vec!["ro-0".to_string()], "{HISTORY_LIMIT} kept with the new one");
        assert_eq!(p.relabel, vec![("ro-9".to_string(), false)]);
    }

    #[test]
    fn a_lost_latest_label_is_put_back() {
        let p = plan("ro", "h1", &[e(0, "h0", true), e(1, "h1", false)]);
        assert_eq!(p.relabel, vec![("ro-0".to_string(), false), ("ro-1".to_string(), true)]);
        assert_eq!(p.create, None);
    }
}
