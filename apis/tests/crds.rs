//! The committed CRDs in `config/crd/bases/` are exactly what the Rust types
//! generate, and every kind the fleet needs has one.

use std::{collections::BTreeMap, path::Path};

use apis::crd;

fn bases() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/crd/bases")
}

#[test]
fn committed_crds_match_the_types() {
    let want: BTreeMap<String, String> = crd::all().iter().map(|c| (crd::file_name(c), crd::to_yaml(c))).collect();
    let drift = crd::diff_dir(&bases(), &want);
    assert!(
        drift.is_empty(),
        "config/crd/bases differs from the Rust types (run `make crds`):\n{}",
        drift.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn drift_is_detected() {
    let dir = std::env::temp_dir().join(format!("flotilla-crd-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut want = BTreeMap::new();
    want.insert("a.yaml".to_string(), "a".to_string());
    want.insert("b.yaml".to_string(), "b".to_string());
    std::fs::write(dir.join("a.yaml"), "changed").unwrap();
    std::fs::write(dir.join("stale.yaml"), "x").unwrap();
    let drift = crd::diff_dir(&dir, &want);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        drift,
        vec![
            crd::Drift::Changed("a.yaml".into()),
            crd::Drift::Missing("b.yaml".into()),
            crd::Drift::Extra("stale.yaml".into())
        ]
    );
}

#[test]
fn every_kind_has_a_crd_stored_as_its_upstream_stores_it() {
    let kinds: Vec<(String, String)> =
        crd::all().iter().map(|c| (c.spec.group.clone(), c.spec.names.kind.clone())).collect();
    let expected = [
        ("cluster.kubernetes-fleet.io", &["MemberCluster", "InternalMemberCluster"][..]),
        (
            "placement.kubernetes-fleet.io",
            &[
                "ClusterResourcePlacement",
                "ResourcePlacement",
                "ClusterResourceSnapshot",
                "ResourceSnapshot",
                "ClusterSchedulingPolicySnapshot",
                "SchedulingPolicySnapshot",
                "ClusterResourceBinding",
                "ResourceBinding",
                "Work",
                "AppliedWork",
                "ClusterResourceOverride",
                "ClusterResourceOverrideSnapshot",
                "ResourceOverride",
                "ResourceOverrideSnapshot",
                "ClusterResourceEnvelope",
                "ResourceEnvelope",
                "ClusterResourcePlacementEviction",
                "ClusterResourcePlacementDisruptionBudget",
                "ClusterResourceAdoption",
                "ResourceExport",
                "ClusterResourcePlacementMigration",
                "ResourcePlacementMigration",
            ][..],
        ),
        ("kosmos.io", &["PromotePolicy"][..]),
        (
            "networking.fleet.azure.com",
            &[
                "ServiceExport",
                "InternalServiceExport",
                "ServiceImport",
                "InternalServiceImport",
                "MultiClusterService",
                "TrafficManagerProfile",
                "TrafficManagerBackend",
            ][..],
        ),
    ];
    for (group, names) in expected {
        for kind in names {
            assert!(kinds.contains(&(group.to_string(), kind.to_string())), "no CRD for {group}/{kind}");
        }
    }
    // KubeFleet's kinds are stored as v1beta1; Flotilla's own, Kosmos's and Kurator's are alpha only.
    let alpha = [
        "Migrate",
        "ClusterResourceAdoption",
        "ResourceExport",
        "ClusterResourcePlacementMigration",
        "ResourcePlacementMigration",
        "PromotePolicy",
    ];
    for c in crd::all() {
        let storage: Vec<_> = c.spec.versions.iter().filter(|v| v.storage).map(|v| v.name.as_str()).collect();
        let want = if alpha.contains(&c.spec.names.kind.as_str()) { "v1alpha1" } else { "v1beta1" };
        assert_eq!(storage, [want], "{}", c.spec.names.kind);
        assert!(c.spec.versions.iter().all(|v| v.served), "{}", c.spec.names.kind);
    }
}

#[test]
fn the_seed_tutorial_versions_are_served() {
    let served = |kind: &str, version: &str| {
        crd::all()
            .iter()
            .any(|c| c.spec.names.kind == kind && c.spec.versions.iter().any(|v| v.name == version && v.served))
    };
    assert!(served("ClusterResourcePlacement", "v1"));
    assert!(served("ResourceOverride", "v1alpha1"));
    assert!(served("ServiceExport", "v1alpha1"));
    assert!(served("TrafficManagerProfile", "v1alpha1"));
    assert!(served("TrafficManagerBackend", "v1alpha1"));
    assert!(served("MemberCluster", "v1"));
}
