#!/usr/bin/env bash
# The dev stack from scratch: `scripts/dev.sh up` installs dependencies, makes sure a registry
# answers on localhost:5000 (starting one in Docker if none does), and runs `pulumi up` on the
# dev stack with a local file backend; with `--watch` it then follows app/ (tools/devWatch.ts).
# `scripts/dev.sh destroy` removes the stack's resources and the registry container it started.
# Other arguments go to pulumi.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. scripts/lib.sh
# shellcheck source=ensure-node.sh
. scripts/ensure-node.sh

action=${1:-up}
shift || true
registry_container=flask-app-dev-registry
registry_image=registry:2.8.3
state_dir=$PWD/.pulumi-local

for tool in node npm docker pulumi curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (see README.md)"
done

# A local file backend: no account needed. State and the passphrase stay in .pulumi-local/.
mkdir -p "$state_dir/state"
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$state_dir/state}
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$state_dir/passphrase" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 >"$state_dir/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE=$state_dir/passphrase
fi
export PULUMI_SKIP_UPDATE_CHECK=true

registry_status() { curl -s -o /dev/null -w '%{http_code}' http://localhost:5000/v2/ || true; }
registry_answers() { case "$(registry_status)" in 200 | 401) return 0 ;; esac; return 1; }
ours_running() { [ "$(docker inspect -f '{{.State.Running}}' "$registry_container" 2>/dev/null)" = true ]; }

case "$action" in
  up)
    watch=false
    pulumi_args=()
    for arg in "$@"; do
      if [ "$arg" = --watch ]; then watch=true; else pulumi_args+=("$arg"); fi
    done
    [ -d node_modules ] || npm ci --no-audit --no-fund
    if ! registry_answers; then
      log "no registry on localhost:5000; starting $registry_image as $registry_container"
      docker rm -f "$registry_container" >/dev/null 2>&1 || true
      docker run -d --name "$registry_container" --restart unless-stopped \
        -p 127.0.0.1:5000:5000 "$registry_image" >/dev/null
      for _ in $(seq 1 30); do registry_answers && break; sleep 1; done
      registry_answers || die "the registry did not answer on localhost:5000"
    fi
    pulumi stack select dev 2>/dev/null || pulumi stack init dev
    # A registry that asks for credentials and is not ours would refuse the push, minutes in.
    if [ "$(registry_status)" = 401 ] && ! ours_running \
      && [ -z "$(pulumi config get registryUsername --stack dev 2>/dev/null)" ]; then
      die "the registry on localhost:5000 asks for credentials, and it is not the one this script starts ($registry_container). Either give the dev stack its credentials (pulumi config set registryUsername NAME, then pulumi config set --secret registryPassword), or stop what listens on localhost:5000 so that npm run dev starts its own"
    fi
    # (Written so that bash 3.2, macOS's, takes an empty list under set -u.)
    pulumi up --stack dev --yes ${pulumi_args[@]+"${pulumi_args[@]}"}
    if $watch; then
      exec npx ts-node --transpile-only tools/devWatch.ts app
    fi
    ;;
  destroy)
    pulumi destroy --stack dev --yes "$@"
    if docker rm -f "$registry_container" >/dev/null 2>&1; then log "removed $registry_container"; fi
    ;;
  *)
    echo "usage: scripts/dev.sh [up|destroy] [pulumi arguments...]" >&2
    exit 2
    ;;
esac
