#!/usr/bin/env bash
# Runs a benchmark against the test bed: `image` (build, push, size, throughput; the default),
# `pulumi` (Pulumi operations per target against an empty program) or `inner-loop` (from a save
# to the new code answering, watch mode against `pulumi watch`). `--write` updates BENCHMARKS.md.
set -euo pipefail
which=image
case "${1:-}" in image | pulumi) which=$1 && shift ;; inner-loop) which=innerLoop && shift ;; esac
exec "$(dirname "$0")/testbed/run.sh" npx ts-node "benchmarks/$which.ts" "$@"
