#!/usr/bin/env bash
# Builds the embedded Pulumi toolchain from the Go module proxy, once, and caches
# it outside the repo, keyed by version:
#
#   $CACHE_ROOT/pulumi-v3.274.1/bin/pulumi                   Pulumi CLI
#   $CACHE_ROOT/pulumi-v3.274.1/bin/pulumi-language-nodejs   Node.js language host
#                                                            (our own, see langhost/)
#   $CACHE_ROOT/pulumi-kubernetes-v4.25.0/bin/pulumi-resource-kubernetes
#   $CACHE_ROOT/pulumi-home/plugins/resource-kubernetes-v4.25.0/  (installed plugin)
#
# CACHE_ROOT = ${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery
#
# Usage: build.sh [all|cli|langhost|kubernetes|plugins]...   (default: all)
#        FORCE=1 build.sh ...   rebuild even if the output exists
#
# Idempotent: a component whose output and stamp exist is skipped. Build logs,
# /usr/bin/time -v reports and a stats table go to $CACHE_ROOT/logs/.
# Nothing is written inside the repository.
set -euo pipefail

PULUMI_VERSION=v3.274.1
K8S_PROVIDER_VERSION=4.25.0
# provider/v4 has no tags of its own; this pseudo-version is the v4.25.0 tag commit.
K8S_PROVIDER_MODVER=v4.0.0-20260115033456-f47bc2d6f199
# provider/v4 v4.25.0 wants sdk/v4 via `replace => ../sdk`; the provider binary does not
# import it, but the module graph needs a served version to resolve.
K8S_SDK_MODVER=v4.29.0

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery"
CLI_DIR="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
K8S_DIR="$CACHE_ROOT/pulumi-kubernetes-v$K8S_PROVIDER_VERSION"
SRC_ROOT="$CACHE_ROOT/src"
LOG_DIR="$CACHE_ROOT/logs"
STATS="$LOG_DIR/build-stats.tsv"
PULUMI_HOME_DIR="$CACHE_ROOT/pulumi-home"
# Dedicated Go build cache: keeps these builds measurable and independent of other builds.
export GOCACHE="${PD_GOCACHE:-$CACHE_ROOT/go-build}"
export GOTOOLCHAIN=local
export GOFLAGS="-buildvcs=false"
export CGO_ENABLED=0
GO_P="${GO_P:-2}"
TIME_BIN=/usr/bin/time

mkdir -p "$CLI_DIR/bin" "$K8S_DIR/bin" "$SRC_ROOT" "$LOG_DIR" "$PULUMI_HOME_DIR"

log() { printf '[build.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go not found on PATH"
if [[ ! -x $TIME_BIN ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
  fi
  [[ -x $TIME_BIN ]] || TIME_BIN=""
fi

# timed NAME CMD... : runs CMD with its output in $LOG_DIR/NAME.log and, if available,
# /usr/bin/time -v in $LOG_DIR/NAME.time; appends wall seconds and peak RSS to $STATS.
timed() {
  local name=$1; shift
  local logf="$LOG_DIR/$name.log" timef="$LOG_DIR/$name.time" start end rc=0
  start=$(date +%s)
  if [[ -n $TIME_BIN ]]; then
    "$TIME_BIN" -v -o "$timef" "$@" >"$logf" 2>&1 || rc=$?
  else
    "$@" >"$logf" 2>&1 || rc=$?
  fi
  end=$(date +%s)
  local rss="?"
  [[ -f $timef ]] && rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$timef")
  [[ -f $STATS ]] || printf 'date\tstep\twall_s\tpeak_rss_kb\texit\n' >"$STATS"
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "$name" "$((end - start))" "$rss" "$rc" >>"$STATS"
  if [[ $rc != 0 ]]; then
    log "step $name failed (exit $rc); last lines of $logf:"
    tail -n 30 "$logf" >&2
    return "$rc"
  fi
  log "step $name done in $((end - start))s, peak RSS ${rss} KB"
}

# mod_disk DIR: disk used by the modules of the main module in DIR (extracted + zips).
mod_disk() {
  (cd "$1" && go list -m -f '{{if not .Main}}{{.Dir}}{{end}}' all 2>/dev/null | grep . | xargs -r du -sck 2>/dev/null | tail -1 | cut -f1)
}

go_mod_file() { # MODULE@VERSION -> path of its downloaded go.mod
  go mod download -json "$1" | jq -r .GoMod
}

# ---------------------------------------------------------------------------------
# 1. Pulumi CLI
# ---------------------------------------------------------------------------------
build_cli() {
  local out="$CLI_DIR/bin/pulumi"
  if [[ -x $out && -z ${FORCE:-} ]] && "$out" version >/dev/null 2>&1; then
    log "pulumi $PULUMI_VERSION already built: $out"; return 0
  fi
  local w="$SRC_ROOT/pulumi-cli-$PULUMI_VERSION"
  rm -rf "$w"; mkdir -p "$w"
  log "generating wrapper module in $w"
  local pkgmod
  pkgmod=$(cd "$w" && go_mod_file "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")
  local gover
  gover=$(awk '$1=="go"{print $2; exit}' "$pkgmod")
  {
    echo "module progressive-delivery.local/pulumi-cli"
    echo
    echo "go $gover"
    echo
    echo "require ("
    echo "	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION"
    echo "	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
    echo ")"
    echo
    # Replace directives of dependencies are ignored by Go; copy the non-local ones
    # (e.g. the clipboard fork) so the build matches upstream. Local ones (=> ../sdk)
    # are replaced by requiring the same version above.
    awk '
      /^replace[ \t]*\(/ {inb=1; next}
      inb && /^\)/ {inb=0; next}
      inb { line=$0; sub(/^[ \t]+/, "", line); if (line !~ /=>[ \t]*\.\.?\//) print "replace " line; next }
      /^replace / { if ($0 !~ /=>[ \t]*\.\.?\//) print }
    ' "$pkgmod"
  } >"$w/go.mod"
  # Copy the requirement list of pkg (so MVS picks exactly upstream's versions).
  awk '
    /^require[ \t]*\(/ {inb=1; next}
    inb && /^\)/ {inb=0; next}
    inb && NF>=2 && $1 !~ /^\/\// { print $1, $2 }
    /^require [^(]/ { print $2, $3 }
  ' "$pkgmod" | grep -v '^github.com/pulumi/pulumi/sdk/v3 ' | while read -r m v; do
    (cd "$w" && go mod edit -require="$m@$v")
  done
  # A blank import keeps `go mod tidy` honest about what the CLI needs.
  cat >"$w/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/cmd"
EOF
  # tidy downloads what the build needs (timed separately from the compile).
  (cd "$w" && timed cli-fetch go mod tidy)
  local ld="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  (cd "$w" && timed cli-build go build -mod=mod -p "$GO_P" -trimpath -tags osusergo,grpcnotrace \
      -ldflags "$ld" -o "$out.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv "$out.tmp" "$out"
  log "pulumi: $("$out" version) ($(du -h "$out" | cut -f1)); module disk $(( $(mod_disk "$w") / 1024 )) MB"
}

main() {
  local targets=("$@")
  [[ ${#targets[@]} == 0 ]] && targets=(all)
  for t in "${targets[@]}"; do
    case $t in
      all) build_cli ;;
      cli) build_cli ;;
      *) die "unknown target $t" ;;
    esac
  done
}

main "$@"
