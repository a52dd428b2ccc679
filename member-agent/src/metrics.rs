//! The member agent's Prometheus metrics.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Default)]
pub struct Metrics {
    heartbeats: Family<ResultLabels, Counter>,
    healthy: Gauge,
    last_heartbeat: Gauge,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("flotilla_member_agent");
        r.register("heartbeats", "Heartbeats sent to the hub, by result", m.heartbeats.clone());
        r.register(
            "healthy",
            "1 if the member cluster's API server was ready at the last heartbeat",
            m.healthy.clone(),
        );
        r.register(
            "last_heartbeat_timestamp_seconds",
            "When the last heartbeat reached the hub",
            m.last_heartbeat.clone(),
        );
        m
    }

    pub fn heartbeat(&self, delivered: bool, healthy: bool) {
        let result = if delivered { "ok" } else { "error" };
        self.heartbeats.get_or_create(&ResultLabels { result: result.into() }).inc();
        self.healthy.set(healthy as i64);
        if delivered {
            self.last_heartbeat.set(k8s_openapi::jiff::Timestamp::now().as_second());
        }
    }
}
