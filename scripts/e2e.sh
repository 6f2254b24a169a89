#!/usr/bin/env bash
# Runs end-to-end suites against the test bed. Arguments are mocha spec files; by default every
# suite in test/e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- test/e2e/*.e2e.ts
exec scripts/testbed/run.sh npx mocha --config .mocharc.e2e.json "$@"
