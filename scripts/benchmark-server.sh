#!/usr/bin/env bash
# Benchmarks the app servers (benchmarks/server.py), `--write` puts the figures in BENCHMARKS.md:
#   scripts/benchmark-server.sh [--rounds N] [--seconds S] [--write]         on this machine's cores
#   scripts/benchmark-server.sh image [--rounds N] [--seconds S] [--write]   the built image, on the test bed
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. scripts/lib.sh

mode=host
case "${1:-}" in host | image) mode=$1 && shift ;; esac

command -v wrk >/dev/null || apt_install wrk

# The candidates' packages, in a venv outside the repo keyed by the requirements it holds.
venv=$CACHE_ROOT/bench-venv
want=$(cat app/requirements.txt benchmarks/requirements.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --requirement benchmarks/requirements.txt
  echo "$want" >"$venv/.requirements.sha256"
fi

if [ "$mode" = image ]; then
  exec scripts/testbed/run.sh "$venv/bin/python" benchmarks/server.py image "$@"
fi
exec "$venv/bin/python" benchmarks/server.py host "$@"
