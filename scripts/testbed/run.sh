#!/usr/bin/env bash
# Provisions the test bed (up.sh), then runs a command in its environment:
#   scripts/testbed/run.sh npx mocha --config .mocharc.e2e.json test/e2e/image.e2e.ts
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$root/scripts/lib.sh"

"$root/scripts/testbed/up.sh"
# The command runs in the test bed's environment: every variable of the file, exported.
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/testbed.env"
set +a
cd "$root"
[ -d node_modules ] || npm ci --no-audit --no-fund
exec "$@"
