//! The metrics every controller of both agents reports under the same names:
//! reconciliations (count, failures, duration) by controller, and the API
//! requests the process made.

use std::time::Instant;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    pub controller: String,
}

#[derive(Clone)]
pub struct Reconciles {
    count: Family<ControllerLabels, Counter>,
    errors: Family<ControllerLabels, Counter>,
    seconds: Family<ControllerLabels, Histogram>,
}

impl Reconciles {
    /// Registers the reconcile metrics and the API request counter in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            count: Family::default(),
            errors: Family::default(),
            seconds: Family::new_with_constructor(|| Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])),
        };
        let r = registry.sub_registry_with_prefix("flotilla");
        r.register("reconciles", "Reconciliations, by controller", m.count.clone());
        r.register("reconcile_errors", "Failed reconciliations, by controller", m.errors.clone());
        r.register("reconcile_duration_seconds", "Time spent reconciling", m.seconds.clone());
        r.register(
            "api_requests",
            "API requests this agent made, by HTTP method (WATCH for watches)",
            crate::client::requests(),
        );
        m
    }

    /// Counts one reconciliation of `controller` and times it until the guard drops.
    pub fn start(&self, controller: &str) -> ReconcileTimer {
        let labels = ControllerLabels { controller: controller.to_string() };
        self.count.get_or_create(&labels).inc();
        ReconcileTimer { start: Instant::now(), histogram: self.seconds.get_or_create(&labels).clone() }
    }

    pub fn failed(&self, controller: &str) {
        self.errors.get_or_create(&ControllerLabels { controller: controller.to_string() }).inc();
    }
}

pub struct ReconcileTimer {
    start: Instant,
    histogram: Histogram,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconcile_is_counted_timed_and_its_failure_counted_by_controller() {
        let mut registry = Registry::default();
        let m = Reconciles::register(&mut registry);
        drop(m.start("placement"));
        m.failed("placement");
        crate::client::requests().get_or_create(&crate::client::RequestLabels { method: "GET".into() }).inc();
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        assert!(out.contains("flotilla_reconciles_total{controller=\"placement\"} 1"), "{out}");
        assert!(out.contains("flotilla_reconcile_errors_total{controller=\"placement\"} 1"), "{out}");
        assert!(out.contains("flotilla_reconcile_duration_seconds_count{controller=\"placement\"} 1"), "{out}");
        assert!(out.contains("flotilla_api_requests_total{method=\"GET\"}"), "{out}");
    }
}
