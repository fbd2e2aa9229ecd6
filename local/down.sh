#!/usr/bin/env bash
# npm run local:down: stops everything local:up started (edge, Prometheus, control plane).
# Builds and data are kept; `npm run local:down -- --purge` also deletes cluster and Prometheus data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
stop_pid edge "$PD_STATE/edge/pid"
stop_pid prometheus "$PD_STATE/prometheus/pid"
"$ROOT/local/cluster/cluster.sh" down "$@"
stop_orphaned_plugins
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$PD_STATE/prometheus/data" "$PD_STATE/demo"
fi
log "down"
