#!/usr/bin/env bash
# Build (once) the binaries of the local embedded control plane from the Go module proxy:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd                                                              (go.etcd.io/etcd/server/v3)
#   kwok + its stage configs                                          (sigs.k8s.io/kwok)
#
# Binaries are cached outside the repo, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery/k8s-<ver>/bin/
#   ${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery/etcd-<ver>/bin/
#   ${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery/kwok-<ver>/bin/ (+ stages/)
# Each version dir holds the generated wrapper Go module (src/), build logs (logs/) and
# build-metrics.tsv (wall time, peak RSS, binary size of the cold build).
#
# Usage: build.sh [all|k8s|etcd|kwok]...   (default: all; already-built binaries are skipped)
#        build.sh --print-paths            (print the bin dirs, for cluster.sh)
#        build.sh clean-gocache            (delete our Go build cache, ~3.7 GB; binaries stay)
# Env:   K8S_VERSION (v1.36.3) ETCD_VERSION (v3.6.16) KWOK_VERSION (v0.8.0)
#        BUILD_PARALLELISM (2) FORCE=1 (rebuild)
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
BUILD_PARALLELISM=${BUILD_PARALLELISM:-2}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery

K8S_DIR=$CACHE_ROOT/k8s-$K8S_VERSION
ETCD_DIR=$CACHE_ROOT/etcd-$ETCD_VERSION
KWOK_DIR=$CACHE_ROOT/kwok-$KWOK_VERSION

if [[ ${1:-} == --print-paths ]]; then
  echo "K8S_VERSION=$K8S_VERSION"
  echo "K8S_BIN=$K8S_DIR/bin"
  echo "ETCD_BIN=$ETCD_DIR/bin"
  echo "KWOK_BIN=$KWOK_DIR/bin"
  echo "KWOK_STAGES=$KWOK_DIR/stages"
  exit 0
fi

# Use the Go on this machine (never fetch a toolchain), static binaries like upstream releases,
# and a build cache of our own so the disk it takes is visible and removable.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS=-mod=mod
export GOCACHE=${PD_GOCACHE:-$CACHE_ROOT/go-build-cache}

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go not found on PATH (need Go >= 1.26)"
TIME_BIN=/usr/bin/time
if ! "$TIME_BIN" -v true >/dev/null 2>&1; then
  log "/usr/bin/time missing: installing Debian package 'time'"
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi


# timed_build DIR NAME OUTPUT PKG LDFLAGS
# Builds PKG from the wrapper module in DIR/src into OUTPUT, recording wall time and peak RSS.
timed_build() {
  local dir=$1 name=$2 out=$3 pkg=$4 ldflags=$5
  if [[ -x $out && ${FORCE:-0} != 1 ]]; then
    log "$name: cached at $out"
    return 0
  fi
  mkdir -p "$dir/logs" "$(dirname "$out")"
  log "$name: building $pkg (log: $dir/logs/$name.log)"
  local tfile=$dir/logs/$name.time
  if ! (cd "$dir/src" && "$TIME_BIN" -v -o "$tfile" \
        go build -p "$BUILD_PARALLELISM" -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg") \
        >"$dir/logs/$name.log" 2>&1; then
    tail -30 "$dir/logs/$name.log" >&2
    die "$name: go build failed (module/package $pkg); full log: $dir/logs/$name.log"
  fi
  mv -f "$out.tmp" "$out"
  local wall rss size
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$tfile")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tfile")
  size=$(du -h "$out" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$((rss / 1024))MiB" "$size" "$(date -u +%FT%TZ)" \
    >>"$dir/build-metrics.tsv"
  log "$name: done in $wall, peak RSS $((rss / 1024)) MiB, binary $size"
}

# init_wrapper DIR MODULE VERSION TOOLPKG...
# Creates DIR/src/go.mod requiring MODULE@VERSION with `tool` lines for the packages to build.
init_wrapper() {
  local dir=$1 mod=$2 ver=$3; shift 3
  mkdir -p "$dir/src"
  if [[ -f $dir/src/.ready && ${FORCE:-0} != 1 ]]; then return 0; fi
  rm -f "$dir/src/go.mod" "$dir/src/go.sum" "$dir/src/.ready"
  local name
  name=$(basename "$dir")
  (cd "$dir/src" && go mod init "local.build/progressive-delivery/${name//./-}" >/dev/null 2>&1 &&
    go mod edit -go=1.26.0 -require="$mod@$ver")
  echo "$@" >"$dir/src/tools.txt"
  local t
  for t in "$@"; do (cd "$dir/src" && go mod edit -tool="$t"); done
}

finish_wrapper() {
  local dir=$1
  [[ -f $dir/src/.ready && ${FORCE:-0} != 1 ]] && return 0
  log "$(basename "$dir"): go mod tidy (downloads modules on first run)"
  (cd "$dir/src" && go mod tidy) >"$dir/logs/tidy.log" 2>&1 || {
    tail -30 "$dir/logs/tidy.log" >&2
    die "$(basename "$dir"): go mod tidy failed; see $dir/logs/tidy.log"
  }
  touch "$dir/src/.ready"
}

origin_hash() { # MODULE@VERSION -> VCS commit recorded by the proxy (may be empty)
  (cd "$1/src" && go mod download -json "$2" 2>/dev/null) |
    sed -n 's/.*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' | head -1
}

build_k8s() {
  local dir=$K8S_DIR ver=$K8S_VERSION
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local c need=0
  for c in "${cmds[@]}"; do [[ -x $dir/bin/$c ]] || need=1; done
  if [[ $need == 0 && ${FORCE:-0} != 1 ]]; then log "k8s $ver: all binaries cached in $dir/bin"; return 0; fi
  mkdir -p "$dir/logs"
  init_wrapper "$dir" k8s.io/kubernetes "$ver" "${cmds[@]/#/k8s.io/kubernetes/cmd/}"
  if [[ ! -f $dir/src/.ready || ${FORCE:-0} == 1 ]]; then
    # k8s.io/kubernetes requires its staging modules at v0.0.0 with `replace => ./staging/...`.
    # Replace each with its published tag v0.MINOR.PATCH, listed from the downloaded go.mod.
    local gomod staging_ver n=0 m
    gomod=$(cd "$dir/src" && go mod download -json "k8s.io/kubernetes@$ver" |
      sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [[ -f $gomod ]] || die "could not download k8s.io/kubernetes@$ver go.mod"
    staging_ver=v0.${ver#v1.}
    while read -r m; do
      (cd "$dir/src" && go mod edit -replace="$m=$m@$staging_ver")
      n=$((n + 1))
    done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod")
    (( n > 0 )) || die "no staging replaces found in $gomod"
    # also honour kubernetes' godebug default
    grep -q '^godebug default=' "$gomod" &&
      (cd "$dir/src" && go mod edit -godebug="default=$(sed -n 's/^godebug default=//p' "$gomod")")
    log "k8s $ver: replaced $n staging modules with $staging_ver"
  fi
  finish_wrapper "$dir"
  local minor=${ver#v1.}; minor=${minor%%.*}
  local commit; commit=$(origin_hash "$dir" "k8s.io/kubernetes@$ver")
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w" key val
  for kv in "gitVersion=$ver" "gitMajor=1" "gitMinor=$minor" "gitTreeState=clean" \
            "gitCommit=${commit:-}" "buildDate=$date"; do
    key=${kv%%=*}; val=${kv#*=}
    ld+=" -X k8s.io/component-base/version.$key=$val -X k8s.io/client-go/pkg/version.$key=$val"
  done
  for c in "${cmds[@]}"; do
    timed_build "$dir" "$c" "$dir/bin/$c" "k8s.io/kubernetes/cmd/$c" "$ld"
  done
}

build_etcd() {
  local dir=$ETCD_DIR ver=$ETCD_VERSION
  if [[ -x $dir/bin/etcd && ${FORCE:-0} != 1 ]]; then log "etcd $ver: cached in $dir/bin"; return 0; fi
  mkdir -p "$dir/logs"
  # server/v3's root package is etcd's main (it calls etcdmain.Main): build it directly.
  init_wrapper "$dir" go.etcd.io/etcd/server/v3 "$ver" go.etcd.io/etcd/server/v3
  finish_wrapper "$dir"
  local commit; commit=$(origin_hash "$dir" "go.etcd.io/etcd/server/v3@$ver")
  timed_build "$dir" etcd "$dir/bin/etcd" go.etcd.io/etcd/server/v3 \
    "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:10}"
}

build_kwok() {
  local dir=$KWOK_DIR ver=$KWOK_VERSION
  mkdir -p "$dir/logs"
  if [[ ! -x $dir/bin/kwok || ! -d $dir/stages || ${FORCE:-0} == 1 ]]; then
    init_wrapper "$dir" sigs.k8s.io/kwok "$ver" sigs.k8s.io/kwok/cmd/kwok
    finish_wrapper "$dir"
  fi
  local kube; kube=$(sed -n 's/^\tk8s.io\/client-go v0\.\([0-9.]*\).*/1.\1/p' "$dir/src/go.mod" 2>/dev/null | head -1)
  timed_build "$dir" kwok "$dir/bin/kwok" sigs.k8s.io/kwok/cmd/kwok \
    "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${ver#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=v${kube:-1.36.1}"
  if [[ ! -d $dir/stages || ${FORCE:-0} == 1 ]]; then
    # Stage configs (node/pod lifecycle) ship in the module under kustomize/stage/.
    local moddir
    moddir=$(cd "$dir/src" && go mod download -json "sigs.k8s.io/kwok@$ver" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    rm -rf "$dir/stages.tmp" && mkdir -p "$dir/stages.tmp"
    cp -r "$moddir/kustomize/stage/." "$dir/stages.tmp/"
    chmod -R u+w "$dir/stages.tmp"
    mv "$dir/stages.tmp" "$dir/stages"
    log "kwok $ver: stage configs copied to $dir/stages"
  fi
}

targets=("$@")
(( ${#targets[@]} )) || targets=(all)
mkdir -p "$CACHE_ROOT"
for t in "${targets[@]}"; do
  case $t in
    all) build_etcd; build_kwok; build_k8s ;;
    k8s) build_k8s ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    clean-gocache) rm -rf "$GOCACHE"; log "removed $GOCACHE" ;;
    *) die "unknown target '$t' (all|k8s|etcd|kwok|clean-gocache|--print-paths)" ;;
  esac
done
log "binaries: $K8S_DIR/bin $ETCD_DIR/bin $KWOK_DIR/bin"
