#!/usr/bin/env bash
# npm run local:up: build (once, cached) and start the embedded stack on 127.0.0.1:
# a Kubernetes control plane with kwok nodes, Prometheus (Debian) and the local edge.
# Every later run reuses the builds and leaves running parts alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p "$PD_STATE/prometheus" "$PD_STATE/edge"
t0=$(date +%s)

[ -d node_modules/@pulumi/pulumi ] || { log "npm ci"; npm ci --no-audit --no-fund >/dev/null; }
# Debian packages the build and start scripts use (most are on the image already).
ensure_debian_packages prometheus curl jq openssl /usr/bin/time=time

log "building the Pulumi toolchain (cached after the first time)"
local/pulumi/build.sh
log "building the control plane (cached after the first time)"
local/cluster/build.sh
local/cluster/cluster.sh up
use_local_env
eval "$(local/cluster/build.sh --print-paths)"   # K8S_BIN (kubectl) and friends
install_gateway_api "$K8S_BIN/kubectl"

# Prometheus: scrapes the edge (ingress-nginx's metrics) every 2s.
if ! pid_alive "$PD_STATE/prometheus/pid"; then
  cat > "$PD_STATE/prometheus/prometheus.yml" <<YML
global:
  scrape_interval: 2s
  evaluation_interval: 2s
scrape_configs:
  - job_name: ingress-nginx
    static_configs:
      - targets: ["127.0.0.1:$EDGE_METRICS_PORT"]
YML
  nohup prometheus --config.file="$PD_STATE/prometheus/prometheus.yml" \
    --storage.tsdb.path="$PD_STATE/prometheus/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
    >"$PD_STATE/prometheus/log" 2>&1 &
  echo $! >"$PD_STATE/prometheus/pid"
fi
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30 || die "Prometheus not ready; see $PD_STATE/prometheus/log"
log "prometheus ready on http://127.0.0.1:$PROM_PORT"

# The edge: the ingress-nginx data-plane double (see local/edge/main.ts).
if ! pid_alive "$PD_STATE/edge/pid"; then
  nohup node -r ts-node/register/transpile-only local/edge/main.ts \
    --metrics-port "$EDGE_METRICS_PORT" --control-port "$EDGE_CONTROL_PORT" --rps "$EDGE_RPS" \
    >"$PD_STATE/edge/log" 2>&1 &
  echo $! >"$PD_STATE/edge/pid"
fi
wait_http "http://127.0.0.1:$EDGE_CONTROL_PORT/state" 30 || die "edge not ready; see $PD_STATE/edge/log"
log "edge ready: metrics 127.0.0.1:$EDGE_METRICS_PORT, control 127.0.0.1:$EDGE_CONTROL_PORT"

cat >"$PD_STATE/env.sh" <<ENV
# Source this to use the embedded stack from a shell: pulumi, kubectl, KUBECONFIG.
. "$ROOT/local/pulumi/env.sh" "$ROOT"
export KUBECONFIG="$KUBECONFIG"
export PATH="$K8S_BIN:\$PATH"
ENV
log "up in $(( $(date +%s) - t0 ))s. In a shell: . $PD_STATE/env.sh"
