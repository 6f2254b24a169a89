#!/usr/bin/env bash
# Provisions the test bed and runs the benchmarks; `--write` updates BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/testbed/up.sh
set -a
# shellcheck disable=SC1091
. "${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}/run/testbed.env"
set +a
[ -d node_modules ] || npm ci --no-audit --no-fund
exec npx ts-node benchmarks/image.ts "$@"
