//! Which old snapshots to delete so that, with the one about to be created, a
//! placement keeps `revisionHistoryLimit` of them. Pure.

/// `indices` are the existing groups' indices (any order, repeats allowed:
/// one per object); returns the indices to delete before a new group is made.
pub fn prune(indices: &[u32], limit: usize) -> Vec<u32> {
    let mut groups: Vec<u32> = indices.to_vec();
    groups.sort_unstable_by(|a, b| b.cmp(a));
    groups.dedup();
    let keep = limit.max(1) - 1;
    let mut out: Vec<u32> = groups.into_iter().skip(keep).collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_limit_minus_one_groups() {
        assert_eq!(prune(&[0, 1, 2, 3], 3), [0, 1]);
        assert_eq!(prune(&[3, 3, 3, 2, 2, 1], 2), [1, 2]);
        assert_eq!(prune(&[0, 1], 10), Vec::<u32>::new());
        assert_eq!(prune(&[0, 1], 1), [0, 1]);
    }
}
