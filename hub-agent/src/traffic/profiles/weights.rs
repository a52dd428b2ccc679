//! How a TrafficManagerBackend's weight is split over the clusters that
//! export its Service, as fleet-networking splits it: each cluster gets
//! `ceil(backend weight × its export weight / Σ export weights)`, so every
//! exporting cluster keeps at least 1 (the sum may exceed the backend's
//! weight a little). A backend of weight 0 has no endpoints. Pure.

/// One cluster's export: its name and the weight from its annotation.
#[derive(Clone, Debug, PartialEq)]
pub struct Export<'a> {
    pub cluster: &'a str,
    pub weight: i64,
}

/// (cluster, endpoint weight), in the exports' order.
pub fn split<'a>(backend_weight: i64, exports: &[Export<'a>]) -> Vec<(&'a str, i64)> {
    let total: i64 = exports.iter().map(|e| e.weight.max(0)).sum();
    if backend_weight <= 0 || total == 0 {
        return vec![];
    }
    exports
        .iter()
        .filter(|e| e.weight > 0)
        .map(|e| (e.cluster, (backend_weight * e.weight + total - 1) / total))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(cluster: &str, weight: i64) -> Export<'_> {
        Export { cluster, weight }
    }

    #[test]
    fn the_worked_example_rounds_up() {
        assert_eq!(split(500, &[e("a", 100), e("b", 200)]), [("a", 167), ("b", 334)]);
    }

    #[test]
    fn three_clusters_each_keep_at_least_one() {
        assert_eq!(split(100, &[e("a", 1), e("b", 1), e("c", 1)]), [("a", 34), ("b", 34), ("c", 34)]);
        assert_eq!(split(10, &[e("a", 1000), e("b", 1), e("c", 1)]), [("a", 10), ("b", 1), ("c", 1)]);
    }

    #[test]
    fn weight_zero_means_no_endpoints() {
        assert!(split(0, &[e("a", 1)]).is_empty(), "a backend of weight 0 is off");
        assert_eq!(split(100, &[e("a", 0), e("b", 3)]), [("b", 100)], "an export of weight 0 is not a backend");
        assert!(split(100, &[]).is_empty());
    }
}
