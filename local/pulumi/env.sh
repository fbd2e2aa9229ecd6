# Source this file (bash or zsh) to use the locally built Pulumi toolchain offline:
#
#   local/pulumi/build.sh              # once; builds into ~/.cache/progressive-delivery
#   . local/pulumi/env.sh [PROJECT_DIR]
#   cd PROJECT_DIR && pulumi stack init dev && pulumi up
#
# PROJECT_DIR (optional, default: $PWD if it has node_modules/@pulumi/pulumi) only adds that
# project's node_modules/@pulumi/pulumi to PATH; the dynamic-provider host shim next to the
# pulumi binary already resolves @pulumi/pulumi from the project directory by itself.
#
# Versions must match build.sh.
_pd_pulumi_version=v3.274.1
_pd_cache="${XDG_CACHE_HOME:-$HOME/.cache}/progressive-delivery"
_pd_bin="$_pd_cache/pulumi-$_pd_pulumi_version/bin"

if [ ! -x "$_pd_bin/pulumi" ] || [ ! -x "$_pd_bin/pulumi-language-nodejs" ]; then
  echo "env.sh: $_pd_bin/pulumi not built yet; run local/pulumi/build.sh" >&2
fi

# pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs live in one directory.
case ":$PATH:" in
  *":$_pd_bin:"*) ;;
  *) PATH="$_pd_bin:$PATH" ;;
esac

_pd_project="${1:-}"
if [ -z "$_pd_project" ] && [ -d "$PWD/node_modules/@pulumi/pulumi" ]; then
  _pd_project="$PWD"
fi
if [ -n "$_pd_project" ] && [ -d "$_pd_project/node_modules/@pulumi/pulumi" ]; then
  _pd_sdk="$(cd "$_pd_project/node_modules/@pulumi/pulumi" && pwd)"
  case ":$PATH:" in
    *":$_pd_sdk:"*) ;;
    *) PATH="$PATH:$_pd_sdk" ;;
  esac
fi
export PATH

# Plugins (resource-kubernetes-v4.25.0) are installed here by build.sh.
export PULUMI_HOME="$_pd_cache/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# Local state only: a file backend outside the repository, unless the caller chose one.
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$_pd_cache/pulumi-state"
  export PULUMI_BACKEND_URL="file://$_pd_cache/pulumi-state"
fi
# Encrypts stack secrets in the local state; a fixed default is fine for throwaway local stacks.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="progressive-delivery-local"
fi

unset _pd_pulumi_version _pd_cache _pd_bin _pd_project _pd_sdk
