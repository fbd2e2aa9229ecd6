# Shared by local/up.sh, down.sh, status.sh and demo.sh. Sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PD_STATE=${PD_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/progressive-delivery}
PROM_PORT=${PD_PROMETHEUS_PORT:-19090}
EDGE_METRICS_PORT=${PD_EDGE_METRICS_PORT:-10254}
EDGE_CONTROL_PORT=${PD_EDGE_CONTROL_PORT:-10255}
EDGE_RPS=${PD_EDGE_RPS:-20}
export EDGE_CONTROL_PORT
# Gateway API CRDs of the embedded stack: the standard channel of this Go module version.
GATEWAY_API_VERSION=v1.6.3

log() { printf '[local %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# pid_alive FILE: the pid in FILE is a running process.
# ensure_debian_packages CMD[=PACKAGE]...: installs (apt-get, as root) the Debian packages of the
# commands that are missing, so a fresh machine needs nothing installed by hand.
ensure_debian_packages() {
  local missing=() spec cmd pkg
  for spec in "$@"; do
    cmd=${spec%%=*}; pkg=${spec#*=}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: run \`sudo apt-get install -y ${missing[*]}\`"
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid NAME FILE: SIGTERM, wait up to 10s, then SIGKILL.
stop_pid() {
  local name=$1 file=$2 pid
  if pid_alive "$file"; then
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

# wait_http URL SECONDS
wait_http() {
  local url=$1 limit=$2
  for _ in $(seq 1 $((limit * 5))); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# Puts the locally built pulumi and the cluster's kubeconfig into this shell.
use_local_env() {
  # shellcheck disable=SC1091
  . "$ROOT/local/pulumi/env.sh" "$ROOT"
  export KUBECONFIG="$("$ROOT/local/cluster/cluster.sh" kubeconfig)"
}

# A killed `pulumi up` (Ctrl-C twice, SIGKILL, the e2e suite's interruption tests) leaves its
# plugins running, re-parented to init. Stops those of the embedded toolchain.
stop_orphaned_plugins() {
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery pid
  # Only the Pulumi toolchain: the control plane's binaries live under $cache too, and they
  # are re-parented to init on purpose (cluster.sh starts them in the background).
  for pid in $(pgrep -f "^$cache/pulumi-home/plugins/|^$cache/pulumi-v[^/]*/bin/|@pulumi/pulumi/cmd/dynamic-provider" 2>/dev/null); do
    if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "1" ]; then
      log "stopping orphaned pulumi plugin: $(ps -o args= -p "$pid" | cut -c1-100)"
      kill "$pid" 2>/dev/null || true
    fi
  done
}

# gateway_api_crds: prints the directory holding the pinned standard-channel CRDs, downloading the
# module into Go's module cache (GOMODCACHE, outside the repo) the first time; later runs read
# the cache, offline.
gateway_api_crds() {
  local mod=sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION json dir
  command -v go >/dev/null || die "go not found on PATH (needed to fetch $mod)"
  # From /, so no go.mod around us takes part; -modcacherw keeps the cache deletable.
  json=$(cd / && GOFLAGS=-modcacherw go mod download -json "$mod") ||
    die "go mod download $mod failed: $(jq -r '.Error // empty' <<<"$json")"
  dir=$(jq -r '.Dir // empty' <<<"$json")
  [ -n "$dir" ] && [ -d "$dir/config/crd/standard" ] ||
    die "$mod has no config/crd/standard (module directory: ${dir:-none})"
  echo "$dir/config/crd/standard"
}

# install_gateway_api KUBECTL: applies the Gateway API CRDs server-side (idempotent: the same
# field manager re-applies the same objects) and the GatewayClass istio, as Istio's install
# creates it, for the edge double to serve the Gateways of that class.
install_gateway_api() {
  local kubectl=$1 crds
  crds=$(gateway_api_crds)
  "$kubectl" apply --server-side --force-conflicts --field-manager=progressive-delivery-local \
    -f "$crds" >/dev/null
  "$kubectl" wait --for=condition=Established --timeout=60s \
    crd/gatewayclasses.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io \
    crd/httproutes.gateway.networking.k8s.io >/dev/null
  "$kubectl" apply --server-side --force-conflicts --field-manager=progressive-delivery-local \
    -f - >/dev/null <<YML
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: istio
spec:
  controllerName: istio.io/gateway-controller
  description: The default Istio GatewayClass
YML
  log "Gateway API $GATEWAY_API_VERSION CRDs (standard channel) and GatewayClass istio applied"
}
