#!/usr/bin/env bash
# Runs the image benchmark against the test bed; `--write` updates BENCHMARKS.md.
set -euo pipefail
exec "$(dirname "$0")/testbed/run.sh" npx ts-node benchmarks/image.ts "$@"
