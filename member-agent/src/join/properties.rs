//! Cluster properties from the member's Nodes and Pods, as KubeFleet's
//! built-in provider reports them: node count, and total, allocatable and
//! available CPU and memory (available = allocatable − requests of the Pods
//! that hold a node). Pure.

use std::collections::BTreeMap;

use apis::cluster::{PropertyValue, ResourceUsage, properties as p};
use k8s_openapi::{
    api::core::v1::{Node, Pod},
    apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Time},
};

use apis::quantity;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Resources {
    cpu: f64,
    memory: f64,
}

impl Resources {
    fn of(list: Option<&BTreeMap<String, Quantity>>) -> Self {
        let get = |k: &str| list.and_then(|l| l.get(k)).and_then(|q| quantity::parse(&q.0)).unwrap_or(0.0);
        Self { cpu: get("cpu"), memory: get("memory") }
    }

    fn add(self, o: Self) -> Self {
        Self { cpu: self.cpu + o.cpu, memory: self.memory + o.memory }
    }

    fn sub(self, o: Self) -> Self {
        Self { cpu: (self.cpu - o.cpu).max(0.0), memory: (self.memory - o.memory).max(0.0) }
    }

    fn list(self) -> BTreeMap<String, Quantity> {
        [
            ("cpu".to_string(), Quantity(quantity::cpu(self.cpu))),
            ("memory".to_string(), Quantity(quantity::memory(self.memory))),
        ]
        .into()
    }
}

/// What a Pod asks of its node: the sum of its containers' requests. Pods
/// without a node, and finished Pods, ask nothing.
fn requests(pod: &Pod) -> Resources {
    let spec = match &pod.spec {
        Some(s) if s.node_name.as_deref().is_some_and(|n| !n.is_empty()) => s,
        _ => return Resources::default(),
    };
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return Resources::default();
    }
    spec.containers
        .iter()
        .map(|c| Resources::of(c.resources.as_ref().and_then(|r| r.requests.as_ref())))
        .fold(Resources::default(), Resources::add)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Collected {
    pub properties: BTreeMap<String, PropertyValue>,
    pub resource_usage: ResourceUsage,
}

pub fn collect(nodes: &[Node], pods: &[Pod], now: Time) -> Collected {
    let capacity = nodes
        .iter()
        .map(|n| Resources::of(n.status.as_ref().and_then(|s| s.capacity.as_ref())))
        .fold(Resources::default(), Resources::add);
    let allocatable = nodes
        .iter()
        .map(|n| Resources::of(n.status.as_ref().and_then(|s| s.allocatable.as_ref())))
        .fold(Resources::default(), Resources::add);
    let requested = pods.iter().map(requests).fold(Resources::default(), Resources::add);
    let available = allocatable.sub(requested);
    let value = |v: String| PropertyValue { value: v, observation_time: now.clone() };
    let properties = [
        (p::NODE_COUNT, nodes.len().to_string()),
        (p::TOTAL_CPU, quantity::cpu(capacity.cpu)),
        (p::TOTAL_MEMORY, quantity::memory(capacity.memory)),
        (p::ALLOCATABLE_CPU, quantity::cpu(allocatable.cpu)),
        (p::ALLOCATABLE_MEMORY, quantity::memory(allocatable.memory)),
        (p::AVAILABLE_CPU, quantity::cpu(available.cpu)),
        (p::AVAILABLE_MEMORY, quantity::memory(available.memory)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), value(v)))
    .collect();
    Collected {
        properties,
        resource_usage: ResourceUsage {
            capacity: capacity.list(),
            allocatable: allocatable.list(),
            available: available.list(),
            observation_time: Some(now),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::{
        api::core::v1::{Container, NodeStatus, PodSpec, PodStatus, ResourceRequirements},
        jiff::Timestamp,
    };

    fn node(cpu: &str, mem: &str, alloc_cpu: &str, alloc_mem: &str) -> Node {
        let l =
            |c: &str, m: &str| Some([("cpu".into(), Quantity(c.into())), ("memory".into(), Quantity(m.into()))].into());
        Node {
            status: Some(NodeStatus {
                capacity: l(cpu, mem),
                allocatable: l(alloc_cpu, alloc_mem),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn pod(node: Option<&str>, phase: &str, requests: &[(&str, &str)]) -> Pod {
        let containers = requests
            .iter()
            .map(|(c, m)| Container {
                resources: Some(ResourceRequirements {
                    requests: Some(
                        [("cpu".into(), Quantity(c.to_string())), ("memory".into(), Quantity(m.to_string()))].into(),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        Pod {
            spec: Some(PodSpec { node_name: node.map(String::from), containers, ..Default::default() }),
            status: Some(PodStatus { phase: Some(phase.into()), ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn sums_nodes_and_subtracts_the_requests_of_pods_holding_a_node() {
        let nodes = [node("2", "8Gi", "1900m", "7Gi"), node("2", "8Gi", "1900m", "7Gi")];
        let pods = [
            pod(Some("n1"), "Running", &[("100m", "128Mi"), ("50m", "64Mi")]),
            pod(Some("n2"), "Pending", &[("200m", "256Mi")]),
            pod(None, "Pending", &[("4", "64Gi")]), // not scheduled: holds nothing
            pod(Some("n1"), "Succeeded", &[("1", "1Gi")]), // finished: holds nothing
        ];
        let c = collect(&nodes, &pods, Time(Timestamp::now()));
        let v = |k: &str| c.properties[k].value.clone();
        assert_eq!(v(p::NODE_COUNT), "2");
        assert_eq!(v(p::TOTAL_CPU), "4000m");
        assert_eq!(v(p::TOTAL_MEMORY), "16777216Ki");
        assert_eq!(v(p::ALLOCATABLE_CPU), "3800m");
        assert_eq!(v(p::AVAILABLE_CPU), "3450m");
        assert_eq!(v(p::AVAILABLE_MEMORY), format!("{}Ki", 14 * 1024 * 1024 - 448 * 1024));
        assert_eq!(c.resource_usage.available["cpu"].0, "3450m");
        assert_eq!(c.resource_usage.capacity["memory"].0, "16777216Ki");
    }

    #[test]
    fn an_empty_cluster_and_overcommitment_stay_at_zero() {
        let c = collect(&[], &[], Time(Timestamp::now()));
        assert_eq!(c.properties[p::NODE_COUNT].value, "0");
        assert_eq!(c.properties[p::AVAILABLE_CPU].value, "0m");
        let over = collect(
            &[node("1", "1Gi", "1", "1Gi")],
            &[pod(Some("n"), "Running", &[("2", "2Gi")])],
            Time(Timestamp::now()),
        );
        assert_eq!(over.properties[p::AVAILABLE_CPU].value, "0m");
        assert_eq!(over.properties[p::AVAILABLE_MEMORY].value, "0Ki");
    }
}
