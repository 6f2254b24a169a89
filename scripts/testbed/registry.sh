#!/usr/bin/env bash
# Local OCI/Docker registry (Debian's docker-registry = distribution 2.x) on
# 127.0.0.1:5001 (TESTBED_REGISTRY_* in lib.sh) with htpasswd (bcrypt) auth, run as a plain background
# process (no systemd).
#
# Usage: registry.sh [start|stop|restart|status|verify]
#   start   (default) install packages if missing; if our registry is already
#           running and healthy, keep it (and its credentials); otherwise
#           generate fresh random credentials, a temp storage dir, start it
#           and wait until GET /v2/ answers 401.
#   restart stop + start (rotates credentials, wipes the temp storage).
#   stop    kill the registry started by this script, remove its temp storage
#           and the credentials file.
#   status  print pid, address and where the credentials are.
#   verify  docker login via 127.0.0.1:5001 and localhost:5001, push a tiny
#           image through both names, pull it back, logout (uses a throwaway
#           DOCKER_CONFIG so ~/.docker/config.json is not touched).
#
# Credentials: $REGISTRY_ENV_FILE (mode 600) with REGISTRY_SERVER,
# REGISTRY_USERNAME, REGISTRY_PASSWORD. Load with: set -a; . FILE; set +a
# The password is never printed.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
close_inherited_fds

# ---- settings -------------------------------------------------------------
REGISTRY_HOST="${REGISTRY_HOST:-$TESTBED_REGISTRY_HOST}"
REGISTRY_PORT="${REGISTRY_PORT:-$TESTBED_REGISTRY_PORT}"
REGISTRY_APT_PACKAGES="${REGISTRY_APT_PACKAGES:-docker-registry apache2-utils curl}"
REGISTRY_BIN="${REGISTRY_BIN:-docker-registry}"
REGISTRY_ENV_FILE="${REGISTRY_ENV_FILE:-$RUN_DIR/registry.env}"
REGISTRY_STATE_DIR="${REGISTRY_STATE_DIR:-$RUN_DIR/registry}"   # config, htpasswd, pid, log
REGISTRY_TMP_PARENT="${REGISTRY_TMP_PARENT:-/var/tmp}"           # storage = mktemp -d here
REGISTRY_WAIT_SECS="${REGISTRY_WAIT_SECS:-30}"
REGISTRY_USER_PREFIX="${REGISTRY_USER_PREFIX:-ci}"
VERIFY_IMAGE_NAME="${VERIFY_IMAGE_NAME:-testbed/registry-smoke}"
# ---------------------------------------------------------------------------

REGISTRY_SERVER="$REGISTRY_HOST:$REGISTRY_PORT"
PIDFILE="$REGISTRY_STATE_DIR/registry.pid"
LOGFILE="$REGISTRY_STATE_DIR/registry.log"
CONFIG="$REGISTRY_STATE_DIR/config.yml"
HTPASSWD="$REGISTRY_STATE_DIR/htpasswd"
STORAGE_PTR="$REGISTRY_STATE_DIR/storage-dir"

install_deps() {
  local absent=""
  command -v "$REGISTRY_BIN" >/dev/null 2>&1 || absent=1
  command -v htpasswd >/dev/null 2>&1 || absent=1
  command -v curl >/dev/null 2>&1 || absent=1
  [ -z "$absent" ] && return 0
  # shellcheck disable=SC2086
  apt_install $REGISTRY_APT_PACKAGES
  # The package ships an init script/unit; make sure no packaged instance
  # grabbed the port (harmless where neither systemd nor sysv-rc runs).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
}

our_pid() { # prints pid if our registry process is alive
  [ -f "$PIDFILE" ] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$CONFIG" || return 1
  echo "$pid"
}

v2_code() { # HTTP status of GET /v2/ (optionally with -K curl config on stdin)
  curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 3 "$@" "http://$REGISTRY_SERVER/v2/" 2>/dev/null || true
}

curl_auth_cfg() { # curl config carrying the credentials (keeps them off argv)
  printf 'user = "%s:%s"\n' "$REGISTRY_USERNAME" "$REGISTRY_PASSWORD"
}

healthy_with_env() {
  [ -f "$REGISTRY_ENV_FILE" ] || return 1
  local creds
  creds=$(env_get "$REGISTRY_ENV_FILE" REGISTRY_USERNAME REGISTRY_PASSWORD) || return 1
  { read -r REGISTRY_USERNAME; read -r REGISTRY_PASSWORD; } <<<"$creds"
  [ "$(v2_code)" = 401 ] || return 1
  [ "$(curl_auth_cfg | v2_code -K -)" = 200 ]
}

rand_hex() { # n bytes -> hex
  if command -v openssl >/dev/null 2>&1; then openssl rand -hex "$1"
  else od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; fi
}

start_registry() {
  install_deps
  mkdir -p "$RUN_DIR" "$REGISTRY_STATE_DIR"
  chmod 700 "$REGISTRY_STATE_DIR"
  if our_pid >/dev/null && healthy_with_env; then
    log "already running (pid $(our_pid)) on $REGISTRY_SERVER; credentials in $REGISTRY_ENV_FILE"
    return 0
  fi
  # Something of ours is running but unhealthy, or a stale leftover: clean up.
  stop_registry quiet
  local code; code="$(v2_code)"
  if [ "$code" != 000 ]; then
    die "port $REGISTRY_SERVER already answers HTTP $code and it is not our registry; free it or set REGISTRY_PORT"
  fi

  local storage user pass secret
  storage="$(mktemp -d "$REGISTRY_TMP_PARENT/flaskapp-registry.XXXXXX")" || die "mktemp storage dir failed"
  echo "$storage" >"$STORAGE_PTR"
  user="${REGISTRY_USER_PREFIX}-$(rand_hex 4)"
  pass="$(rand_hex 24)"
  secret="$(rand_hex 32)"

  umask 077
  # bcrypt (-B), password from stdin (-i) so it never appears on argv
  printf '%s\n' "$pass" | htpasswd -B -i -c "$HTPASSWD" "$user" 2>/dev/null \
    || die "htpasswd (apache2-utils) failed to write $HTPASSWD"
  cat >"$CONFIG" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_SERVER
  secret: $secret
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: flaskapp-testbed
    path: $HTPASSWD
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  umask 022
  env_write "$REGISTRY_ENV_FILE" <<EOF
REGISTRY_SERVER=$REGISTRY_SERVER
REGISTRY_URL=http://$REGISTRY_SERVER
REGISTRY_USERNAME=$user
REGISTRY_PASSWORD=$pass
REGISTRY_STORAGE_DIR=$storage
EOF

  log "starting $REGISTRY_BIN on $REGISTRY_SERVER (storage $storage, log $LOGFILE)"
  # setsid: own session so it survives this shell; exec keeps the pid.
  setsid bash -c 'echo $$ >"$1"; exec "$2" serve "$3"' _ "$PIDFILE" "$REGISTRY_BIN" "$CONFIG" \
    >>"$LOGFILE" 2>&1 </dev/null &
  local i
  for ((i = 0; i < REGISTRY_WAIT_SECS * 5; i++)); do
    code="$(v2_code)"
    [ "$code" = 401 ] && break
    if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      tail -n 20 "$LOGFILE" >&2 || true; die "$REGISTRY_BIN exited during startup (log: $LOGFILE)"
    fi
    sleep 0.2
  done
  [ "$code" = 401 ] || { tail -n 20 "$LOGFILE" >&2 || true; die "GET http://$REGISTRY_SERVER/v2/ did not answer 401 within ${REGISTRY_WAIT_SECS}s (last: $code)"; }
  REGISTRY_USERNAME="$user" REGISTRY_PASSWORD="$pass"
  [ "$(curl_auth_cfg | v2_code -K -)" = 200 ] || die "GET /v2/ with the generated credentials did not answer 200"
  log "ready: /v2/ -> 401 anonymous, 200 authenticated; credentials in $REGISTRY_ENV_FILE (mode 600)"
}

stop_registry() {
  local quiet="${1:-}" pid
  if pid="$(our_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i; for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && die "registry pid $pid did not exit"
    [ -n "$quiet" ] || log "stopped registry pid $pid"
  elif [ -z "$quiet" ]; then
    log "no registry of ours running"
  fi
  rm -f "$PIDFILE"
  if [ -f "$STORAGE_PTR" ]; then
    local d; d="$(cat "$STORAGE_PTR")"
    case "$d" in "$REGISTRY_TMP_PARENT"/flaskapp-registry.*) rm -rf "$d" ;; esac
    rm -f "$STORAGE_PTR"
  fi
  rm -f "$REGISTRY_ENV_FILE" "$HTPASSWD"
}

status_registry() {
  local pid
  pid="$(our_pid)" || die "registry not running (run: $0 start)"
  echo "registry pid $pid on http://$REGISTRY_SERVER; /v2/ -> $(v2_code); credentials: $REGISTRY_ENV_FILE"
}

verify_registry() {
  command -v docker >/dev/null 2>&1 || die "docker CLI missing"
  docker info >/dev/null 2>&1 || die "docker engine not answering (run docker-engine.sh first)"
  healthy_with_env || die "registry not healthy or $REGISTRY_ENV_FILE missing (run: $0 start)"
  local cfg tag ctx rc=0
  cfg="$(mktemp -d)"; ctx="$(mktemp -d)"
  tag="v$(date +%s)"
  VERIFY_CLEANUP=("$cfg" "$ctx")
  trap 'rm -rf "${VERIFY_CLEANUP[@]}"' EXIT
  # tiny image without any registry: a one-file rootfs through docker import
  echo "registry smoke $tag" >"$ctx/hello.txt"
  tar -C "$ctx" -c . | docker import - "$VERIFY_IMAGE_NAME:$tag" >/dev/null || die "docker import of smoke image failed"
  local host
  for host in "$REGISTRY_HOST:$REGISTRY_PORT" "localhost:$REGISTRY_PORT"; do
    printf '%s' "$REGISTRY_PASSWORD" | DOCKER_CONFIG="$cfg" docker login -u "$REGISTRY_USERNAME" --password-stdin "$host" >/dev/null 2>&1 \
      || die "docker login $host failed"
    log "docker login $host: OK"
    docker tag "$VERIFY_IMAGE_NAME:$tag" "$host/$VERIFY_IMAGE_NAME:$tag"
    DOCKER_CONFIG="$cfg" docker push "$host/$VERIFY_IMAGE_NAME:$tag" >/dev/null 2>&1 || die "docker push $host/$VERIFY_IMAGE_NAME:$tag failed"
    docker rmi "$host/$VERIFY_IMAGE_NAME:$tag" >/dev/null
    DOCKER_CONFIG="$cfg" docker pull "$host/$VERIFY_IMAGE_NAME:$tag" >/dev/null 2>&1 || die "docker pull $host/$VERIFY_IMAGE_NAME:$tag failed"
    docker rmi "$host/$VERIFY_IMAGE_NAME:$tag" >/dev/null
    log "push + pull via $host: OK"
    DOCKER_CONFIG="$cfg" docker logout "$host" >/dev/null 2>&1 || true
  done
  # anonymous push must be refused
  docker tag "$VERIFY_IMAGE_NAME:$tag" "$REGISTRY_SERVER/$VERIFY_IMAGE_NAME:anon"
  DOCKER_CONFIG="$cfg" docker push "$REGISTRY_SERVER/$VERIFY_IMAGE_NAME:anon" >/dev/null 2>&1 && rc=1
  docker rmi "$REGISTRY_SERVER/$VERIFY_IMAGE_NAME:anon" "$VERIFY_IMAGE_NAME:$tag" >/dev/null 2>&1 || true
  [ "$rc" = 0 ] || die "anonymous push was accepted; auth is not enforced"
  log "anonymous push refused: OK"
  curl_auth_cfg | curl -s --noproxy '*' -K - "http://$REGISTRY_SERVER/v2/_catalog" | sed 's/^/[registry] catalog: /' >&2
}

case "${1:-start}" in
  start) start_registry; status_registry ;;
  restart) stop_registry; start_registry; status_registry ;;
  stop) stop_registry ;;
  status) status_registry ;;
  verify) verify_registry ;;
  *) die "unknown subcommand '$1' (use start|stop|restart|status|verify)" ;;
esac
