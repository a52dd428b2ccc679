//! Filter: a cluster with a NoSchedule taint that the placement does not
//! tolerate receives no new placements (existing ones stay). PickFixed does
//! not call this: naming a cluster overrides its taints. Pure.

use apis::{
    cluster::{MemberCluster, Taint},
    placement::{Toleration, TolerationOperator},
};

/// Whether `toleration` tolerates `taint`, as Kubernetes pod tolerations do:
/// an empty key with Exists tolerates everything; otherwise the keys match and
/// either the operator is Exists or the values are equal; an empty effect
/// matches every effect.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if let Some(effect) = toleration.effect
        && effect != taint.effect
    {
        return false;
    }
    match toleration.operator {
        TolerationOperator::Exists => toleration.key.is_empty() || toleration.key == taint.key,
        TolerationOperator::Equal => {
            toleration.key == taint.key && toleration.value == taint.value.clone().unwrap_or_default()
        }
    }
}

/// `Err(reason)` naming the first taint of `cluster` that no toleration
/// tolerates; a migration taint counts only for the placement it names
/// (`placement` is this one's taint value).
pub fn filter(cluster: &MemberCluster, tolerations: &[Toleration], placement: &str) -> Result<(), String> {
    for taint in cluster.spec.taints.iter().filter(|t| crate::migration::taint::concerns(t, placement)) {
        if !tolerations.iter().any(|t| tolerates(t, taint)) {
            let value = taint.value.as_deref().map(|v| format!("={v}")).unwrap_or_default();
            return Err(format!(
                "cluster has a taint the placement does not tolerate: {}{value}:{:?}",
                taint.key, taint.effect
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::cluster::{MemberClusterSpec, TaintEffect};

    fn taint(key: &str, value: Option<&str>) -> Taint {
        Taint { key: key.into(), value: value.map(String::from), effect: TaintEffect::NoSchedule }
    }

    fn tol(key: &str, op: TolerationOperator, value: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration { key: key.into(), operator: op, value: value.into(), effect }
    }

    fn cluster(taints: Vec<Taint>) -> MemberCluster {
        let mut spec = MemberClusterSpec::for_user("m", 60);
        spec.taints = taints;
        MemberCluster::new("m", spec)
    }

    #[test]
    fn equal_needs_key_and_value_exists_needs_the_key_and_an_empty_key_tolerates_all() {
        let t = taint("dedicated", Some("gpu"));
        assert!(tolerates(&tol("dedicated", TolerationOperator::Equal, "gpu", None), &t));
        assert!(!tolerates(&tol("dedicated", TolerationOperator::Equal, "cpu", None), &t));
        assert!(tolerates(&tol("dedicated", TolerationOperator::Exists, "", None), &t));
        assert!(!tolerates(&tol("other", TolerationOperator::Exists, "", None), &t));
        assert!(tolerates(&tol("", TolerationOperator::Exists, "", None), &t));
        assert!(tolerates(&tol("dedicated", TolerationOperator::Equal, "gpu", Some(TaintEffect::NoSchedule)), &t));
        assert!(tolerates(&tol("k", TolerationOperator::Equal, "", None), &taint("k", None)), "a valueless taint");
    }

    #[test]
    fn every_taint_must_be_tolerated() {
        let c = cluster(vec![taint("a", None), taint("b", Some("x"))]);
        assert_eq!(filter(&cluster(vec![]), &[], "p"), Ok(()));
        let only_a = [tol("a", TolerationOperator::Exists, "", None)];
        let err = filter(&c, &only_a, "p").unwrap_err();
        assert!(err.contains("b=x"), "{err}");
        let both = [tol("a", TolerationOperator::Exists, "", None), tol("b", TolerationOperator::Equal, "x", None)];
        assert_eq!(filter(&c, &both, "p"), Ok(()));
    }

    #[test]
    fn a_migration_taint_keeps_away_only_the_placement_it_names() {
        let c = cluster(vec![taint(apis::labels::MIGRATION_TAINT, Some("web"))]);
        assert!(filter(&c, &[], "web").unwrap_err().contains("flotilla.dev/migrating-away=web"));
        assert_eq!(filter(&c, &[], "db"), Ok(()), "other placements still land there");
    }
}
