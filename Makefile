# Flotilla — the two commands a new user runs: `make demo` and `make test`.
# Each installs what it needs: the Kubernetes control plane is built from the
# Go module proxy into ~/.cache/flotilla (once), Rust crates come from crates.io.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
MEMBERS ?= 2
FLEET_DIR ?= .fleet
FLEET := target/debug/fleet

.PHONY: all build control-plane crds check-crds fmt lint test demo fleet-up fleet-down fleet-status bench-join bench-placement bench-apply bench-traffic bench-migration clean

all: build

## toolchain: the Rust and Go toolchains the build needs
toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }
	@command -v go >/dev/null || { echo "go not found: Go builds the Kubernetes binaries for tests"; exit 1; }

## control-plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok
control-plane: toolchain
	@bash hack/install-control-plane.sh >/dev/null

build: toolchain
	$(CARGO) build --workspace --all-targets

## crds: regenerate config/crd/bases from the Rust types
crds: toolchain
	$(CARGO) run -q -p apis --features crdgen --bin crdgen

check-crds: toolchain
	$(CARGO) run -q -p apis --features crdgen --bin crdgen -- --check

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## test: unit tests, the CRD drift check, and integration tests on a local fleet of real control planes
test: control-plane build check-crds
	$(CARGO) test --workspace --no-fail-fast

## bench-join: time from MemberCluster create to Joined=True, and idle agent memory (release builds)
bench-join: control-plane
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p flotilla-test --bench join

## bench-placement: 100 simulated members × 100 placements: create → Works/Available, hub-agent RSS, CPU, API calls
bench-placement: control-plane
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p flotilla-test --bench placement

## bench-apply: hub change → Applied/Available on 2 members, member-agent RSS and CPU (release builds)
bench-apply: control-plane
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p flotilla-test --bench apply

## bench-traffic: a weight cutover under 2,000 req/s through the data plane: failed requests, split, propagation, proxy overhead
bench-traffic: control-plane
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p flotilla-test --bench traffic

## bench-migration: seed 002's move as one ClusterResourcePlacementMigration under 2,000 req/s: failed requests, create → Succeeded, weight write → served per step
bench-migration: control-plane
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p flotilla-test --bench migration

## demo: the main job on a local fleet (for now: a hub and members that answer)
demo: control-plane build
	@bash hack/demo.sh

## fleet-up: start a hub and MEMBERS members in the background; fleet-down stops them
fleet-up: control-plane build
	@$(FLEET) --dir $(FLEET_DIR) up --members $(MEMBERS)

fleet-down:
	@if [ -x $(FLEET) ]; then $(FLEET) --dir $(FLEET_DIR) down; else echo "fleet: nothing running"; fi

fleet-status:
	@$(FLEET) --dir $(FLEET_DIR) status

clean: fleet-down
	$(CARGO) clean
