#!/usr/bin/env bash
# The dev stack from scratch: `scripts/dev.sh up` installs dependencies, makes sure a registry
# answers on localhost:5000 (starting one in Docker if none does), and runs `pulumi up` on the
# dev stack with a local file backend. `scripts/dev.sh destroy` removes the stack's resources
# and the registry container it started. Extra arguments go to pulumi.
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

registry_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' http://localhost:5000/v2/ || true)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

case "$action" in
  up)
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
    pulumi up --stack dev --yes "$@"
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
