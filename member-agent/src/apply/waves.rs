//! The order a Work's objects are applied in, in waves, so what others depend
//! on exists first: namespaces and priority classes; then configuration,
//! storage and CRDs; roles; their bindings; workloads and Services; webhooks
//! and API services; and everything else last (KubeFleet's waves). Only
//! built-in groups get an early wave: a custom kind with a familiar name
//! (`example.com` "services") goes last. Pure.

/// The wave of an unknown kind.
pub const LAST: u16 = 999;

const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "networking.k8s.io",
    "scheduling.k8s.io",
    "policy",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "rbac.authorization.k8s.io",
    "apps",
    "autoscaling",
    "apiregistration.k8s.io",
    "admissionregistration.k8s.io",
    "batch",
];

const WAVES: &[(&str, u16)] = &[
    ("namespaces", 0),
    ("priorityclasses", 0),
    ("networkpolicies", 1),
    ("resourcequotas", 1),
    ("limitranges", 1),
    ("podsecuritypolicies", 1),
    ("poddisruptionbudgets", 1),
    ("serviceaccounts", 1),
    ("secrets", 1),
    ("configmaps", 1),
    ("storageclasses", 1),
    ("persistentvolumes", 1),
    ("persistentvolumeclaims", 1),
    ("customresourcedefinitions", 1),
    ("ingressclasses", 1),
    ("clusterroles", 2),
    ("roles", 2),
    ("clusterrolebindings", 3),
    ("rolebindings", 3),
    ("services", 4),
    ("daemonsets", 4),
    ("pods", 4),
    ("replicationcontrollers", 4),
    ("replicasets", 4),
    ("deployments", 4),
    ("horizontalpodautoscalers", 4),
    ("statefulsets", 4),
    ("jobs", 4),
    ("cronjobs", 4),
    ("ingresses", 4),
    ("apiservices", 5),
    ("validatingwebhookconfigurations", 5),
    ("mutatingwebhookconfigurations", 5),
];

/// The wave of a resource (`group`, plural `resource`).
pub fn wave(group: &str, resource: &str) -> u16 {
    if !BUILT_IN_GROUPS.contains(&group) {
        return LAST;
    }
    WAVES.iter().find(|(r, _)| *r == resource).map(|(_, w)| *w).unwrap_or(LAST)
}

/// Groups items (each with its group and resource) into waves, in order;
/// within a wave the items keep their order.
pub fn organize<T>(items: Vec<T>, resource_of: impl Fn(&T) -> (&str, &str)) -> Vec<(u16, Vec<T>)> {
    let mut waves: Vec<(u16, Vec<T>)> = Vec::new();
    for item in items {
        let (g, r) = resource_of(&item);
        let w = wave(g, r);
        match waves.iter_mut().find(|(n, _)| *n == w) {
            Some((_, v)) => v.push(item),
            None => waves.push((w, vec![item])),
        }
    }
    waves.sort_by_key(|(n, _)| *n);
    waves
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_and_unknown_kinds_last() {
        let items = vec![
            ("apps", "deployments"),
            ("example.com", "widgets"),
            ("rbac.authorization.k8s.io", "rolebindings"),
            ("", "namespaces"),
            ("apiextensions.k8s.io", "customresourcedefinitions"),
            ("", "configmaps"),
            ("rbac.authorization.k8s.io", "roles"),
            ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
        ];
        let waves = organize(items, |(g, r)| (g, r));
        let order: Vec<u16> = waves.iter().map(|(n, _)| *n).collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5, LAST]);
        assert_eq!(waves[1].1, [("apiextensions.k8s.io", "customresourcedefinitions"), ("", "configmaps")]);
    }

    #[test]
    fn a_custom_kind_with_a_built_in_name_is_not_early() {
        assert_eq!(wave("example.com", "services"), LAST);
        assert_eq!(wave("", "services"), 4);
    }
}
