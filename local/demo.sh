#!/usr/bin/env bash
# npm run demo: brings the embedded stack up (building it the first time), then runs the
# tutorial's three steps with the real pulumi CLI (local/demo.ts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
bash local/up.sh
use_local_env
exec node -r ts-node/register/transpile-only local/demo.ts "$@"
