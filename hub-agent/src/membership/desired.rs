//! What the hub creates for a MemberCluster: the reserved namespace, the Role
//! and RoleBinding that let the member agent use it, and the
//! InternalMemberCluster that tells the agent to join or leave. Pure.

use std::collections::BTreeMap;

use apis::{
    cluster::{
        ClusterState, InternalMemberCluster, InternalMemberClusterSpec, MemberCluster, member_namespace,
        member_role_binding_name, member_role_name,
    },
    labels,
};
use k8s_openapi::{
    api::{
        core::v1::Namespace,
        rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef},
    },
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference},
};
use kube::{Resource, ResourceExt};

fn labels(member: &str) -> BTreeMap<String, String> {
    [(labels::MEMBER_NAME.to_string(), member.to_string())].into()
}

/// Children point at their MemberCluster, so its events (and Kubernetes GC,
/// should the hub agent be gone) follow them.
fn owner(mc: &MemberCluster) -> Vec<OwnerReference> {
    mc.controller_owner_ref(&()).into_iter().collect()
}

fn meta(mc: &MemberCluster, name: String, namespace: Option<String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace,
        labels: Some(labels(&mc.name_any())),
        owner_references: Some(owner(mc)),
        ..Default::default()
    }
}

pub fn namespace(mc: &MemberCluster) -> Namespace {
    let mut m = meta(mc, member_namespace(&mc.name_any()), None);
    m.labels.get_or_insert_default().insert(labels::IS_FLEET_RESOURCE.to_string(), "true".to_string());
    Namespace { metadata: m, ..Default::default() }
}

/// Only what the member agent needs, in its own namespace: read its
/// InternalMemberCluster and write its status; read its Works and write their
/// finalizers and status; upload its Service exports; answer resource
/// exports in their status; record events.
pub fn role_rules() -> Vec<PolicyRule> {
    let rule = |group: &str, resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    };
    vec![
        rule(apis::cluster::GROUP, &["internalmemberclusters"], &["get", "list", "watch"]),
        rule(apis::cluster::GROUP, &["internalmemberclusters/status"], &["get", "update", "patch"]),
        rule(apis::placement::GROUP, &["works"], &["get", "list", "watch", "update", "patch"]),
        rule(apis::placement::GROUP, &["works/status"], &["get", "update", "patch"]),
        // Service exports: the member uploads them; the hub reports conflicts in their status.
        rule(
            apis::networking::GROUP,
            &["internalserviceexports"],
            &["get", "list", "watch", "create", "update", "patch", "delete"],
        ),
        // Resource exports: the hub asks, the member answers in the status.
        rule(apis::placement::GROUP, &["resourceexports"], &["get", "list", "watch"]),
        rule(apis::placement::GROUP, &["resourceexports/status"], &["get", "update", "patch"]),
        rule("", &["events"], &["create", "patch"]),
        rule("events.k8s.io", &["events"], &["create", "patch"]),
    ]
}

pub fn role(mc: &MemberCluster) -> Role {
    let name = mc.name_any();
    Role { metadata: meta(mc, member_role_name(&name), Some(member_namespace(&name))), rules: Some(role_rules()) }
}

pub fn role_binding(mc: &MemberCluster) -> RoleBinding {
    let name = mc.name_any();
    RoleBinding {
        metadata: meta(mc, member_role_binding_name(&name), Some(member_namespace(&name))),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".to_string()),
            kind: "Role".to_string(),
            name: member_role_name(&name),
        },
        subjects: Some(vec![mc.spec.identity.clone()]),
    }
}

pub fn internal_member_cluster(mc: &MemberCluster, state: ClusterState) -> InternalMemberCluster {
    let name = mc.name_any();
    let mut imc = InternalMemberCluster::new(
        &name,
        InternalMemberClusterSpec { state, heartbeat_period_seconds: mc.spec.heartbeat_period_seconds },
    );
    imc.metadata = meta(mc, name.clone(), Some(member_namespace(&name)));
    imc
}

/// The MemberCluster's own label, so overrides and affinities can select a cluster by name.
pub fn has_member_name_label(mc: &MemberCluster) -> bool {
    mc.labels().get(labels::MEMBER_NAME) == Some(&mc.name_any())
}

/// Whether a stored child still carries what the hub manages; `None` (absent) never does.
pub fn role_matches(have: Option<&Role>, want: &Role) -> bool {
    have.is_some_and(|h| h.rules == want.rules && h.metadata.deletion_timestamp.is_none())
}

pub fn role_binding_matches(have: Option<&RoleBinding>, want: &RoleBinding) -> bool {
    have.is_some_and(|h| {
        h.subjects == want.subjects && h.role_ref == want.role_ref && h.metadata.deletion_timestamp.is_none()
    })
}

pub fn namespace_matches(have: Option<&Namespace>, want: &Namespace) -> bool {
    have.is_some_and(|h| {
        let hl = h.labels();
        want.labels().iter().all(|(k, v)| hl.get(k) == Some(v))
    })
}

pub fn imc_matches(have: Option<&InternalMemberCluster>, want: &InternalMemberCluster) -> bool {
    have.is_some_and(|h| h.spec == want.spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use apis::cluster::MemberClusterSpec;

    fn mc(name: &str) -> MemberCluster {
        let mut mc = MemberCluster::new(name, MemberClusterSpec::for_user(name, 15));
        mc.metadata.uid = Some("uid-1".into());
        mc
    }

    #[test]
    fn children_live_in_the_reserved_namespace_and_point_at_their_member_cluster() {
        let m = mc("member-1");
        let ns = namespace(&m);
        assert_eq!(ns.name_any(), "fleet-member-member-1");
        assert_eq!(ns.labels().get(labels::IS_FLEET_RESOURCE).map(String::as_str), Some("true"));
        let role = role(&m);
        let rb = role_binding(&m);
        let imc = internal_member_cluster(&m, ClusterState::Join);
        assert_eq!(
            (role.name_any().as_str(), role.namespace().as_deref()),
            ("fleet-role-member-1", Some("fleet-member-member-1"))
        );
        assert_eq!(rb.name_any(), "fleet-rolebinding-member-1");
        assert_eq!(rb.role_ref.name, "fleet-role-member-1");
        assert_eq!(rb.subjects.as_ref().unwrap()[0].name, "member-1");
        assert_eq!(imc.spec.heartbeat_period_seconds, 15);
        assert_eq!(imc.namespace().as_deref(), Some("fleet-member-member-1"));
        for owners in [&ns.metadata.owner_references, &role.metadata.owner_references, &imc.metadata.owner_references] {
            let o = &owners.as_ref().unwrap()[0];
            assert_eq!(
                (o.kind.as_str(), o.name.as_str(), o.uid.as_str(), o.controller),
                ("MemberCluster", "member-1", "uid-1", Some(true))
            );
        }
    }

    #[test]
    fn the_role_grants_no_write_on_specs_and_nothing_outside_fleet_kinds_and_events() {
        for r in role_rules() {
            let resources = r.resources.unwrap();
            assert!(!r.verbs.iter().any(|v| v == "*" || v == "deletecollection"), "{resources:?}");
            // The member deletes only what it writes: its own Service exports.
            if r.verbs.iter().any(|v| v == "delete") {
                assert_eq!(resources, ["internalserviceexports"]);
            }
            if resources == ["internalmemberclusters"] {
                assert!(
                    r.verbs.iter().all(|v| ["get", "list", "watch"].contains(&v.as_str())),
                    "the spec is the hub's"
                );
            }
            assert!(!resources.iter().any(|r| r == "*" || r == "secrets"));
        }
    }

    #[test]
    fn a_changed_child_no_longer_matches() {
        let m = mc("member-1");
        let want = role(&m);
        assert!(role_matches(Some(&want), &want));
        assert!(!role_matches(None, &want));
        let mut widened = want.clone();
        widened.rules.as_mut().unwrap().push(PolicyRule { verbs: vec!["*".into()], ..Default::default() });
        assert!(!role_matches(Some(&widened), &want));
        let leave = internal_member_cluster(&m, ClusterState::Leave);
        assert!(!imc_matches(Some(&leave), &internal_member_cluster(&m, ClusterState::Join)));
        let mut ns = namespace(&m);
        assert!(namespace_matches(Some(&ns), &namespace(&m)));
        ns.metadata.labels = None;
        assert!(!namespace_matches(Some(&ns), &namespace(&m)));
    }
}
