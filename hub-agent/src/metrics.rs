//! The hub agent's Prometheus metrics.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use flotilla_runtime::Reconciles;
use k8s_openapi::jiff::Timestamp;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{MetricType, counter::Counter, family::Family, gauge::ConstGauge, gauge::Gauge},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MemberLabels {
    pub member: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LeaveLabels {
    /// "true" when the hub cleaned up without the agent's acknowledgement.
    pub forced: String,
}

#[derive(Clone)]
pub struct Metrics {
    pub joins: Counter,
    pub leaves: Family<LeaveLabels, Counter>,
    pub eligible: Family<MemberLabels, Gauge>,
    pub heartbeats: Arc<HeartbeatAge>,
    pub reconciles: Reconciles,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            joins: Counter::default(),
            leaves: Family::default(),
            eligible: Family::default(),
            heartbeats: Arc::default(),
            reconciles: Reconciles::register(registry),
        };
        let r = registry.sub_registry_with_prefix("flotilla");
        r.register("member_joins", "Member clusters that joined the fleet", m.joins.clone());
        r.register("member_leaves", "Member clusters that left the fleet", m.leaves.clone());
        r.register("member_eligible", "1 if a member cluster can receive new placements", m.eligible.clone());
        r.register_collector(Box::new(m.heartbeats.clone()));
        m
    }

    /// Forgets a member that left.
    pub fn forget(&self, member: &str) {
        self.eligible.remove(&MemberLabels { member: member.to_string() });
        self.heartbeats.forget(member);
    }
}

/// Seconds since each member's last heartbeat, computed at scrape time so the
/// age keeps growing when heartbeats stop.
#[derive(Debug, Default)]
pub struct HeartbeatAge(Mutex<BTreeMap<String, Timestamp>>);

impl HeartbeatAge {
    pub fn record(&self, member: &str, at: Timestamp) {
        self.0.lock().expect("heartbeat lock").insert(member.to_string(), at);
    }

    pub fn forget(&self, member: &str) {
        self.0.lock().expect("heartbeat lock").remove(member);
    }

    fn ages(&self, now: Timestamp) -> Vec<(String, f64)> {
        let map = self.0.lock().expect("heartbeat lock");
        map.iter()
            .map(|(m, at)| (m.clone(), Duration::try_from(now - *at).map(|d| d.as_secs_f64()).unwrap_or(0.0)))
            .collect()
    }
}

impl Collector for HeartbeatAge {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut metric = encoder.encode_descriptor(
            "member_heartbeat_age_seconds",
            "Seconds since the member agent's last heartbeat",
            None,
            MetricType::Gauge,
        )?;
        for (member, age) in self.ages(Timestamp::now()) {
            let labels = MemberLabels { member };
            ConstGauge::new(age).encode(metric.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_age_is_computed_at_scrape_time() {
        let mut registry = Registry::default();
        let m = Metrics::register(&mut registry);
        m.heartbeats.record("member-1", Timestamp::now() - std::time::Duration::from_secs(42));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        let line = out.lines().find(|l| l.starts_with("flotilla_member_heartbeat_age_seconds{")).expect(&out);
        let age: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!((42.0..50.0).contains(&age), "{line}");
        m.forget("member-1");
        out.clear();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        assert!(!out.contains("member=\"member-1\""), "{out}");
    }
}
