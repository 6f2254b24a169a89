#!/usr/bin/env bash
# Benchmarks the app servers (benchmarks/server.py), `--write` puts the figures in BENCHMARKS.md:
#   scripts/benchmark-server.sh [--rounds N] [--seconds S] [--write]         on this machine's cores
#   scripts/benchmark-server.sh image [--rounds N] [--seconds S] [--write]   the built image, on the test bed
set -euo pipefail
cd "$(dirname "$0")/.."

mode=host
case "${1:-}" in host | image) mode=$1 && shift ;; esac

if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "benchmark-server: needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
  apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

# The candidates' packages, in a venv outside the repo keyed by the requirements it holds.
venv=${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}/bench-venv
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
