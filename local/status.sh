#!/usr/bin/env bash
# npm run local:status: each part of the embedded stack, running or not.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
"$ROOT/local/cluster/cluster.sh" status || true
for part in prometheus edge; do
  if pid_alive "$PD_STATE/$part/pid"; then echo "$part: running (pid $(cat "$PD_STATE/$part/pid"))"; else echo "$part: stopped"; fi
done
curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && echo "prometheus: ready on http://127.0.0.1:$PROM_PORT" || echo "prometheus: not answering"
curl -fsS "http://127.0.0.1:$EDGE_CONTROL_PORT/state" 2>/dev/null | head -c 2000 || echo "edge: not answering"
echo
