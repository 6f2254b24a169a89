#!/usr/bin/env bash
# Provisions the test bed (scripts/testbed/up.sh) and runs end-to-end suites against it.
# Arguments are mocha spec files; by default every suite in test/e2e.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/testbed/up.sh
set -a
# shellcheck disable=SC1091
. "${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}/run/testbed.env"
set +a
[ -d node_modules ] || npm ci --no-audit --no-fund
[ $# -gt 0 ] || set -- test/e2e/*.e2e.ts
exec npx mocha --config .mocharc.e2e.json "$@"
