#!/usr/bin/env bash
# make demo: the main job on a local fleet. Brings a hub and two members up
# (member-2 not joined yet), shows them answering, then walks KubeFleet's
# migration tutorial (seed 002): test-app moves from member-1 to member-2
# under a load through Flotilla's traffic data plane, with a live line of the
# split. Then the same kind of move done by one ClusterResourcePlacementMigration:
# member-3 joins, an application on member-2 moves there step by step, followed
# live. Exits non-zero if any step or request failed. The fleet is left
# running: `make fleet-down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${FLEET_DIR:-.fleet}
members=3  # the tutorial's hub and two members, and member-3 for the migration object
kubectl=$(bash hack/install-control-plane.sh)/kubectl
fleet=target/debug/fleet

step() { printf '\ndemo: %s\n' "$*"; }

if "$fleet" --dir "$dir" status 2>/dev/null | grep "running (pid" >/dev/null; then
  step "a fleet is already running; restarting it"
  "$fleet" --dir "$dir" down
fi
step "starting a hub and $members members (etcd, kube-apiserver, kube-controller-manager; members add kube-scheduler and kwok), the hub agent, and one member agent per member, each with its own identity"
"$fleet" --dir "$dir" up --members "$members" --joined 1

step "member-1 joined the fleet; member-2's and member-3's agents wait for their MemberClusters (kubectl get membercluster on the hub)"
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" get membercluster | sed 's/^/  /'

step "the hub serves Flotilla's APIs (KubeFleet's groups and kinds)"
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" api-resources --sort-by=name \
  | awk 'NR==1 || /kubernetes-fleet\.io|fleet\.azure\.com/' | sed 's/^/  /'
for i in $(seq 1 "$members"); do
  m=member-$i
  step "$m answers: its nodes (kwok plays the kubelet)"
  "$kubectl" --kubeconfig "$dir/$m.kubeconfig" get nodes | sed 's/^/  /'
done

step "a Deployment on member-1 becomes Available through kube-controller-manager, kube-scheduler and kwok"
"$kubectl" --kubeconfig "$dir/member-1.kubeconfig" create namespace demo --dry-run=client -o yaml | "$kubectl" --kubeconfig "$dir/member-1.kubeconfig" apply -f - >/dev/null
"$kubectl" --kubeconfig "$dir/member-1.kubeconfig" -n demo create deployment nginx --image=nginx:1.16.1 --replicas=2 --dry-run=client -o yaml \
  | "$kubectl" --kubeconfig "$dir/member-1.kubeconfig" apply -f - >/dev/null
"$kubectl" --kubeconfig "$dir/member-1.kubeconfig" -n demo wait --for=condition=Available deployment/nginx --timeout=60s | sed 's/^/  /'

step "KubeFleet's migration tutorial, its manifests as written (test/tests/migration/):"
"$fleet" --dir "$dir" tutorial

step "the same move in one object: member-3 joins, and an application placed on member-2 (hack/demo-app.yaml) moves there"
"$fleet" --dir "$dir" join member-3 | sed 's/^/  /'
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" apply -f hack/demo-app.yaml | sed 's/^/  /'
"$fleet" --dir "$dir" migrate --placement demo --from member-2 --to member-3 --backend demo/web --pause-seconds 3 --load
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" get crpm | sed 's/^/  /'

step "the fleet keeps running after the demo (kubeconfigs above, kubectl at $kubectl; make fleet-down stops it)"
