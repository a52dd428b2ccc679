//! Writes a placement's last pass made and its watches have not shown yet.
//! A pass reads the watch caches; acting on a cache that misses its own last
//! writes would, say, create a second binding for the same cluster. So a pass
//! waits until the caches have caught up, or until the expectation expires (a
//! write someone else undid must not block the placement forever).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long to wait for the caches before acting anyway. Long enough for a
/// watch behind a saturated API server; acting on a stale cache earlier is
/// what would create duplicates.
const EXPIRY: Duration = Duration::from_secs(15);

/// What the cache must show for one object.
#[derive(Clone, Debug)]
pub enum Expect {
    /// At least this resourceVersion.
    Version(u64),
    /// Gone (or being deleted).
    Gone,
}

/// Which of a placement's caches an object lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Child {
    ResourceSnapshot,
    PolicySnapshot,
    Binding,
    Work,
}

impl Child {
    /// The cache of kind `K` (either family's).
    pub fn of<K: kube::Resource<DynamicType = ()>>() -> Self {
        match K::kind(&()).as_ref() {
            "ClusterResourceSnapshot" | "ResourceSnapshot" => Self::ResourceSnapshot,
            "ClusterSchedulingPolicySnapshot" | "SchedulingPolicySnapshot" => Self::PolicySnapshot,
            "ClusterResourceBinding" | "ResourceBinding" => Self::Binding,
            _ => Self::Work,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub kind: Child,
    pub namespace: Option<String>,
    pub name: String,
    pub expect: Expect,
}

/// What a cache holds for an object: its resourceVersion and whether it is
/// being deleted, or `None` if absent.
pub type Observed = Option<(u64, bool)>;

#[derive(Default)]
pub struct Expectations {
    pending: Mutex<HashMap<String, (Instant, Vec<Pending>)>>,
}

pub fn version(rv: Option<&str>) -> u64 {
    rv.and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn met(p: &Pending, observed: Observed) -> bool {
    match (&p.expect, observed) {
        (Expect::Version(v), Some((have, _))) => have >= *v,
        (Expect::Version(_), None) => false,
        (Expect::Gone, None) => true,
        (Expect::Gone, Some((_, deleting))) => deleting,
    }
}

impl Expectations {
    /// Records the writes of a pass for `placement`.
    pub fn expect(&self, placement: &str, writes: Vec<Pending>) {
        if writes.is_empty() {
            return;
        }
        let mut pending = self.pending.lock().expect("lock");
        let entry = pending.entry(placement.to_string()).or_insert_with(|| (Instant::now(), Vec::new()));
        entry.0 = Instant::now();
        entry.1.extend(writes);
    }

    /// Whether the caches have caught up with `placement`'s writes; `look`
    /// finds an object in the right cache.
    pub fn satisfied(&self, placement: &str, look: impl Fn(&Pending) -> Observed) -> bool {
        let mut pending = self.pending.lock().expect("lock");
        let Some((since, writes)) = pending.get_mut(placement) else { return true };
        writes.retain(|p| !met(p, look(p)));
        if writes.is_empty() {
            pending.remove(placement);
            return true;
        }
        if since.elapsed() > EXPIRY {
            tracing::warn!(%placement, unseen = writes.len(), first = ?writes.first(), "the caches never showed some writes; acting anyway");
            pending.remove(placement);
            return true;
        }
        false
    }

    pub fn forget(&self, placement: &str) {
        self.pending.lock().expect("lock").remove(placement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, expect: Expect) -> Pending {
        Pending { kind: Child::Binding, namespace: None, name: name.into(), expect }
    }

    #[test]
    fn waits_for_versions_and_deletions() {
        let e = Expectations::default();
        e.expect("crp", vec![p("a", Expect::Version(10)), p("b", Expect::Gone)]);
        assert!(!e.satisfied("crp", |x| if x.name == "a" { Some((9, false)) } else { Some((3, false)) }));
        assert!(!e.satisfied("crp", |x| if x.name == "a" { Some((10, false)) } else { Some((3, false)) }));
        assert!(e.satisfied("crp", |x| if x.name == "a" { Some((10, false)) } else { Some((3, true)) }));
        assert!(e.satisfied("other", |_| None));
    }
}
