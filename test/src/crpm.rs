//! What the migration (ClusterResourcePlacementMigration) tests and the demo
//! share: an application placed from the hub (a Deployment, a LoadBalancer
//! Service with its DNS label, its ServiceExport) with a profile and a
//! backend in front, and waiting on a migration's phase.

use std::{net::SocketAddr, time::Duration};

use apis::{
    conditions::{self, networking as n},
    networking::{TrafficManagerBackend, TrafficManagerProfile},
    placement::{ClusterResourcePlacementMigration, MigrationPhase},
};
use kube::{Api, Client};

use crate::{apply::Applier, probe, wait};

pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The application `web` in namespace `ns`, serving on `port`, placed by the
/// ClusterResourcePlacement `ns` with `policy` (YAML of `spec.policy`).
pub fn app(ns: &str, port: u16, policy: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.27"}}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {ns}
  annotations: {{service.beta.kubernetes.io/azure-dns-label-name: {ns}-web}}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{port: {port}}}]
---
apiVersion: networking.fleet.azure.com/v1alpha1
kind: ServiceExport
metadata: {{name: web, namespace: {ns}}}
---
apiVersion: placement.kubernetes-fleet.io/v1beta1
kind: ClusterResourcePlacement
metadata: {{name: {ns}}}
spec:
  resourceSelectors: [{{group: "", version: v1, kind: Namespace, name: {ns}}}]
  policy:
{policy}
"#,
        policy = policy.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"),
    )
}

/// The profile `web` (health checks on `/healthz`) and backend `web` (weight 100) in `ns`.
pub fn traffic(ns: &str, port: u16) -> String {
    format!(
        r#"
apiVersion: networking.fleet.azure.com/v1beta1
kind: TrafficManagerProfile
metadata: {{name: web, namespace: {ns}}}
spec:
  monitorConfig: {{port: {port}, path: /healthz, intervalInSeconds: 10, timeoutInSeconds: 5, toleratedNumberOfFailures: 0}}
---
apiVersion: networking.fleet.azure.com/v1beta1
kind: TrafficManagerBackend
metadata: {{name: web, namespace: {ns}}}
spec:
  profile: {{name: web}}
  backend: {{name: web}}
  weight: 100
"#
    )
}

/// A ResourceOverride `bad-image` giving `web` on `member` an image no one can pull.
pub fn bad_image(ns: &str, member: &str) -> String {
    format!(
        r#"
apiVersion: placement.kubernetes-fleet.io/v1alpha1
kind: ResourceOverride
metadata: {{name: bad-image, namespace: {ns}}}
spec:
  placement: {{name: {ns}}}
  resourceSelectors: [{{group: apps, version: v1, kind: Deployment, name: web}}]
  policy:
    overrideRules:
    - clusterSelector: {{clusterSelectorTerms: [{{labelSelector: {{matchLabels: {{kubernetes-fleet.io/member-name: {member}}}}}}}]}}
      jsonPatchOverrides: [{{op: replace, path: /spec/template/spec/containers/0/image, value: "{image}"}}]
"#,
        image = crate::kwok::BAD_IMAGE
    )
}

pub async fn apply(hub: &Client, yaml: &str) -> anyhow::Result<()> {
    Applier::new(hub.clone()).apply_yaml(yaml).await.map(|_| ())
}

/// The profile's proxy address once it serves traffic from `members` only (in 20 requests).
pub async fn proxy(hub: &Client, ns: &str, members: &[&str]) -> anyhow::Result<SocketAddr> {
    let profiles = Api::<TrafficManagerProfile>::namespaced(hub.clone(), ns);
    let addr: SocketAddr = wait::until("the profile programmed", TIMEOUT, || async {
        let st = profiles.get("web").await?.status.unwrap_or_default();
        let programmed = conditions::is_true(&st.conditions, n::TRAFFIC_MANAGER_PROFILE_PROGRAMMED);
        Ok(st.proxy_address.filter(|_| programmed).and_then(|a| a.parse().ok()))
    })
    .await?;
    wait_split(addr, members, "traffic on the source").await?;
    Ok(addr)
}

/// Waits until 20 requests through `addr` are all answered by `members`, each of them answering.
pub async fn wait_split(addr: SocketAddr, members: &[&str], what: &str) -> anyhow::Result<()> {
    wait::until(what, TIMEOUT, || async {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            match probe::get(addr, "/").await {
                Ok((200, body)) => seen.insert(body),
                _ => return Ok(None),
            };
        }
        Ok((seen.iter().map(String::as_str).collect::<Vec<_>>() == members).then_some(()))
    })
    .await
}

/// The migration once `check` holds.
pub async fn wait_migration(
    hub: &Client,
    name: &str,
    what: &str,
    check: impl Fn(&ClusterResourcePlacementMigration) -> bool,
) -> anyhow::Result<ClusterResourcePlacementMigration> {
    let api = Api::<ClusterResourcePlacementMigration>::all(hub.clone());
    wait::until(what, TIMEOUT, || async {
        let m = api.get(name).await?;
        if check(&m) {
            return Ok(Some(m));
        }
        // Not yet: the reason the timeout reports is where the migration stands.
        let st = m.status.unwrap_or_default();
        let conds: Vec<String> =
            st.conditions.iter().map(|c| format!("{}={} {}: {}", c.type_, c.status, c.reason, c.message)).collect();
        anyhow::bail!(
            "phase {:?}, step {:?} at {:?} %: {}",
            st.phase,
            st.current_step,
            st.target_weight,
            conds.join("; ")
        )
    })
    .await
}

pub fn phase(m: &ClusterResourcePlacementMigration) -> Option<MigrationPhase> {
    m.status.as_ref().and_then(|s| s.phase)
}

/// The migration once it reaches `want`.
pub async fn wait_phase(
    hub: &Client,
    name: &str,
    want: MigrationPhase,
) -> anyhow::Result<ClusterResourcePlacementMigration> {
    wait_migration(hub, name, &format!("migration {name} {want:?}"), |m| phase(m) == Some(want)).await
}

/// A condition's (status, reason, message) on the migration.
pub fn condition(m: &ClusterResourcePlacementMigration, type_: &str) -> (String, String, String) {
    m.status
        .as_ref()
        .and_then(|s| conditions::find(&s.conditions, type_))
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
        .unwrap_or_default()
}

/// The backend's endpoints' clusters.
pub async fn endpoints(hub: &Client, ns: &str) -> anyhow::Result<Vec<String>> {
    let b = Api::<TrafficManagerBackend>::namespaced(hub.clone(), ns).get("web").await?;
    let mut v: Vec<String> =
        b.status.iter().flat_map(|s| &s.endpoints).filter_map(|e| e.from.as_ref().map(|f| f.cluster.clone())).collect();
    v.sort();
    Ok(v)
}

/// A manifest of seed 002's tutorial as written (`test/tests/migration/`).
pub fn seed_002_manifest(name: &str) -> String {
    std::fs::read_to_string(crate::assets::repo_root().join("test/tests/migration").join(name)).unwrap()
}

/// Seed 002's placement for a migration object: crp-availability on member-1
/// (PickFixed: both members have joined), and one DNS-label override for every
/// cluster instead of one per cluster. The override first: without a `placement` it applies from the next rollout on.
pub const SEED_002_PLACEMENT: &str = r#"
apiVersion: placement.kubernetes-fleet.io/v1alpha1
kind: ResourceOverride
metadata:
  name: ro-nginx-service
  namespace: test-app
spec:
  resourceSelectors:
    - {group: "", kind: Service, version: v1, name: nginx-service}
  policy:
    overrideRules:
      - clusterSelector: {clusterSelectorTerms: []}  # every cluster (no selector: none)
        jsonPatchOverrides:
          - op: add
            path: /metadata/annotations
            value: {"service.beta.kubernetes.io/azure-dns-label-name": "fleet-test-${MEMBER-CLUSTER-NAME}"}
---
apiVersion: placement.kubernetes-fleet.io/v1
kind: ClusterResourcePlacement
metadata:
  name: crp-availability
spec:
  resourceSelectors:
    - group: ""
      kind: Namespace
      name: test-app
      version: v1
  policy:
    placementType: PickFixed
    clusterNames: [member-1]
"#;

/// The ClusterResourcePlacementMigration `test-app-to-member-2` moving it to
/// member-2 through nginx-backend: `steps` as (weight, pauseSeconds), a drain of
/// `drain_seconds`, gates PlacementAvailable and ErrorRatio (1 %), and member-1
/// leaving the fleet at the end.
pub fn seed_002_migration(steps: &[(i32, i32)], drain_seconds: i32) -> String {
    let steps: Vec<String> = steps.iter().map(|(w, p)| format!("      - {{weight: {w}, pauseSeconds: {p}}}")).collect();
    format!(
        r#"
apiVersion: placement.kubernetes-fleet.io/v1alpha1
kind: ClusterResourcePlacementMigration
metadata:
  name: test-app-to-member-2
spec:
  placementName: crp-availability
  from: {{clusterNames: [member-1]}}
  to: {{clusterNames: [member-2]}}
  traffic:
    backendRef: {{kind: TrafficManagerBackend, name: nginx-backend, namespace: test-app}}
    steps:
{}
    drain: {{minSeconds: {drain_seconds}}}
  healthGates:
    - type: PlacementAvailable
    - type: ErrorRatio
      errorRatio: {{max: "0.01"}}
  sourceCleanup: {{policy: LeaveFleet}}
"#,
        steps.join("\n")
    )
}

/// Seed 002's application on member-1 behind nginx-profile (its Service,
/// ServiceExport, enveloped Deployment, profile and backend as written);
/// returns the profile's proxy address once traffic flows to member-1.
pub async fn seed_002_app(hub: &Client) -> anyhow::Result<SocketAddr> {
    apply(hub, "apiVersion: v1\nkind: Namespace\nmetadata: {name: test-app}").await?;
    for yaml in
        [seed_002_manifest("nginx-service.yaml"), seed_002_manifest("envelop-object.yaml"), SEED_002_PLACEMENT.into()]
    {
        apply(hub, &yaml).await?;
    }
    for f in ["nginx-profile.yaml", "nginx-backend.yaml"] {
        apply(hub, &seed_002_manifest(f)).await?;
    }
    let profile = Api::<TrafficManagerProfile>::namespaced(hub.clone(), "test-app");
    let addr: SocketAddr = wait::until("nginx-profile serving", TIMEOUT, || async {
        Ok(profile.get("nginx-profile").await?.status.and_then(|s| s.proxy_address).and_then(|a| a.parse().ok()))
    })
    .await?;
    wait_split(addr, &["member-1"], "traffic on member-1").await?;
    Ok(addr)
}
