#!/usr/bin/env bash
# Local Kubernetes control plane on 127.0.0.1 with kwok playing the nodes (no container runtime).
#
#   cluster.sh up             start etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#                             kwok; create fake nodes; wait until they are Ready (idempotent)
#   cluster.sh down [--purge] stop every process started here; --purge also deletes etcd data,
#                             certificates and kubeconfig
#   cluster.sh status         per-component pid and health, and the nodes
#   cluster.sh kubeconfig     print the kubeconfig path
#   cluster.sh env            print `export KUBECONFIG=...; export PATH=<kubectl dir>:$PATH`
#
# Binaries come from build.sh (cached under ${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery).
# State (certificates, etcd data, logs, pidfiles, kubeconfigs) lives outside the repo in
#   ${PD_CLUSTER_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/progressive-delivery/cluster}
# The admin kubeconfig is <state>/kubeconfig.
#
# Everything listens on 127.0.0.1 only. Ports (override with the env vars):
#   kube-apiserver  PD_APISERVER_PORT  6443  (https)
#   etcd client     PD_ETCD_PORT      12379  (http, loopback only), peer PD_ETCD_PEER_PORT 12380
#   kube-controller-manager PD_KCM_PORT 10257 (https, /healthz)
#   kube-scheduler  PD_SCHEDULER_PORT 10259  (https, /healthz)
#   kwok            PD_KWOK_PORT      10247  (http, /healthz)
# Other env: PD_NODES (number of fake nodes, default 2), PD_UP_TIMEOUT (seconds, default 120).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${PD_CLUSTER_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/progressive-delivery/cluster}
PKI=$STATE/pki
LOGS=$STATE/logs
RUN=$STATE/run
KUBECONFIG_PATH=$STATE/kubeconfig

HOST=127.0.0.1
APISERVER_PORT=${PD_APISERVER_PORT:-6443}
ETCD_PORT=${PD_ETCD_PORT:-12379}
ETCD_PEER_PORT=${PD_ETCD_PEER_PORT:-12380}
KCM_PORT=${PD_KCM_PORT:-10257}
SCHEDULER_PORT=${PD_SCHEDULER_PORT:-10259}
KWOK_PORT=${PD_KWOK_PORT:-10247}
NODES=${PD_NODES:-2}
UP_TIMEOUT=${PD_UP_TIMEOUT:-120}
SERVICE_CIDR=10.0.0.0/24      # first IP 10.0.0.1 = the `kubernetes` Service
POD_CIDR=10.244.0.0/16        # fake pod IPs; node i gets 10.244.i.0/24 (never routed anywhere)

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

eval "$("$HERE/build.sh" --print-paths)"   # K8S_VERSION K8S_BIN ETCD_BIN KWOK_BIN KWOK_STAGES

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bin_of() {
  case $1 in
    etcd) echo "$ETCD_BIN/etcd" ;;
    kwok) echo "$KWOK_BIN/kwok" ;;
    *) echo "$K8S_BIN/$1" ;;
  esac
}
KUBECTL=$K8S_BIN/kubectl
kctl() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

check_binaries() {
  local missing=() c
  for c in "${COMPONENTS[@]}" kubectl; do
    [[ -x $(bin_of "$c") ]] || missing+=("$(bin_of "$c")")
  done
  [[ -d $KWOK_STAGES ]] || missing+=("$KWOK_STAGES/")
  if ((${#missing[@]})); then
    printf '  missing: %s\n' "${missing[@]}" >&2
    die "binaries not built: run $HERE/build.sh first (cold build took ~20 min on 2 cores, ~7 GB disk)"
  fi
  command -v openssl >/dev/null || die "openssl not found (apt-get install -y openssl)"
  command -v curl >/dev/null || die "curl not found (apt-get install -y curl)"
}

# ---------------------------------------------------------------- certificates
gen_key() { openssl genrsa -out "$1" 2048 2>/dev/null; chmod 600 "$1"; }

# gen_cert NAME SUBJECT EXTENSIONS [CA_NAME]
gen_cert() {
  local name=$1 subj=$2 ext=$3 ca=${4:-ca}
  gen_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$PKI/$name.ext" \
    -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

gen_ca() {
  gen_key "$PKI/$1.key"
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null
}

ensure_pki() {
  [[ -f $PKI/.complete ]] && return 0
  log "generating CA and certificates in $PKI"
  rm -rf "$PKI" && mkdir -p "$PKI" && chmod 700 "$PKI"
  local client='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
  gen_ca ca progressive-delivery-local-ca
  gen_ca front-proxy-ca progressive-delivery-front-proxy-ca
  gen_cert apiserver "/CN=kube-apiserver" 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
  gen_cert admin "/O=system:masters/CN=kubernetes-admin" "$client"
  gen_cert kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  gen_cert kube-scheduler "/CN=system:kube-scheduler" "$client"
  gen_cert kwok "/O=system:masters/CN=kwok-controller" "$client"
  gen_cert front-proxy-client "/CN=front-proxy-client" "$client" front-proxy-ca
  gen_key "$PKI/sa.key"
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  touch "$PKI/.complete"
}

# write_kubeconfig FILE CLIENT_CERT_NAME  (certificates embedded, so the file is self-contained)
write_kubeconfig() {
  local file=$1 who=$2 tmp
  tmp=$(mktemp "$file.XXXX")
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: progressive-delivery-local
  cluster:
    server: https://$HOST:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$who.crt")
    client-key-data: $(base64 -w0 <"$PKI/$who.key")
contexts:
- name: progressive-delivery-local
  context:
    cluster: progressive-delivery-local
    user: $who
current-context: progressive-delivery-local
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
}

ensure_config() {
  mkdir -p "$STATE" "$LOGS" "$RUN" "$STATE/etcd"
  chmod 700 "$STATE" "$STATE/etcd"
  ensure_pki
  write_kubeconfig "$KUBECONFIG_PATH" admin
  write_kubeconfig "$RUN/kube-controller-manager.kubeconfig" kube-controller-manager
  write_kubeconfig "$RUN/kube-scheduler.kubeconfig" kube-scheduler
  write_kubeconfig "$RUN/kwok.kubeconfig" kwok
  # kwok stages: node initialisation, heartbeat (with Lease), pod ready/complete/delete.
  {
    local f
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo '---'
      cat "$KWOK_STAGES/$f"
    done
  } >"$RUN/kwok-stages.yaml"
}

# ---------------------------------------------------------------- processes
pid_of() { # prints the pid of a running component started by us, or fails
  local f=$RUN/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: the process must be our binary
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(realpath "$(bin_of "$1")")" ]] || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

set_args() { # sets ARGS for COMPONENT
  case $1 in
    etcd) ARGS=(
      --name=pd-local --data-dir="$STATE/etcd"
      --listen-client-urls="http://$HOST:$ETCD_PORT" --advertise-client-urls="http://$HOST:$ETCD_PORT"
      --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT"
      --initial-cluster="pd-local=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state=new
      --log-level=warn --quota-backend-bytes=2147483648 ) ;;
    kube-apiserver) ARGS=(
      --etcd-servers="http://$HOST:$ETCD_PORT"
      --bind-address=$HOST --advertise-address=$HOST --secure-port="$APISERVER_PORT"
      --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
      --client-ca-file="$PKI/ca.crt"
      --service-cluster-ip-range=$SERVICE_CIDR
      --service-account-issuer=https://kubernetes.default.svc.cluster.local
      --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
      --authorization-mode=Node,RBAC --allow-privileged=true
      --endpoint-reconciler-type=none
      --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client
      --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
      --requestheader-extra-headers-prefix=X-Remote-Extra-
      --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key"
      --profiling=false ) ;;
    kube-controller-manager) ARGS=(
      --kubeconfig="$RUN/kube-controller-manager.kubeconfig"
      --authentication-kubeconfig="$RUN/kube-controller-manager.kubeconfig"
      --authorization-kubeconfig="$RUN/kube-controller-manager.kubeconfig"
      --bind-address=$HOST --secure-port="$KCM_PORT" --cert-dir="$RUN/kube-controller-manager-certs"
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt"
      --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key"
      --use-service-account-credentials=true "--controllers=*" --leader-elect=false
      --service-cluster-ip-range=$SERVICE_CIDR --profiling=false ) ;;
    kube-scheduler) ARGS=(
      --kubeconfig="$RUN/kube-scheduler.kubeconfig"
      --authentication-kubeconfig="$RUN/kube-scheduler.kubeconfig"
      --authorization-kubeconfig="$RUN/kube-scheduler.kubeconfig"
      --bind-address=$HOST --secure-port="$SCHEDULER_PORT" --cert-dir="$RUN/kube-scheduler-certs"
      --leader-elect=false --profiling=false ) ;;
    kwok) ARGS=(
      --kubeconfig="$RUN/kwok.kubeconfig" --config="$RUN/kwok-stages.yaml"
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake
      --node-ip=$HOST --node-port="$KWOK_PORT" --server-address="$HOST:$KWOK_PORT"
      --cidr=$POD_CIDR --node-lease-duration-seconds=40 ) ;;
  esac
}

port_of() {
  case $1 in
    etcd) echo "$ETCD_PORT" ;; kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;; kube-scheduler) echo "$SCHEDULER_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

healthy() { # healthy COMPONENT -> 0 if its health endpoint answers ok
  local out
  case $1 in
    etcd) out=$(curl -sf --max-time 2 "http://$HOST:$ETCD_PORT/health") && [[ $out == *'"health":"true"'* ]] ;;
    kube-apiserver) out=$(curl -sf --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
      "https://$HOST:$APISERVER_PORT/readyz") && [[ $out == ok ]] ;;
    # self-signed serving certs on loopback; /healthz is always allowed
    kube-controller-manager) out=$(curl -skf --max-time 2 "https://$HOST:$KCM_PORT/healthz") && [[ $out == ok ]] ;;
    kube-scheduler) out=$(curl -skf --max-time 2 "https://$HOST:$SCHEDULER_PORT/healthz") && [[ $out == ok ]] ;;
    kwok) out=$(curl -sf --max-time 2 "http://$HOST:$KWOK_PORT/healthz") && [[ $out == ok ]] ;;
  esac
}

wait_healthy() {
  local c=$1 deadline=$((SECONDS + UP_TIMEOUT))
  until healthy "$c"; do
    # (kill -0, not pid_of: right after the fork the child may not have exec'd the binary yet)
    if ! kill -0 "$(<"$RUN/$c.pid")" 2>/dev/null; then
      tail -20 "$LOGS/$c.log" >&2 || true
      die "$c exited during startup; log: $LOGS/$c.log"
    fi
    ((SECONDS < deadline)) || die "$c not healthy after ${UP_TIMEOUT}s; log: $LOGS/$c.log"
    sleep 0.5
  done
}

start_component() {
  local c=$1 pid
  if pid=$(pid_of "$c"); then
    log "$c already running (pid $pid)"
  else
    port_busy "$(port_of "$c")" &&
      die "port $HOST:$(port_of "$c") for $c is taken by a process not started by this script (see: ss -ltnp)"
    local ARGS=()
    set_args "$c"
    setsid "$(bin_of "$c")" "${ARGS[@]}" </dev/null >>"$LOGS/$c.log" 2>&1 &
    echo $! >"$RUN/$c.pid"
    log "$c started (pid $!, log $LOGS/$c.log)"
  fi
  wait_healthy "$c"
}

apply_nodes() {
  local i docs=""
  for ((i = 0; i < NODES; i++)); do
    docs+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    beta.kubernetes.io/arch: amd64
    node-role.kubernetes.io/agent: \"\"
spec:
  podCIDR: 10.244.$((i + 1)).0/24
  podCIDRs: [10.244.$((i + 1)).0/24]
status:
  allocatable: {cpu: \"32\", memory: 256Gi, pods: \"110\", ephemeral-storage: 100Gi}
  capacity: {cpu: \"32\", memory: 256Gi, pods: \"110\", ephemeral-storage: 100Gi}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: $K8S_VERSION, kubeProxyVersion: $K8S_VERSION}
"
  done
  printf '%s' "$docs" | kctl apply -f - >/dev/null
}

cmd_up() {
  local t0=$SECONDS c
  check_binaries
  ensure_config
  for c in "${COMPONENTS[@]}"; do start_component "$c"; done
  apply_nodes
  log "waiting for $NODES node(s) to be Ready"
  kctl wait --for=condition=Ready node -l type=kwok --timeout="${UP_TIMEOUT}s" >/dev/null ||
    die "nodes not Ready; see $LOGS/kwok.log"
  # the default ServiceAccount must exist before pods can be created in a namespace
  local deadline=$((SECONDS + UP_TIMEOUT))
  until kctl -n default get serviceaccount default >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "default ServiceAccount not created; see $LOGS/kube-controller-manager.log"
    sleep 0.5
  done
  kctl get nodes -o wide >&2
  log "cluster up in $((SECONDS - t0))s"
  echo "KUBECONFIG=$KUBECONFIG_PATH"
  echo "kubectl: $KUBECTL"
}

cmd_down() {
  local purge=0 c pid i
  [[ ${1:-} == --purge ]] && purge=1
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    if pid=$(pid_of "$c"); then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        log "$c (pid $pid) did not stop in 10s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
      log "$c stopped (pid $pid)"
    fi
    rm -f "$RUN/$c.pid"
  done
  # verify: no process of our binaries is left
  local left=""
  for c in "${COMPONENTS[@]}"; do
    left+=$(pgrep -f "^$(bin_of "$c") " | tr '\n' ' ' || true)
  done
  if [[ -n ${left// /} ]]; then
    die "processes still running from our binaries: $left (not started via this state dir? stop them by pid)"
  fi
  if ((purge)); then
    rm -rf "$STATE"
    log "purged $STATE"
  fi
  log "down"
}

cmd_status() {
  local c pid h rc=0
  printf '%-24s %-8s %-8s %s\n' COMPONENT PID HEALTH ENDPOINT
  for c in "${COMPONENTS[@]}"; do
    pid=$(pid_of "$c") || pid=-
    if [[ $pid != - ]] && healthy "$c"; then h=ok; else h=down; rc=1; fi
    printf '%-24s %-8s %-8s %s\n' "$c" "$pid" "$h" "$HOST:$(port_of "$c")"
  done
  echo "kubeconfig: $KUBECONFIG_PATH"
  if [[ -f $KUBECONFIG_PATH ]] && healthy kube-apiserver; then
    kctl get nodes -o wide
  fi
  return $rc
}

case ${1:-} in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  kubeconfig) echo "$KUBECONFIG_PATH" ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_PATH; export PATH=$K8S_BIN:\$PATH" ;;
  *) echo "usage: $0 up | down [--purge] | status | kubeconfig | env" >&2; exit 2 ;;
esac
