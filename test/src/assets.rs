//! Finds the control-plane binaries: envtest's convention first
//! (`TEST_ASSET_<NAME>`, then `$KUBEBUILDER_ASSETS/<name>`), then the cache that
//! `hack/install-control-plane.sh` builds into, running the script if needed.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use anyhow::{Context, bail};

pub const ETCD: &str = "etcd";
pub const KUBE_APISERVER: &str = "kube-apiserver";
pub const KUBE_CONTROLLER_MANAGER: &str = "kube-controller-manager";
pub const KUBE_SCHEDULER: &str = "kube-scheduler";
pub const KUBECTL: &str = "kubectl";
pub const KWOK: &str = "kwok";
const ALL: [&str; 6] = [ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER, KUBECTL, KWOK];

/// The repository root (the workspace), for the install script and `config/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test/ lives in the workspace").to_path_buf()
}

fn provided(name: &str) -> Option<PathBuf> {
    provided_by(name, |var| std::env::var_os(var), |p| p.is_file())
}

/// envtest's lookup order: `TEST_ASSET_<NAME>` (e.g. `TEST_ASSET_KUBE_APISERVER`),
/// then `$KUBEBUILDER_ASSETS/<name>`; a path counts only if the file exists.
fn provided_by(
    name: &str,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let var = format!("TEST_ASSET_{}", name.to_uppercase().replace('-', "_"));
    if let Some(p) = env(&var).map(PathBuf::from).filter(|p| exists(p)) {
        return Some(p);
    }
    env("KUBEBUILDER_ASSETS").map(|d| PathBuf::from(d).join(name)).filter(|p| exists(p))
}

static CACHE_BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The install script's output directory, building what is missing (once per process).
fn cache_bin() -> anyhow::Result<&'static Path> {
    let r = CACHE_BIN.get_or_init(|| {
        let script = repo_root().join("hack/install-control-plane.sh");
        let out = Command::new("bash").arg(&script).stderr(std::process::Stdio::inherit()).output();
        match out {
            Ok(o) if o.status.success() => Ok(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
            Ok(o) => Err(format!("{} failed with {}", script.display(), o.status)),
            Err(e) => Err(format!("running {}: {e}", script.display())),
        }
    });
    match r {
        Ok(p) => Ok(p.as_path()),
        Err(e) => bail!("{e}"),
    }
}

/// The path of one binary.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = provided(name) {
        return Ok(p);
    }
    let p = cache_bin()?.join(name);
    if !p.is_file() {
        bail!("{} was not built; run hack/install-control-plane.sh", p.display());
    }
    Ok(p)
}

/// Checks every binary is there, building what is missing; returns their paths by name.
pub fn ensure_all() -> anyhow::Result<Vec<(&'static str, PathBuf)>> {
    ALL.iter().map(|n| binary(n).map(|p| (*n, p)).with_context(|| format!("finding {n}"))).collect()
}

/// A binary of this workspace (`hub-agent`, `member-agent`), from the target
/// directory the running test or tool was built into.
pub fn workspace_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> or target/<profile>/<bin>
    let candidates = exe.ancestors().skip(1).take(2).map(|d| d.join(name));
    for c in candidates {
        if c.is_file() {
            return Ok(c);
        }
    }
    bail!("{name} is not built next to {}; run `cargo build --workspace`", exe.display())
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, ffi::OsString};

    use super::*;

    fn lookup(vars: &[(&str, &str)], files: &[&str], name: &str) -> Option<PathBuf> {
        let vars: HashMap<String, OsString> = vars.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        provided_by(name, |k| vars.get(k).cloned(), |p| files.iter().any(|f| Path::new(f) == p))
    }

    #[test]
    fn test_asset_variable_wins_over_kubebuilder_assets() {
        let vars = [("TEST_ASSET_KUBE_APISERVER", "/a/kube-apiserver"), ("KUBEBUILDER_ASSETS", "/kb")];
        let files = ["/a/kube-apiserver", "/kb/kube-apiserver"];
        assert_eq!(lookup(&vars, &files, KUBE_APISERVER), Some("/a/kube-apiserver".into()));
    }

    #[test]
    fn kubebuilder_assets_is_used_per_binary() {
        let vars = [("KUBEBUILDER_ASSETS", "/kb")];
        let files = ["/kb/etcd", "/kb/kube-apiserver", "/kb/kubectl"];
        assert_eq!(lookup(&vars, &files, ETCD), Some("/kb/etcd".into()));
        // envtest ships no kwok: that one is built.
        assert_eq!(lookup(&vars, &files, KWOK), None);
    }

    #[test]
    fn a_path_to_a_missing_file_is_ignored() {
        let vars = [("TEST_ASSET_ETCD", "/gone/etcd"), ("KUBEBUILDER_ASSETS", "/kb")];
        assert_eq!(lookup(&vars, &["/kb/etcd"], ETCD), Some("/kb/etcd".into()));
        assert_eq!(lookup(&vars, &[], ETCD), None);
    }
}
