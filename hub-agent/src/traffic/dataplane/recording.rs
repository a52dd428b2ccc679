//! What the data plane measures for whoever asks: a `Recording` of one
//! profile's traffic, started by a migration and fed by the proxies while it
//! lives (dropping it stops the counting). The proxies pay for this only
//! while a recording of their profile exists.
//!
//! A recording counts the clients' requests (an answer below 500 is a
//! success), the longest time from a failed request to the next success, the
//! latency (p99 before and after `moving`, so the move is compared with its
//! own baseline), and per cluster the endpoints' requests and errors. The
//! feed itself counts requests in flight per cluster, recording or not (the
//! drain waits for the sources' to reach 0).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

/// Latency buckets: bucket i holds latencies up to `FIRST × GROWTH^i` ms.
const FIRST_MS: f64 = 0.05;
const GROWTH: f64 = 1.05;
const BUCKETS: usize = 300;

#[derive(Clone, Debug)]
struct Latencies(Vec<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Latencies(vec![0; BUCKETS])
    }
}

impl Latencies {
    fn observe(&mut self, secs: f64) {
        let ms = (secs * 1000.0).max(FIRST_MS);
        let i = ((ms / FIRST_MS).ln() / GROWTH.ln()).ceil() as usize;
        self.0[i.min(BUCKETS - 1)] += 1;
    }

    /// The `q` quantile's bucket bound in ms (within 5 %), None with no samples.
    fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.0.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.0.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(FIRST_MS * GROWTH.powi(i as i32));
            }
        }
        None
    }
}

/// Per cluster, as the endpoints saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterCounts {
    pub requests: u64,
    pub errors: u64,
}

#[derive(Debug, Default)]
struct Counts {
    requests: u64,
    failed: u64,
    /// Since the first failure after the last success.
    failing_since: Option<Instant>,
    longest_failing: Duration,
    moving: bool,
    baseline: Latencies,
    during: Latencies,
    clusters: BTreeMap<String, ClusterCounts>,
}

/// What a recording holds, read at once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub requests: u64,
    pub failed: u64,
    /// The longest time from a failed request to the next success (an
    /// outage still going on counts up to now).
    pub longest_no_success: Duration,
    pub p99_ms: Option<f64>,
    pub baseline_p99_ms: Option<f64>,
    pub clusters: BTreeMap<String, ClusterCounts>,
}

/// One profile's traffic, counted from its start.
#[derive(Debug, Default)]
pub struct Recording(Mutex<Counts>);

impl Recording {
    /// A client's request answered (`ok`) after `secs`.
    pub fn answered(&self, ok: bool, secs: f64, now: Instant) {
        let mut c = self.0.lock().expect("recording lock");
        c.requests += 1;
        if ok {
            if let Some(since) = c.failing_since.take() {
                c.longest_failing = c.longest_failing.max(now - since);
            }
            if c.moving { c.during.observe(secs) } else { c.baseline.observe(secs) }
        } else {
            c.failed += 1;
            c.failing_since.get_or_insert(now);
        }
    }

    /// One try on an endpoint of `cluster` finished.
    pub fn tried(&self, cluster: &str, ok: bool) {
        let mut c = self.0.lock().expect("recording lock");
        let e = c.clusters.entry(cluster.to_string()).or_default();
        e.requests += 1;
        e.errors += u64::from(!ok);
    }

    /// From now on latencies count as the move's, not the baseline's.
    pub fn moving(&self) {
        self.0.lock().expect("recording lock").moving = true;
    }

    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let c = self.0.lock().expect("recording lock");
        let ongoing = c.failing_since.map(|s| now - s).unwrap_or_default();
        Snapshot {
            requests: c.requests,
            failed: c.failed,
            longest_no_success: c.longest_failing.max(ongoing),
            p99_ms: c.during.quantile(0.99),
            baseline_p99_ms: c.baseline.quantile(0.99),
            clusters: c.clusters.clone(),
        }
    }
}

/// The live recordings of one profile, which the proxies feed, and the
/// requests in flight to each of its clusters.
#[derive(Debug, Default)]
pub struct Feed(Mutex<Vec<Weak<Recording>>>, Mutex<BTreeMap<String, i64>>);

impl Feed {
    /// A request to `cluster` started (+1) or ended (−1).
    pub fn in_flight(&self, cluster: &str, delta: i64) {
        *self.1.lock().expect("feed lock").entry(cluster.to_string()).or_default() += delta;
    }

    /// Requests in flight, by cluster.
    pub fn flying(&self) -> BTreeMap<String, i64> {
        self.1.lock().expect("feed lock").clone()
    }

    /// The recordings still alive (the dropped ones are forgotten).
    pub fn live(&self) -> Vec<Arc<Recording>> {
        let mut all = self.0.lock().expect("feed lock");
        if all.is_empty() {
            return Vec::new();
        }
        all.retain(|w| w.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    }

    fn add(&self, r: &Arc<Recording>) {
        self.0.lock().expect("feed lock").push(Arc::downgrade(r));
    }
}

/// Every profile's feed, by profile key (`namespace/name`). Shared by the data
/// plane, which feeds them, and the migrations, which start recordings.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<HashMap<String, Arc<Feed>>>);

impl Recorder {
    /// The feed of `profile` (made on first use, by either side).
    pub fn feed(&self, profile: &str) -> Arc<Feed> {
        self.0.lock().expect("recorder lock").entry(profile.to_string()).or_default().clone()
    }

    /// Starts recording `profile`'s traffic; it stops when the result is dropped.
    pub fn start(&self, profile: &str) -> Arc<Recording> {
        let r = Arc::new(Recording::default());
        self.feed(profile).add(&r);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_measured_from_the_first_failure_to_the_next_success() {
        let r = Recording::default();
        let t0 = Instant::now();
        r.answered(true, 0.001, t0);
        r.answered(false, 0.001, t0 + Duration::from_millis(100));
        r.answered(false, 0.001, t0 + Duration::from_millis(200));
        r.answered(true, 0.001, t0 + Duration::from_millis(450));
        r.answered(false, 0.001, t0 + Duration::from_millis(500));
        let s = r.snapshot(t0 + Duration::from_millis(600));
        assert_eq!((s.requests, s.failed), (5, 3));
        assert_eq!(s.longest_no_success, Duration::from_millis(350));
        let later = r.snapshot(t0 + Duration::from_millis(1000));
        assert_eq!(later.longest_no_success, Duration::from_millis(500), "an ongoing outage counts");
    }

    #[test]
    fn latency_before_the_move_is_the_baseline() {
        let r = Recording::default();
        let now = Instant::now();
        for _ in 0..100 {
            r.answered(true, 0.002, now);
        }
        assert_eq!(r.snapshot(now).p99_ms, None, "nothing moved yet");
        r.moving();
        for i in 0..100 {
            r.answered(true, if i < 98 { 0.002 } else { 0.100 }, now);
        }
        let s = r.snapshot(now);
        let (base, during) = (s.baseline_p99_ms.unwrap(), s.p99_ms.unwrap());
        assert!((1.9..=2.2).contains(&base), "{base}");
        assert!((95.0..=105.0).contains(&during), "{during}");
    }

    #[test]
    fn clusters_count_tries_and_the_feed_requests_in_flight() {
        let r = Recording::default();
        r.tried("m1", true);
        r.tried("m1", false);
        assert_eq!(r.snapshot(Instant::now()).clusters["m1"], ClusterCounts { requests: 2, errors: 1 });
        let feed = Feed::default();
        feed.in_flight("m1", 1);
        feed.in_flight("m2", 1);
        feed.in_flight("m2", -1);
        assert_eq!(feed.flying(), [("m1".to_string(), 1), ("m2".to_string(), 0)].into());
    }

    #[test]
    fn a_dropped_recording_is_no_longer_fed() {
        let rec = Recorder::default();
        let feed = rec.feed("ns/p");
        let a = rec.start("ns/p");
        assert_eq!(feed.live().len(), 1);
        drop(a);
        assert!(feed.live().is_empty());
    }
}
