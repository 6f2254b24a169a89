# shellcheck shell=bash
# What the scripts of scripts/ and scripts/testbed/ share (sourced, not run): one way to log and
# fail, the root check, quiet apt installs, the cache folder, the test bed's versions, env files,
# named steps. Sourcing it sets no options, traps or files: a script chooses those itself.

# shellcheck source=testbed/versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/testbed/versions.sh"

# ---- cache ------------------------------------------------------------------
# Every cached build, download and state file lives below CACHE_ROOT; RUN_DIR holds what a
# running test bed needs (pid files, logs, env files).
CACHE_ROOT="${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}"
RUN_DIR="${RUN_DIR:-$CACHE_ROOT/run}"

# The test bed's own registry (plain HTTP, htpasswd auth). Not localhost:5000: that is where
# `npm run dev` starts the dev stack's registry, and the dev suite runs it as a newcomer would.
# shellcheck disable=SC2034 # read by the scripts that source this file
TESTBED_REGISTRY_HOST=127.0.0.1
# shellcheck disable=SC2034
TESTBED_REGISTRY_PORT=5001

# ---- logging ----------------------------------------------------------------
# Messages go to stderr as "[name] message", name being the script's; stdout stays for what a
# script prints on purpose (`env`, `status`).
LOG_NAME="$(basename "$0" .sh)"
log() { printf '[%s] %s\n' "$LOG_NAME" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_NAME" "$*" >&2; exit 1; }

ts() { date +%s.%N; }
# since <ts>: seconds from then to now, e.g. "3.2s".
since() { awk -v a="$1" -v b="$(ts)" 'BEGIN{printf "%.1fs", b-a}'; }

# ---- steps ------------------------------------------------------------------
# A script names what it is doing with `doing` (quietly) or `step` (printed as "==> ..."); with
# `trap 'on_exit_report [hint]' EXIT` a failure names that step, and the hint (where to look).
STEP="start"
doing() { STEP="$*"; }
step() { doing "$@"; printf '==> %s\n' "$STEP"; }
report_failure() { # report_failure <exit status> [hint]
  [ "$1" -eq 0 ] || printf '[%s] FAILED (exit %s) during: %s%s\n' "$LOG_NAME" "$1" "$STEP" "${2:+ ($2)}" >&2
}
on_exit_report() { # on_exit_report [hint]: the EXIT trap of a script that names its steps
  local rc=$?
  report_failure "$rc" "${1:-}"
  exit "$rc"
}

# run <description> <cmd...>: a step whose output goes to $LOG; on failure, shows the log's tail.
run() {
  step "$1"
  shift
  if ! "$@" >>"$LOG" 2>&1; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 40 "$LOG" >&2
    return 1
  fi
}

# ---- descriptors ------------------------------------------------------------
# close_inherited_fds: closes what the script was started with beyond stdin, stdout and stderr
# (and bash's own 255), so that the daemons it starts do not hold it: `flock LOCK up.sh` hands
# the lock's descriptor down, and a registry that kept it held the lock for as long as it ran.
close_inherited_fds() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    case "$fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" ;; esac
  done
}

# ---- root and packages ------------------------------------------------------
need_root() { [ "$(id -u)" = 0 ] || die "must run as root${1:+ ($1)}"; }

# apt_install <package...>: installs those not installed yet, quietly and without questions;
# refreshes the package lists only when the install fails without them.
apt_install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  need_root "to install ${missing[*]}"
  log "installing: ${missing[*]}"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq)
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
    || die "apt-get install ${missing[*]} failed"
}

# ---- env files --------------------------------------------------------------
# env_write <file>: stdin (NAME=value lines) becomes <file>, readable by its owner only, in one
# rename: a reader never sees half of it.
env_write() {
  local file="$1" tmp
  mkdir -p "$(dirname "$file")"
  tmp=$(umask 077 && mktemp "$file.tmp.XXXXXX") || die "cannot write $file"
  (umask 077 && cat >"$tmp") && mv -f "$tmp" "$file"
}

# env_get <file> <name...>: the value <file> gives each name, one a line. The file is sourced in
# a subshell: nothing it sets reaches the caller.
env_get() {
  local file="$1"
  shift
  (
    # shellcheck disable=SC1090
    . "$file" || die "cannot read $file"
    for _name in "$@"; do
      [ -n "${!_name+set}" ] || die "$file sets no $_name"
      printf '%s\n' "${!_name}"
    done
  )
}
