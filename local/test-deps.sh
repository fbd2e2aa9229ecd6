#!/usr/bin/env bash
# npm test's first step: the Debian packages the tests use, installed when missing (as root):
# Prometheus for the integration tests, Chromium for the report's headless browser test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_debian_packages prometheus chromium
