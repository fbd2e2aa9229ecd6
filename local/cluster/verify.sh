#!/usr/bin/env bash
# Smoke test of a running local cluster (cluster.sh up): >= 2 Ready kwok nodes, a Deployment
# becomes Available, a StatefulSet Ready, Services get a ClusterIP and EndpointSlices list the
# fake pod IPs. Uses namespace pd-smoke, deleted at the end (KEEP=1 keeps it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$HERE/cluster.sh" env)"
NS=pd-smoke
k() { kubectl "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

ready=$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
((ready >= 2)) || fail "only $ready Ready kwok nodes"
k get nodes

k create namespace $NS --dry-run=client -o yaml | k apply -f - >/dev/null
k -n $NS apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: example.invalid/web:1.0, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: example.invalid/db:1.0, ports: [{containerPort: 5432}]}
EOF
k -n $NS wait --for=condition=Available deploy/web --timeout=60s
k -n $NS rollout status sts/db --timeout=60s
k -n $NS get deploy,sts,pods -o wide
ip=$(k -n $NS get svc web -o jsonpath='{.spec.clusterIP}')
[[ $ip =~ ^10\.0\.0\.[0-9]+$ ]] || fail "service web has no ClusterIP ($ip)"
k -n $NS get svc
# EndpointSlices are written by the controller shortly after pods turn Ready
for _ in $(seq 1 40); do
  n=$(k -n $NS get endpointslices -l kubernetes.io/service-name=web \
        -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}' | grep -c . || true)
  ((n == 2)) && break
  sleep 0.5
done
((n == 2)) || fail "EndpointSlice of web lists $n ready addresses, want 2"
k -n $NS get endpointslices -o wide
podips=$(k -n $NS get pods -l app=web -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort | tr '\n' ' ')
sliceips=$(k -n $NS get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | tr ' ' '\n' | sort | tr '\n' ' ')
[[ $podips == "$sliceips" ]] || fail "pod IPs ($podips) != EndpointSlice IPs ($sliceips)"
echo "pod IPs of web: $podips= EndpointSlice addresses"
if [[ ${KEEP:-0} != 1 ]]; then
  k delete namespace $NS --wait=true --timeout=60s >/dev/null
  echo "deleted namespace $NS"
fi
echo "verify: OK"
