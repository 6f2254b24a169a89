#!/usr/bin/env bash
# Runs the Flask app's pytest suite in a virtual environment kept in .venv/.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.requirements.sha256"
want=$(cat app/requirements.txt app/requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --requirement app/requirements-dev.txt
  echo "$want" >"$stamp"
fi
exec "$venv/bin/python" -m pytest -q test/app "$@"
