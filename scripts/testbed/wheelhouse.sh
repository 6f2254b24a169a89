#!/usr/bin/env bash
# Download wheels for the base image's Python (CPython, manylinux x86_64)
# into a cache keyed by the requirements' hash, write a PEP 503 "simple"
# index for them and serve it over HTTP on the docker0 bridge address, which
# build containers (classic builder and BuildKit, bridge or host network)
# can reach. 127.0.0.1 is NOT reachable from bridge-network build steps.
#
# Usage: wheelhouse.sh REQUIREMENTS.txt   download (if needed) + serve
#        wheelhouse.sh stop                stop the server
#        wheelhouse.sh status
# After a start, $WHEELHOUSE_ENV_FILE holds WHEELHOUSE_DIR, PIP_INDEX_URL,
# PIP_FIND_LINKS, PIP_TRUSTED_HOST; pass them as --build-arg to docker build.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
close_inherited_fds

# ---- settings -------------------------------------------------------------
# The base image's python and glibc: BASE_PYTHON, BASE_GLIBC_MINOR in versions.sh (through lib.sh).
PY_VERSION="${PY_VERSION:-$BASE_PYTHON}"
PY_IMPL="${PY_IMPL:-cp}"
PY_ABI="${PY_ABI:-cp${PY_VERSION//./}}"
WHEEL_ARCH="${WHEEL_ARCH:-x86_64}"
GLIBC_MAX_MINOR="${GLIBC_MAX_MINOR:-$BASE_GLIBC_MINOR}"
HOST_PYTHON="${HOST_PYTHON:-python3}"            # runs pip download and the server
WHEELHOUSE_PORT="${WHEELHOUSE_PORT:-8765}"
WHEELHOUSE_BIND="${WHEELHOUSE_BIND:-}"           # empty = IPv4 of $BRIDGE_IF
BRIDGE_IF="${BRIDGE_IF:-docker0}"
WHEELHOUSE_ENV_FILE="${WHEELHOUSE_ENV_FILE:-$RUN_DIR/wheelhouse.env}"
WHEELHOUSE_PIDFILE="${WHEELHOUSE_PIDFILE:-$RUN_DIR/wheelhouse.pid}"
WHEELHOUSE_LOG="${WHEELHOUSE_LOG:-$RUN_DIR/wheelhouse.log}"
RECIPE_VERSION=1
# ---------------------------------------------------------------------------

platform_args() {
  local m
  for ((m = GLIBC_MAX_MINOR; m >= 17; m--)); do printf -- '--platform manylinux_2_%s_%s ' "$m" "$WHEEL_ARCH"; done
  printf -- '--platform manylinux2014_%s --platform manylinux2010_%s --platform manylinux1_%s' "$WHEEL_ARCH" "$WHEEL_ARCH" "$WHEEL_ARCH"
}

server_pid() {
  [ -f "$WHEELHOUSE_PIDFILE" ] || return 1
  local pid; pid="$(cat "$WHEELHOUSE_PIDFILE")"
  kill -0 "$pid" 2>/dev/null && grep -q http.server "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

stop_server() {
  local pid
  if pid="$(server_pid)"; then
    kill -TERM "$pid"; local i
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped wheelhouse server pid $pid"
  fi
  rm -f "$WHEELHOUSE_PIDFILE" "$WHEELHOUSE_ENV_FILE"
}

write_index() { # $1 = wheelhouse dir -> simple/<project>/index.html + index.html
  "$HOST_PYTHON" - "$1" <<'PY'
import hashlib, html, os, re, sys
root = sys.argv[1]
files = sorted(f for f in os.listdir(root) if f.endswith((".whl", ".tar.gz", ".zip")))
def project(fn):
    base = fn.split("-")[0] if fn.endswith(".whl") else fn.rsplit("-", 1)[0]
    return re.sub(r"[-_.]+", "-", base).lower()
def sha(fn):
    h = hashlib.sha256()
    with open(os.path.join(root, fn), "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()
links = {fn: f'<a href="{{prefix}}{html.escape(fn)}#sha256={sha(fn)}">{html.escape(fn)}</a><br>' for fn in files}
byproj = {}
for fn in files:
    byproj.setdefault(project(fn), []).append(fn)
page = lambda title, body: f"<!DOCTYPE html><html><head><title>{title}</title></head><body>\n{body}\n</body></html>\n"
os.makedirs(os.path.join(root, "simple"), exist_ok=True)
for p, fns in byproj.items():
    d = os.path.join(root, "simple", p); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "index.html"), "w").write(page(p, "\n".join(links[f].replace("{prefix}", "../../") for f in fns)))
open(os.path.join(root, "simple", "index.html"), "w").write(
    page("simple", "\n".join(f'<a href="{p}/">{p}</a><br>' for p in sorted(byproj))))
open(os.path.join(root, "index.html"), "w").write(page("wheelhouse", "\n".join(links[f].replace("{prefix}", "") for f in files)))
print(len(files))
PY
}

download() { # $1 = requirements file, $2 = target dir
  local req="$1" dir="$2" tmp="$2.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"
  log "pip download (CPython $PY_VERSION, abi $PY_ABI, manylinux_2_17..2_${GLIBC_MAX_MINOR} $WHEEL_ARCH, binary only) -> $dir"
  # shellcheck disable=SC2046
  if ! "$HOST_PYTHON" -m pip download --quiet --disable-pip-version-check --no-cache-dir \
        --dest "$tmp" --only-binary=:all: --implementation "$PY_IMPL" --python-version "$PY_VERSION" \
        --abi "$PY_ABI" --abi abi3 --abi none $(platform_args) -r "$req" >"$tmp.log" 2>&1; then
    # Some requirement has no matching wheel. If this host's python matches the
    # image (same minor version, glibc x86_64), build the missing wheels here.
    local hostver; hostver="$("$HOST_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ "$hostver" = "$PY_VERSION" ] && [ "$(uname -m)" = "$WHEEL_ARCH" ] || {
      cat "$tmp.log" >&2; die "binary-only pip download failed and host python $hostver cannot build $PY_VERSION wheels"; }
    log "binary-only download failed (see $tmp.log); building missing wheels with host python $hostver"
    "$HOST_PYTHON" -m pip wheel --quiet --disable-pip-version-check --prefer-binary \
        --wheel-dir "$tmp" -r "$req" >>"$tmp.log" 2>&1 || { tail -n 30 "$tmp.log" >&2; die "pip wheel -r $req failed"; }
  fi
  local n; n="$(write_index "$tmp")" || die "writing the simple index failed"
  mv "$tmp.log" "$tmp/pip.log"
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$n distribution file(s) in $dir"
}

serve() { # $1 = dir
  local dir="$1" bind="$WHEELHOUSE_BIND"
  if [ -z "$bind" ]; then
    bind="$(ip -4 -o addr show dev "$BRIDGE_IF" 2>/dev/null | awk '{split($4,a,"/"); print a[1]; exit}')"
    [ -n "$bind" ] || die "no IPv4 address on $BRIDGE_IF (is dockerd running? run docker-engine.sh) - or set WHEELHOUSE_BIND"
  fi
  local url="http://$bind:$WHEELHOUSE_PORT"
  local pid
  if pid="$(server_pid)"; then
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--directory $dir --bind $bind $WHEELHOUSE_PORT"; then
      log "already serving $dir at $url (pid $pid)"
    else
      log "server pid $pid serves another dir/address; restarting"; stop_server
    fi
  fi
  if ! server_pid >/dev/null; then
    if curl -s --noproxy '*' -o /dev/null --max-time 2 "$url/" 2>/dev/null; then
      die "$url already answers but is not our server; set WHEELHOUSE_PORT"
    fi
    local py; py="$(command -v "$HOST_PYTHON")" || die "$HOST_PYTHON not found"
    mkdir -p "$RUN_DIR"
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$WHEELHOUSE_PIDFILE" \
      "$py" -m http.server --directory "$dir" --bind "$bind" "$WHEELHOUSE_PORT" >>"$WHEELHOUSE_LOG" 2>&1 </dev/null &
    local i ok=""
    for ((i = 0; i < 50; i++)); do
      if curl -sf --noproxy '*' -o /dev/null --max-time 2 "$url/simple/"; then ok=1; break; fi
      sleep 0.2
    done
    [ -n "$ok" ] || { tail -n 5 "$WHEELHOUSE_LOG" >&2; die "http.server on $url did not answer (log: $WHEELHOUSE_LOG)"; }
    log "serving $dir at $url (pid $(cat "$WHEELHOUSE_PIDFILE"), log $WHEELHOUSE_LOG)"
  fi
  env_write "$WHEELHOUSE_ENV_FILE" <<EOF
WHEELHOUSE_DIR=$dir
WHEELHOUSE_URL=$url/
PIP_INDEX_URL=$url/simple/
PIP_FIND_LINKS=$url/
PIP_TRUSTED_HOST=$bind
EOF
  log "build args in $WHEELHOUSE_ENV_FILE: PIP_INDEX_URL=$url/simple/ PIP_TRUSTED_HOST=$bind (also PIP_FIND_LINKS=$url/)"
}

case "${1:-}" in
  "" | -h | --help) sed -n '2,13p' "$0"; exit 2 ;;
  stop) stop_server; exit 0 ;;
  status) pid="$(server_pid)" || die "not running"; echo "pid $pid"; cat "$WHEELHOUSE_ENV_FILE"; exit 0 ;;
esac

REQ="$1"
[ -r "$REQ" ] || die "requirements file '$REQ' not readable"
command -v "$HOST_PYTHON" >/dev/null || die "$HOST_PYTHON not found"
command -v curl >/dev/null || die "curl not found"
HASH="$( { echo "$RECIPE_VERSION $PY_IMPL $PY_VERSION $PY_ABI $WHEEL_ARCH $GLIBC_MAX_MINOR"; cat "$REQ"; } | sha256sum | cut -c1-16)"
DIR="$CACHE_ROOT/wheelhouse-$HASH"
if [ -f "$DIR/simple/index.html" ]; then
  log "cached: $DIR"
else
  download "$REQ" "$DIR"
fi
serve "$DIR"
