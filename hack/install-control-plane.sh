#!/usr/bin/env bash
# Builds the upstream Kubernetes binaries the tests and the local fleet run on
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok)
# from the Go module proxy into a cache outside the repository, and prints the
# directory that holds them. Anything already built is skipped.
#
# envtest convention: when KUBEBUILDER_ASSETS/<name> or TEST_ASSET_<NAME>
# points at an existing binary, that binary is used and nothing is built for it.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.36.3}   # newest minor that k8s-openapi 0.29 (v1_36) supports and the proxy serves
ETCD_VERSION=${ETCD_VERSION:-3.6.8}  # the etcd that k8s.io/kubernetes v1.36.3 requires
KWOK_VERSION=${KWOK_VERSION:-0.8.0}

cache_root=${FLOTILLA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla}
dir="$cache_root/k8s-v$K8S_VERSION"
bin="$dir/bin"
mkdir -p "$bin" "$dir/build"

log() { echo "install-control-plane: $*" >&2; }

# provided NAME: true when the envtest convention already points at a binary.
provided() {
  local name=$1 var
  var="TEST_ASSET_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!var:-}" ] && [ -x "${!var}" ]; then return 0; fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then return 0; fi
  return 1
}

need() { # need NAME: true when NAME must be built
  local name=$1
  if provided "$name"; then log "$name: provided by KUBEBUILDER_ASSETS/TEST_ASSET_*"; return 1; fi
  if [ -x "$bin/$name" ]; then return 1; fi
  return 0
}

command -v go >/dev/null || { log "go is required to build the control plane"; exit 1; }
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubectl ---------
k8s_cmds=()
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if need "$c"; then k8s_cmds+=("$c"); fi
done
if [ ${#k8s_cmds[@]} -gt 0 ]; then
  w="$dir/build/kubernetes"
  mkdir -p "$w"
  log "building ${k8s_cmds[*]} v$K8S_VERSION (cold: many minutes)"
  # k8s.io/kubernetes requires its staging modules at v0.0.0; map each one to
  # its published v0.Y.Z tag, read from the release's own go.mod.
  (cd "$w" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" >/dev/null)
  gomod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$K8S_VERSION.mod
  minor=${K8S_VERSION#*.}
  staging_version="v0.$minor"
  {
    echo "module flotilla.local/build-kubernetes"
    echo
    echo "go $(awk '/^go /{print $2; exit}' "$gomod")"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    grep -E '=> \./staging/src/' "$gomod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$w/go.mod"
  pkg=k8s.io/component-base/version
  ldflags="-s -w -X $pkg.gitMajor=${K8S_VERSION%%.*} -X $pkg.gitMinor=${minor%%.*} -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  pkgs=()
  for c in "${k8s_cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  out="$w/out"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$w" && go build -mod=mod -trimpath -ldflags "$ldflags" -o "$out/" "${pkgs[@]}")
  for c in "${k8s_cmds[@]}"; do mv "$out/$c" "$bin/$c"; done
fi

# --- etcd ---------------------------------------------------------------------
if need etcd; then
  w="$dir/build/etcd"
  mkdir -p "$w"
  log "building etcd v$ETCD_VERSION"
  # etcd's server module has only relative replaces, ignored when it is a dependency.
  printf 'module flotilla.local/build-etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$w/go.mod"
  (cd "$w" && go build -mod=mod -trimpath -ldflags "-s -w" -o "$w/etcd" go.etcd.io/etcd/server/v3)
  mv "$w/etcd" "$bin/etcd"
fi

# --- kwok (plays the kubelet: Nodes Ready, Pods Running without containers) ---
if need kwok; then
  log "building kwok v$KWOK_VERSION"
  tmpbin=$(mktemp -d)
  GOBIN="$tmpbin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  mv "$tmpbin/kwok" "$bin/kwok" && rmdir "$tmpbin"
fi

echo "$bin"
