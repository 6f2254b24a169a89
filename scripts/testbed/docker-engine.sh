#!/usr/bin/env bash
# Install (if needed) and start a Docker engine without systemd.
#
# Usage: docker-engine.sh [start|stop|status|check]
#   start  (default) install docker.io if dockerd is missing, start dockerd in
#          the background if `docker info` fails, wait until it answers.
#   stop   stop the dockerd started by this script (pidfile based).
#   status print engine facts (version, storage driver, cgroup version).
#   check  probe what containers can do here (needs CHECK_IMAGE, built by
#          base-image.sh): run, --memory/--cpus, --read-only, --cap-drop ALL,
#          --user 10001, HEALTHCHECK, outbound network from the bridge.
#
# Environment overrides: see the variables below.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
close_inherited_fds

# ---- settings -------------------------------------------------------------
DOCKER_APT_PACKAGES="${DOCKER_APT_PACKAGES:-docker.io}"
DOCKERD_LOG="${DOCKERD_LOG:-$RUN_DIR/dockerd.log}"
DOCKERD_PIDFILE="${DOCKERD_PIDFILE:-/var/run/docker.pid}"
DOCKERD_WAIT_SECS="${DOCKERD_WAIT_SECS:-60}"
# Empty = probe: overlay2 if a kernel overlay mount works, else
# fuse-overlayfs if installed and /dev/fuse exists, else vfs.
DOCKER_STORAGE_DRIVER="${DOCKER_STORAGE_DRIVER:-}"
DOCKERD_EXTRA_ARGS="${DOCKERD_EXTRA_ARGS:-}"
CHECK_IMAGE="${CHECK_IMAGE:-$BASE_IMAGE_REPO:$BASE_IMAGE_TAG}" # versions.sh, through lib.sh
# An http URL that the host itself can reach; used by `check` to test
# outbound traffic from a container on the default bridge.
CHECK_HTTP_URL="${CHECK_HTTP_URL:-http://deb.debian.org/debian/dists/$BASE_SUITE/Release}"
# ---------------------------------------------------------------------------

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then
    return 0
  fi
  log "dockerd not found"
  # shellcheck disable=SC2086
  apt_install $DOCKER_APT_PACKAGES
  command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after installing $DOCKER_APT_PACKAGES"
}

# Decide which storage driver to use. Prints the driver name.
probe_storage_driver() {
  if [ -n "$DOCKER_STORAGE_DRIVER" ]; then
    echo "$DOCKER_STORAGE_DRIVER"; return 0
  fi
  local t; t="$(mktemp -d /var/tmp/ovl-probe.XXXXXX)"
  mkdir -p "$t/l" "$t/u" "$t/w" "$t/m"
  if grep -qw overlay /proc/filesystems 2>/dev/null \
     && mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m"; rm -rf "$t"; echo overlay2; return 0
  fi
  rm -rf "$t"
  if command -v fuse-overlayfs >/dev/null 2>&1 && [ -e /dev/fuse ]; then
    echo fuse-overlayfs; return 0
  fi
  echo vfs
}

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

start_engine() {
  need_root "installs packages, starts dockerd"
  install_engine
  command -v docker >/dev/null 2>&1 || die "docker CLI not found in PATH"
  if engine_up; then
    # A running engine whose default bridge interface vanished (e.g. another
    # dockerd started with --bridge none deletes docker0) cannot start
    # bridge-network containers: restart it so it recreates the bridge.
    local br; br="$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)"
    if [ -n "$br" ] && ! ip link show "$br" >/dev/null 2>&1; then
      log "engine answers but bridge interface $br is missing; restarting dockerd"
      stop_engine
    else
      log "engine already answering; nothing to start"
      return 0
    fi
  fi
  mkdir -p "$RUN_DIR"
  if [ -f "$DOCKERD_PIDFILE" ]; then
    local old; old="$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)"
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
      log "dockerd pid $old is alive but not answering yet; waiting for it"
    else
      rm -f "$DOCKERD_PIDFILE"
    fi
  fi
  if ! { [ -f "$DOCKERD_PIDFILE" ] && kill -0 "$(cat "$DOCKERD_PIDFILE")" 2>/dev/null; }; then
    local driver; driver="$(probe_storage_driver)"
    log "starting dockerd (storage driver: $driver, log: $DOCKERD_LOG)"
    # setsid: own session, so it outlives this shell and its process group.
    # shellcheck disable=SC2086
    setsid dockerd --storage-driver "$driver" --pidfile "$DOCKERD_PIDFILE" $DOCKERD_EXTRA_ARGS \
      >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local i
  for ((i = 0; i < DOCKERD_WAIT_SECS; i++)); do
    if engine_up; then
      log "engine ready after ~${i}s"
      return 0
    fi
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer 'docker info' within ${DOCKERD_WAIT_SECS}s (log: $DOCKERD_LOG)"
}

stop_engine() {
  need_root "stops dockerd"
  if [ ! -f "$DOCKERD_PIDFILE" ]; then
    log "no pidfile $DOCKERD_PIDFILE; nothing to stop"; return 0
  fi
  local pid; pid="$(cat "$DOCKERD_PIDFILE")"
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$DOCKERD_PIDFILE"; log "stale pidfile removed"; return 0
  fi
  grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null || die "pid $pid from $DOCKERD_PIDFILE is not dockerd; refusing to kill"
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || { log "dockerd stopped"; return 0; }; sleep 1; done
  die "dockerd (pid $pid) did not exit within 30s"
}

status_engine() {
  engine_up || die "engine not answering (run: $0 start)"
  docker version --format 'client {{.Client.Version}} (API {{.Client.APIVersion}}) / server {{.Server.Version}} (API {{.Server.APIVersion}})'
  docker info --format 'storage driver: {{.Driver}}; cgroup driver: {{.CgroupDriver}}; cgroup version: {{.CgroupVersion}}; kernel: {{.KernelVersion}}; security: {{.SecurityOptions}}'
  docker info 2>&1 >/dev/null | sed 's/^/  /' || true
}

# ---- capability probes ----------------------------------------------------
CHECK_FAILS=0
report() { # name, rc
  if [ "$2" = 0 ]; then printf '  %-44s OK\n' "$1"; else printf '  %-44s FAIL (rc=%s)\n' "$1" "$2"; CHECK_FAILS=$((CHECK_FAILS + 1)); fi
}
try() { local name="$1"; shift; local rc=0; "$@" >/dev/null 2>&1 || rc=$?; report "$name" "$rc"; }

check_engine() {
  engine_up || die "engine not answering (run: $0 start)"
  docker image inspect "$CHECK_IMAGE" >/dev/null 2>&1 \
    || die "check image $CHECK_IMAGE missing (build it with base-image.sh first)"
  local img="$CHECK_IMAGE"
  echo "storage driver: $(docker info --format '{{.Driver}}'), cgroup v$(docker info --format '{{.CgroupVersion}}')"
  try "docker run (python3 -c print)" docker run --rm "$img" python3 -c 'print("ok")'
  try "--memory 128m (cgroup limit visible)" docker run --rm --memory 128m "$img" sh -c \
    'v=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max); [ "$v" = 134217728 ]'
  try "--memory 64m enforced (exit 137, OOM kill)" sh -c \
    "docker run --rm --memory 64m --memory-swap 64m $img python3 -c 'b=bytearray(256*1024*1024)'; [ \$? = 137 ]"
  try "--cpus 0.5 (cfs quota visible)" docker run --rm --cpus 0.5 "$img" sh -c \
    'q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max); [ "$q" = 50000 ]'
  try "--pids-limit 64 (pids.max visible)" docker run --rm --pids-limit 64 "$img" sh -c \
    '[ "$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)" = 64 ]'
  try "--read-only (+ tmpfs /tmp)" docker run --rm --read-only --tmpfs /tmp "$img" sh -c \
    '! touch /etc/x 2>/dev/null && touch /tmp/x'
  try "--cap-drop ALL (CapEff=0)" docker run --rm --cap-drop ALL "$img" sh -c \
    'grep -q "^CapEff:[[:space:]]*0000000000000000" /proc/self/status'
  try "--user 10001:10001" docker run --rm --user 10001:10001 "$img" sh -c '[ "$(id -u)" = 10001 ]'
  try "--security-opt no-new-privileges" docker run --rm --security-opt no-new-privileges "$img" true
  try "all hardening flags together" docker run --rm --read-only --tmpfs /tmp --cap-drop ALL \
    --security-opt no-new-privileges --user 10001:10001 --memory 256m --cpus 1 --pids-limit 128 \
    "$img" python3 -c 'import os; assert os.getuid()==10001'
  try "outbound http from bridge ($CHECK_HTTP_URL)" docker run --rm "$img" python3 -c \
    "import urllib.request as u; u.urlopen('$CHECK_HTTP_URL', timeout=15).read(1)"
  # HEALTHCHECK via run flags (same machinery as the Dockerfile instruction)
  local name="hc-probe-$$" st="" i
  docker rm -f "$name" >/dev/null 2>&1 || true
  if docker run -d --name "$name" --health-cmd 'python3 -c "print(1)"' --health-interval 1s \
       --health-start-period 1s --health-retries 3 "$img" sleep 60 >/dev/null 2>&1; then
    for ((i = 0; i < 20; i++)); do
      st="$(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null || true)"
      [ "$st" = healthy ] && break; sleep 1
    done
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  local hrc=0; [ "$st" = healthy ] || hrc=1
  report "HEALTHCHECK reaches 'healthy' (${st:-none})" "$hrc"
  [ "$CHECK_FAILS" = 0 ] || die "$CHECK_FAILS capability check(s) failed"
  echo "all capability checks passed"
}

case "${1:-start}" in
  start) start_engine; status_engine ;;
  stop) stop_engine ;;
  status) status_engine ;;
  check) check_engine ;;
  *) die "unknown subcommand '$1' (use start|stop|status|check)" ;;
esac
