//! Required cluster affinity: a cluster qualifies if any term matches, and a
//! term matches when its label selector and every property requirement hold.
//! Properties compare as quantities; `resources.kubernetes-fleet.io/<capacity>-<resource>`
//! properties come from the cluster's resource usage, as in KubeFleet. A
//! property the cluster does not report never matches. Pure.
//!
//! Preferred affinity (weights, property sorters) is scored with the framework.

use apis::{
    cluster::MemberCluster,
    placement::{ClusterSelector, ClusterSelectorTerm, PropertySelectorOperator},
    quantity,
};

use crate::scheduler::label_selector;

const RESOURCE_PREFIX: &str = "resources.kubernetes-fleet.io/";

/// A property's value on `cluster`, `Ok(None)` if it does not report it.
pub fn property(cluster: &MemberCluster, name: &str) -> Result<Option<f64>, String> {
    let status = cluster.status.clone().unwrap_or_default();
    let raw = if let Some(rest) = name.strip_prefix(RESOURCE_PREFIX) {
        let (capacity, resource) = rest
            .split_once('-')
            .filter(|(c, r)| !c.is_empty() && !r.is_empty())
            .ok_or_else(|| format!("invalid resource property name {name:?}"))?;
        let list = match capacity {
            "total" => &status.resource_usage.capacity,
            "allocatable" => &status.resource_usage.allocatable,
            "available" => &status.resource_usage.available,
            other => return Err(format!("invalid capacity type {other:?} in resource property name {name:?}")),
        };
        list.get(resource).map(|q| q.0.clone())
    } else {
        status.properties.get(name).map(|p| p.value.clone())
    };
    match raw {
        None => Ok(None),
        Some(v) => quantity::parse(&v)
            .map(Some)
            .ok_or_else(|| format!("value {v:?} of property {name:?} on cluster is not a quantity")),
    }
}

/// Whether `cluster` matches one term.
pub fn term_matches(term: &ClusterSelectorTerm, cluster: &MemberCluster) -> Result<bool, String> {
    if let Some(ls) = &term.label_selector
        && !label_selector::matches(ls, cluster.metadata.labels.as_ref().unwrap_or(&Default::default()))?
    {
        return Ok(false);
    }
    for req in term.property_selector.iter().flat_map(|p| &p.match_expressions) {
        let [want] = req.values.as_slice() else {
            return Err(format!("property selector on {:?} needs exactly one value", req.name));
        };
        let want = quantity::parse(want)
            .ok_or_else(|| format!("value {want:?} in the property selector on {:?} is not a quantity", req.name))?;
        let Some(have) = property(cluster, &req.name)? else {
            return Ok(false);
        };
        let holds = match req.operator {
            PropertySelectorOperator::Eq => have == want,
            PropertySelectorOperator::Ne => have != want,
            PropertySelectorOperator::Gt => have > want,
            PropertySelectorOperator::Ge => have >= want,
            PropertySelectorOperator::Lt => have < want,
            PropertySelectorOperator::Le => have <= want,
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Filter: `Err(reason)` unless some required term matches. No requirement
/// (or no terms) admits every cluster.
pub fn filter(required: Option<&ClusterSelector>, cluster: &MemberCluster) -> Result<(), String> {
    let Some(terms) = required.map(|r| &r.cluster_selector_terms).filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    for term in terms {
        if term_matches(term, cluster)? {
            return Ok(());
        }
    }
    Err("cluster does not match with any of the required cluster affinity terms".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::{
        cluster::{MemberClusterSpec, MemberClusterStatus, PropertyValue, ResourceUsage},
        placement::{PropertySelector, PropertySelectorRequirement},
    };
    use k8s_openapi::{
        apimachinery::pkg::{
            api::resource::Quantity,
            apis::meta::v1::{LabelSelector, Time},
        },
        jiff::Timestamp,
    };

    fn cluster(labels: &[(&str, &str)], node_count: &str, available_cpu: &str) -> MemberCluster {
        let mut mc = MemberCluster::new("m", MemberClusterSpec::for_user("m", 60));
        mc.metadata.labels = Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        mc.status = Some(MemberClusterStatus {
            properties: [(
                "kubernetes-fleet.io/node-count".to_string(),
                PropertyValue { value: node_count.into(), observation_time: Time(Timestamp::now()) },
            )]
            .into(),
            resource_usage: ResourceUsage {
                available: [("cpu".to_string(), Quantity(available_cpu.into()))].into(),
                ..Default::default()
            },
            ..Default::default()
        });
        mc
    }

    fn prop(name: &str, op: PropertySelectorOperator, value: &str) -> ClusterSelectorTerm {
        ClusterSelectorTerm {
            property_selector: Some(PropertySelector {
                match_expressions: vec![PropertySelectorRequirement {
                    name: name.into(),
                    operator: op,
                    values: vec![value.into()],
                }],
            }),
            ..Default::default()
        }
    }

    fn labels(kv: &[(&str, &str)]) -> ClusterSelectorTerm {
        ClusterSelectorTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some(kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn property_operators_compare_quantities() {
        use PropertySelectorOperator::*;
        let c = cluster(&[], "3", "1500m");
        let cases = [
            (prop("kubernetes-fleet.io/node-count", Gt, "2"), true),
            (prop("kubernetes-fleet.io/node-count", Gt, "3"), false),
            (prop("kubernetes-fleet.io/node-count", Ge, "3"), true),
            (prop("kubernetes-fleet.io/node-count", Eq, "3"), true),
            (prop("kubernetes-fleet.io/node-count", Ne, "3"), false),
            (prop("kubernetes-fleet.io/node-count", Lt, "4"), true),
            (prop("kubernetes-fleet.io/node-count", Le, "2"), false),
            // From resourceUsage, compared as quantities: 1500m = 1.5 cores.
            (prop("resources.kubernetes-fleet.io/available-cpu", Ge, "1.5"), true),
            (prop("resources.kubernetes-fleet.io/available-cpu", Gt, "2"), false),
        ];
        for (term, want) in cases {
            assert_eq!(term_matches(&term, &c), Ok(want), "{term:?}");
        }
    }

    #[test]
    fn a_missing_property_never_matches_and_bad_values_are_errors() {
        use PropertySelectorOperator::*;
        let c = cluster(&[], "3", "1");
        assert_eq!(term_matches(&prop("example.com/cost", Lt, "10"), &c), Ok(false));
        assert_eq!(term_matches(&prop("resources.kubernetes-fleet.io/available-memory", Gt, "1"), &c), Ok(false));
        assert!(
            term_matches(&prop("kubernetes-fleet.io/node-count", Gt, "many"), &c)
                .unwrap_err()
                .contains("not a quantity")
        );
        assert!(
            term_matches(&prop("resources.kubernetes-fleet.io/spare-cpu", Gt, "1"), &c)
                .unwrap_err()
                .contains("capacity type")
        );
    }

    #[test]
    fn terms_are_ored_and_a_term_ands_labels_with_properties() {
        use PropertySelectorOperator::*;
        let c = cluster(&[("env", "prod")], "2", "1");
        let mut both = labels(&[("env", "prod")]);
        both.property_selector = prop("kubernetes-fleet.io/node-count", Gt, "5").property_selector;
        let required = |terms: Vec<ClusterSelectorTerm>| ClusterSelector { cluster_selector_terms: terms };
        assert!(filter(Some(&required(vec![both.clone()])), &c).is_err(), "labels hold, properties don't");
        assert_eq!(
            filter(Some(&required(vec![both, labels(&[("env", "prod")])])), &c),
            Ok(()),
            "the second term holds"
        );
        assert!(
            filter(Some(&required(vec![labels(&[("env", "dev")])])), &c)
                .unwrap_err()
                .contains("required cluster affinity")
        );
        assert_eq!(filter(None, &c), Ok(()));
        assert_eq!(filter(Some(&required(vec![])), &c), Ok(()));
    }
}

/// Preferred affinity: per term, its weight if the cluster matches the term's
/// label selector (its property selector is ignored), or with a property
/// sorter the weight scaled linearly by where the cluster's value sits between
/// the fleet's minimum and maximum (all clusters count, as in KubeFleet).
pub struct PreferredScorer<'a> {
    terms: &'a [apis::placement::PreferredClusterSelector],
    /// Per term: (min, max) of its sorter's property over the fleet.
    extremes: Vec<Option<(f64, f64)>>,
}

impl<'a> PreferredScorer<'a> {
    pub fn new(
        terms: &'a [apis::placement::PreferredClusterSelector],
        clusters: &[MemberCluster],
    ) -> Result<Self, String> {
        let mut extremes = Vec::new();
        for t in terms {
            let Some(sorter) = &t.preference.property_sorter else {
                extremes.push(None);
                continue;
            };
            let mut values = Vec::new();
            for c in clusters {
                if let Some(v) = property(c, &sorter.name)? {
                    values.push(v);
                }
            }
            extremes.push(values.iter().copied().reduce(f64::min).zip(values.iter().copied().reduce(f64::max)));
        }
        Ok(Self { terms, extremes })
    }

    pub fn score(&self, cluster: &MemberCluster) -> Result<i32, String> {
        let mut total = 0;
        for (t, extremes) in self.terms.iter().zip(&self.extremes) {
            if t.weight == 0 {
                continue;
            }
            let matched = match &t.preference.label_selector {
                Some(ls) => {
                    label_selector::matches(ls, cluster.metadata.labels.as_ref().unwrap_or(&Default::default()))?
                }
                None => true,
            };
            if !matched {
                continue;
            }
            let Some(sorter) = &t.preference.property_sorter else {
                total += t.weight;
                continue;
            };
            let (Some(v), Some((min, max))) = (property(cluster, &sorter.name)?, extremes) else { continue };
            if max == min {
                continue;
            }
            let ratio = (v - min) / (max - min);
            let scaled = match sorter.sort_order {
                apis::placement::PropertySortOrder::Descending => ratio,
                apis::placement::PropertySortOrder::Ascending => 1.0 - ratio,
            };
            total += (scaled * f64::from(t.weight)).round() as i32;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod preferred_tests {
    use super::*;
    use apis::{
        cluster::{MemberClusterSpec, MemberClusterStatus, PropertyValue},
        placement::{PreferredClusterSelector, PropertySortOrder, PropertySorter},
    };
    use k8s_openapi::{
        apimachinery::pkg::apis::meta::v1::{LabelSelector, Time},
        jiff::Timestamp,
    };

    fn cluster(name: &str, region: &str, cost: Option<&str>) -> MemberCluster {
        let mut mc = MemberCluster::new(name, MemberClusterSpec::for_user(name, 60));
        mc.metadata.labels = Some([("region".to_string(), region.to_string())].into());
        mc.status = Some(MemberClusterStatus {
            properties: cost
                .map(|c| {
                    [("cost".to_string(), PropertyValue { value: c.into(), observation_time: Time(Timestamp::now()) })]
                        .into()
                })
                .unwrap_or_default(),
            ..Default::default()
        });
        mc
    }

    fn by_region(weight: i32, region: &str) -> PreferredClusterSelector {
        PreferredClusterSelector {
            weight,
            preference: ClusterSelectorTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some([("region".to_string(), region.to_string())].into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        }
    }

    fn by_cost(weight: i32, order: PropertySortOrder) -> PreferredClusterSelector {
        PreferredClusterSelector {
            weight,
            preference: ClusterSelectorTerm {
                property_sorter: Some(PropertySorter { name: "cost".into(), sort_order: order }),
                ..Default::default()
            },
        }
    }

    #[test]
    fn weights_of_matching_terms_add_up_and_may_be_negative() {
        let fleet = [cluster("a", "east", None), cluster("b", "west", None)];
        let terms = [by_region(30, "east"), by_region(-20, "east"), by_region(50, "west")];
        let s = PreferredScorer::new(&terms, &fleet).unwrap();
        assert_eq!(s.score(&fleet[0]), Ok(10));
        assert_eq!(s.score(&fleet[1]), Ok(50));
    }

    #[test]
    fn a_sorter_scales_linearly_between_the_fleets_extremes() {
        // KubeFleet's example: values 10, 20, 100 across the fleet.
        let fleet = [
            cluster("a", "x", Some("10")),
            cluster("b", "x", Some("20")),
            cluster("c", "x", Some("100")),
            cluster("d", "x", None),
        ];
        let desc = [by_cost(100, PropertySortOrder::Descending)];
        let s = PreferredScorer::new(&desc, &fleet).unwrap();
        let scores: Vec<i32> = fleet.iter().map(|c| s.score(c).unwrap()).collect();
        assert_eq!(scores, [0, 11, 100, 0], "a cluster without the property scores 0");
        let asc = [by_cost(100, PropertySortOrder::Ascending)];
        let s = PreferredScorer::new(&asc, &fleet).unwrap();
        assert_eq!(fleet[..3].iter().map(|c| s.score(c).unwrap()).collect::<Vec<_>>(), [100, 89, 0]);
        let same = [cluster("a", "x", Some("5")), cluster("b", "x", Some("5"))];
        assert_eq!(PreferredScorer::new(&desc, &same).unwrap().score(&same[0]), Ok(0), "no spread, no preference");
    }
}
