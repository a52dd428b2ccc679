//! The export weights that give the targets `percent` of a backend's traffic:
//! the sources share `100 − percent`, the targets `percent`, each side split
//! evenly, out of 1000 (a ServiceExport's weight range). 0 takes a side out
//! of the backend altogether (fleet-networking drops weight-0 exports). Pure.

/// A ServiceExport's largest weight.
pub const MAX_EXPORT_WEIGHT: i64 = 1000;

/// (cluster, export weight) for every source and target.
pub fn export_weights(percent: i32, sources: &[String], targets: &[String]) -> Vec<(String, i64)> {
    let percent = percent.clamp(0, 100) as i64;
    let side = |share: i64, clusters: &[String]| -> Vec<(String, i64)> {
        if clusters.is_empty() {
            return Vec::new();
        }
        // Each cluster's part of the side's share; rounded up so a side above 0 is never 0.
        let parts = 100 * clusters.len() as i64;
        let each = (MAX_EXPORT_WEIGHT * share + parts - 1) / parts;
        clusters.iter().map(|c| (c.clone(), each)).collect()
    };
    let mut out = side(100 - percent, sources);
    out.extend(side(percent, targets));
    out
}

/// The targets' share of traffic, in percent, that `weights` gives (what the status reports).
pub fn target_percent(weights: &[(String, i64)], targets: &[String]) -> i32 {
    let total: i64 = weights.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return 0;
    }
    let to: i64 = weights.iter().filter(|(c, _)| targets.contains(c)).map(|(_, w)| w).sum();
    ((to * 100) as f64 / total as f64).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_step_splits_the_traffic_between_the_sides() {
        let (s, t) = (v(&["m1"]), v(&["m2"]));
        assert_eq!(export_weights(0, &s, &t), [("m1".into(), 1000), ("m2".into(), 0)]);
        assert_eq!(export_weights(10, &s, &t), [("m1".into(), 900), ("m2".into(), 100)]);
        assert_eq!(export_weights(100, &s, &t), [("m1".into(), 0), ("m2".into(), 1000)]);
        let two = v(&["m2", "m3"]);
        let w = export_weights(50, &s, &two);
        assert_eq!(w, [("m1".into(), 500), ("m2".into(), 250), ("m3".into(), 250)]);
        assert_eq!(target_percent(&w, &two), 50);
        // Three targets at 10 %: each gets its third, rounded up, never 0.
        let three = v(&["a", "b", "c"]);
        let w = export_weights(10, &s, &three);
        assert!(w.iter().skip(1).all(|(_, w)| *w == 34), "{w:?}");
        assert_eq!(target_percent(&w, &three), 10);
        assert_eq!(export_weights(150, &s, &t)[1].1, 1000, "clamped to 100 %");
    }
}
