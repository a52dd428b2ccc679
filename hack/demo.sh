#!/usr/bin/env bash
# make demo: the main job on a local fleet. For now it brings a hub and two
# members up, shows each answering, and places the seed tutorial's application
# (Works on the hub); later issues grow it into the full migration demo (seed 002). The fleet is left running: `make fleet-down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${FLEET_DIR:-.fleet}
members=${MEMBERS:-2}
kubectl=$(bash hack/install-control-plane.sh)/kubectl
fleet=target/debug/fleet

step() { printf '\ndemo: %s\n' "$*"; }

if "$fleet" --dir "$dir" status | grep -q "running (pid"; then
  step "a fleet is already running; restarting it"
  "$fleet" --dir "$dir" down
fi
step "starting a hub and $members members (etcd, kube-apiserver, kube-controller-manager; members add kube-scheduler and kwok), the hub agent, and one member agent per member, each with its own identity"
"$fleet" --dir "$dir" up --members "$members"

step "the members joined the fleet (kubectl get membercluster on the hub)"
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

step "the seed tutorial's application and placement on the hub: namespace test-app, its Service, ServiceExport and envelope ConfigMap (wrapping the Deployment), and crp-availability (PickAll)"
for f in v1_namespace_test-app v1_service_nginx-service networking_v1alpha1_serviceexport v1_configmap_envelope-configmap placement_v1_clusterresourceplacement; do
  "$kubectl" --kubeconfig "$dir/hub.kubeconfig" apply -f "config/samples/$f.yaml" | sed 's/^/  /'
done
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" wait crp/crp-availability --for=condition=ClusterResourcePlacementApplied --timeout=120s | sed 's/^/  /'
step "the hub agent scheduled it on every member and wrote the Works; each member agent applied them (the LoadBalancer Service stays unavailable until something gives it an address: the traffic module's issue)"
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" get crp,clusterresourcebinding | sed 's/^/  /'
"$kubectl" --kubeconfig "$dir/hub.kubeconfig" get works -A -L kubernetes-fleet.io/envelope-work | sed 's/^/  /'
for m in $(seq -f 'member-%g' 1 "$members"); do
  step "$m: the placed objects, owned by AppliedWorks (the Deployment came out of the envelope ConfigMap)"
  "$kubectl" --kubeconfig "$dir/$m.kubeconfig" get appliedworks | sed 's/^/  /'
  "$kubectl" --kubeconfig "$dir/$m.kubeconfig" -n test-app get deploy,svc | sed 's/^/  /'
done

step "the fleet keeps running; use it with kubectl:"
for c in hub $(seq -f 'member-%g' 1 "$members"); do echo "  kubectl --kubeconfig $dir/$c.kubeconfig get ns"; done
echo "  (kubectl is at $kubectl)"
joined=$("$kubectl" --kubeconfig "$dir/hub.kubeconfig" get membercluster -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Joined")].status}{"\n"}{end}' | grep -c True || true)
echo "demo: fleet up: hub + $members members, $joined joined; stop it with: make fleet-down"
[ "$joined" = "$members" ]
