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
# Usage: build.sh [all|cli|langhost|kubernetes|plugins|report|clean]...   (default: all)
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
# provider/v4 wants sdk/v4 via `replace => ../sdk` (it imports sdk/v4/go/kubernetes/yaml/v2 and
# helm/v4); the proxy serves the sdk/v4 tag of the same release, so require that instead.
K8S_SDK_MODVER=v4.25.0

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

# ---------------------------------------------------------------------------------
# 2. Node.js language host (our own, source in langhost/; the upstream host module
#    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 is not served)
# ---------------------------------------------------------------------------------
langhost_hash() {
  (cd "$HERE/langhost" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)
}

build_langhost() {
  local out="$CLI_DIR/bin/pulumi-language-nodejs" stamp="$CLI_DIR/bin/.pulumi-language-nodejs.src"
  local h; h=$(langhost_hash)
  if [[ -x $out && -z ${FORCE:-} && -f $stamp && $(cat "$stamp") == "$h" ]]; then
    log "pulumi-language-nodejs already built: $out"; return 0
  fi
  # Build from a copy so that nothing (go.sum updates, build outputs) lands in the repo.
  local w="$SRC_ROOT/pulumi-language-nodejs-$h"
  rm -rf "$w"; mkdir -p "$w"; cp "$HERE"/langhost/go.mod "$HERE"/langhost/go.sum "$HERE"/langhost/*.go "$w/"
  (cd "$w" && timed langhost-fetch go mod download)
  local ld="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  (cd "$w" && timed langhost-build go build -mod=readonly -p "$GO_P" -trimpath -tags osusergo,grpcnotrace \
      -ldflags "$ld" -o "$out.tmp" .)
  mv "$out.tmp" "$out"
  echo "$h" >"$stamp"
  log "pulumi-language-nodejs: $("$out" -version) ($(du -h "$out" | cut -f1))"
}

# The dynamic-provider host that the upstream CLI distribution ships next to `pulumi`:
# resolves @pulumi/pulumi/cmd/dynamic-provider from the working directory (the project).
write_dynamic_provider_shim() {
  local out="$CLI_DIR/bin/pulumi-resource-pulumi-nodejs"
  cat >"$out.tmp" <<'SHIM'
#!/bin/sh
# Dynamic-provider host for Pulumi Node.js programs (same behaviour as the script shipped at
# the root of the @pulumi/pulumi npm package): runs the project's own
# @pulumi/pulumi/cmd/dynamic-provider, resolved from the current directory.
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
SHIM
  chmod +x "$out.tmp"; mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------------
# 3. pulumi-kubernetes provider plugin
# ---------------------------------------------------------------------------------
build_kubernetes() {
  local out="$K8S_DIR/bin/pulumi-resource-kubernetes"
  if [[ -x $out && -z ${FORCE:-} ]]; then
    log "pulumi-resource-kubernetes $K8S_PROVIDER_VERSION already built: $out"; return 0
  fi
  local mod="github.com/pulumi/pulumi-kubernetes/provider/v4"
  local w="$SRC_ROOT/pulumi-kubernetes-provider-v$K8S_PROVIDER_VERSION"
  local dir
  dir=$(cd "$SRC_ROOT" && go mod download -json "$mod@$K8S_PROVIDER_MODVER" | jq -r .Dir)
  [[ -d $dir ]] || die "could not download $mod@$K8S_PROVIDER_MODVER"
  rm -rf "$w"; cp -r "$dir" "$w"; chmod -R u+w "$w"
  log "provider source copied to $w"
  # replace sdk/v4 => ../sdk does not exist outside the upstream repo: use the served tag.
  (cd "$w" && go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
      -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_SDK_MODVER")
  # Upstream: `VERSION=<ver> go generate cmd/pulumi-resource-kubernetes/main.go`, which runs
  # generate.go: schema.json (+version) and terraform-mapping.json re-serialized compactly
  # into the *-embed.json files that main.go embeds.
  (cd "$w/cmd/pulumi-resource-kubernetes" && VERSION="$K8S_PROVIDER_VERSION" \
      timed k8s-generate go run -mod=mod generate.go)
  [[ -s $w/cmd/pulumi-resource-kubernetes/schema-embed.json && -s $w/cmd/pulumi-resource-kubernetes/terraform-mapping-embed.json ]] \
    || die "schema generation produced no embed files"
  # Resolve and download the provider's dependencies (timed apart from the compile).
  (cd "$w" && timed k8s-fetch go list -mod=mod -deps -f '{{.ImportPath}}' ./cmd/pulumi-resource-kubernetes)
  local ld="-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION"
  (cd "$w" && timed k8s-build go build -mod=mod -p "$GO_P" -trimpath -ldflags "$ld" \
      -o "$out.tmp" ./cmd/pulumi-resource-kubernetes)
  mv "$out.tmp" "$out"
  log "pulumi-resource-kubernetes built ($(du -h "$out" | cut -f1)); module disk $(( $(mod_disk "$w") / 1024 )) MB"
}

# Install the provider into $PULUMI_HOME/plugins as resource-kubernetes-v4.25.0, which is the
# exact version the @pulumi/kubernetes 4.25.0 npm package asks for.
install_plugins() {
  local pulumi="$CLI_DIR/bin/pulumi" bin="$K8S_DIR/bin/pulumi-resource-kubernetes"
  local dest="$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$K8S_PROVIDER_VERSION"
  [[ -x $pulumi && -x $bin ]] || die "build cli and kubernetes first"
  if [[ -x $dest/pulumi-resource-kubernetes && -z ${FORCE:-} ]] && cmp -s "$bin" "$dest/pulumi-resource-kubernetes"; then
    log "kubernetes plugin $K8S_PROVIDER_VERSION already installed in $PULUMI_HOME_DIR"; return 0
  fi
  PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
    "$pulumi" plugin install resource kubernetes "$K8S_PROVIDER_VERSION" --file "$bin" --reinstall
  log "installed: $(PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true "$pulumi" plugin ls 2>/dev/null | grep kubernetes || true)"
}

# Free the intermediate build state (Go build cache, copied sources: ~6 GB); the built
# binaries and the installed plugin stay. Later langhost changes then recompile sdk/v3 (~2 min).
clean() {
  chmod -R u+w "$SRC_ROOT" 2>/dev/null || true
  rm -rf "$GOCACHE" "$SRC_ROOT"
  log "removed $GOCACHE and $SRC_ROOT"
}

report() {
  log "disk use:"
  du -sh "$CLI_DIR" "$K8S_DIR" "$PULUMI_HOME_DIR" "$GOCACHE" "$SRC_ROOT" 2>/dev/null | sed 's/^/    /' >&2
  if [[ -f $STATS ]]; then
    log "build steps ($STATS):"
    column -t -s $'\t' "$STATS" 2>/dev/null | sed 's/^/    /' >&2 || cat "$STATS" >&2
  fi
}

main() {
  local targets=("$@")
  [[ ${#targets[@]} == 0 ]] && targets=(all)
  for t in "${targets[@]}"; do
    case $t in
      all) build_cli; build_langhost; write_dynamic_provider_shim; build_kubernetes; install_plugins; report ;;
      cli) build_cli ;;
      langhost) build_langhost; write_dynamic_provider_shim ;;
      kubernetes) build_kubernetes ;;
      plugins) install_plugins ;;
      report) report ;;
      clean) clean ;;
      *) die "unknown target $t" ;;
    esac
  done
}

main "$@"
