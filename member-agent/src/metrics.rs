//! The member agent's Prometheus metrics.

use flotilla_runtime::Reconciles;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerbLabels {
    pub verb: String,
}

#[derive(Clone)]
pub struct Metrics {
    pub reconciles: Reconciles,
    heartbeats: Family<ResultLabels, Counter>,
    work_passes: Family<ResultLabels, Counter>,
    object_writes: Family<VerbLabels, Counter>,
    healthy: Gauge,
    last_heartbeat: Gauge,
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            reconciles: Reconciles::register(registry),
            heartbeats: Family::default(),
            work_passes: Family::default(),
            object_writes: Family::default(),
            healthy: Gauge::default(),
            last_heartbeat: Gauge::default(),
        };
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
        r.register(
            "work_passes",
            "Passes over a Work, by result (settled, pending: waiting for availability, failed: some manifest not applied, error)",
            m.work_passes.clone(),
        );
        r.register(
            "object_writes",
            "Writes to placed objects on the member cluster, by verb (create, apply, patch, takeover, delete, release)",
            m.object_writes.clone(),
        );
        m
    }

    pub fn work_pass(&self, result: &str) {
        self.work_passes.get_or_create(&ResultLabels { result: result.into() }).inc();
    }

    pub fn object_write(&self, verb: &str) {
        self.object_writes.get_or_create(&VerbLabels { verb: verb.into() }).inc();
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
