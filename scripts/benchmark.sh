#!/usr/bin/env bash
# Runs a benchmark against the test bed: `image` (build, push, size, throughput; the default) or
# `pulumi` (Pulumi operations per target against an empty program). `--write` updates
# BENCHMARKS.md.
set -euo pipefail
which=image
case "${1:-}" in image | pulumi) which=$1 && shift ;; esac
exec "$(dirname "$0")/testbed/run.sh" npx ts-node "benchmarks/$which.ts" "$@"
