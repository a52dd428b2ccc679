//! A profile's routing table: its endpoints with their weights, swapped as a
//! whole when the control plane changes them, so a request sees either the
//! old table or the new one, never a mix. An endpoint keeps its health and
//! counters across swaps (by name); one that leaves the table is simply no
//! longer picked, and requests already on their way to it finish.

use std::{
    net::SocketAddr,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use super::pick::{Candidate, pick};

/// One endpoint's lasting state.
#[derive(Debug)]
pub struct Endpoint {
    pub name: String,
    pub cluster: String,
    pub addr: SocketAddr,
    healthy: AtomicBool,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

impl Endpoint {
    pub fn new(name: &str, cluster: &str, addr: SocketAddr) -> Self {
        Endpoint {
            name: name.to_string(),
            cluster: cluster.to_string(),
            addr,
            healthy: AtomicBool::new(true),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    pub fn set_healthy(&self, h: bool) {
        self.healthy.store(h, Ordering::Relaxed);
    }
}

/// What the control plane wants: (name, cluster, address, weight).
#[derive(Clone, Debug, PartialEq)]
pub struct Wanted {
    pub name: String,
    pub cluster: String,
    pub addr: SocketAddr,
    pub weight: u32,
}

/// One version of the table.
#[derive(Debug, Default)]
pub struct Routes {
    pub entries: Vec<(Arc<Endpoint>, u32)>,
    /// The profile generation this table implements.
    pub generation: i64,
}

impl Routes {
    /// The endpoint for the next request, skipping `tried`.
    pub fn pick(&self, tried: &[usize]) -> Option<(usize, &Arc<Endpoint>)> {
        let candidates: Vec<Candidate> =
            self.entries.iter().map(|(e, w)| Candidate { weight: *w, healthy: e.healthy() }).collect();
        pick(&candidates, tried, fastrand::u64(..)).map(|i| (i, &self.entries[i].0))
    }

    pub fn all_unhealthy(&self) -> bool {
        !self.entries.is_empty() && self.entries.iter().all(|(e, _)| !e.healthy())
    }
}

/// The current table, swapped atomically.
#[derive(Debug, Default)]
pub struct Table(RwLock<Arc<Routes>>);

impl Table {
    pub fn load(&self) -> Arc<Routes> {
        self.0.read().expect("routes lock").clone()
    }

    /// Installs `wanted` as the table for `generation`, keeping the state of
    /// endpoints that stay (same name and address).
    pub fn store(&self, wanted: &[Wanted], generation: i64) {
        let old = self.load();
        let entries = wanted
            .iter()
            .map(|w| {
                let kept =
                    old.entries.iter().find(|(e, _)| e.name == w.name && e.addr == w.addr).map(|(e, _)| e.clone());
                (kept.unwrap_or_else(|| Arc::new(Endpoint::new(&w.name, &w.cluster, w.addr))), w.weight)
            })
            .collect();
        *self.0.write().expect("routes lock") = Arc::new(Routes { entries, generation });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, port: u16, weight: u32) -> Wanted {
        Wanted { name: name.into(), cluster: name.into(), addr: SocketAddr::from(([127, 0, 0, 1], port)), weight }
    }

    #[test]
    fn a_swap_keeps_the_state_of_endpoints_that_stay() {
        let t = Table::default();
        t.store(&[w("a", 1, 100), w("b", 2, 0)], 1);
        let before = t.load();
        before.entries[0].0.set_healthy(false);
        t.store(&[w("a", 1, 10), w("c", 3, 90)], 2);
        let after = t.load();
        assert_eq!(after.generation, 2);
        assert!(!after.entries[0].0.healthy(), "a's health carries over");
        assert_eq!(after.entries[0].1, 10);
        assert_eq!(after.entries.len(), 2, "b is gone");
        assert_eq!(before.entries.len(), 2, "the old table is untouched for requests holding it");
        assert_eq!(after.pick(&[]).map(|(i, _)| i), Some(1), "the healthy one");
    }
}
