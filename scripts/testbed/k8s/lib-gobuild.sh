# shellcheck shell=bash
# Shared helpers for build-etcd.sh, build-kube.sh, build-kwok.sh (sourced, not run), on top of
# scripts/lib.sh: go environment, `begin_build`, `gobuild <args...>` (nice -n 19 go build),
# module proxy probes and go.mod reading.

# shellcheck source=../../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
# sum.golang.org is reached through the proxy (…/sumdb/sum.golang.org/…), so
# the default GOSUMDB keeps working without direct access to it.

# Go module and build caches live under CACHE_ROOT too (override via env).
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/k8s-go/mod}"
export GOCACHE="${GOCACHE:-$CACHE_ROOT/k8s-go/build}"
LOG=""
trap 'on_exit_report "${LOG:+full log: $LOG}"' EXIT

need_go() {
  doing "checking for the go toolchain"
  command -v go >/dev/null || die "go not found on PATH (need Go >= 1.24)"
  go version
}

gobuild() { nice -n 19 go build "$@"; }

# begin_build <name> <version> <module> <binary...>: the common start of a build of
# <module>@v<version> into $CACHE_ROOT/<name>-<version>. Exits 0 when every binary is already
# built (FORCE=1 rebuilds); otherwise checks go and the proxy, and sets PREFIX, BIN, BUILD,
# LOG, W (the wrapper module's folder) and MISSING (the binaries to build: those not yet in BIN,
# or all of them with FORCE=1), and starts the clock of `built_in`.
# shellcheck disable=SC2034 # W is for the build scripts that call it
begin_build() {
  local name="$1" version="$2" module="$3" b
  shift 3
  PREFIX="$CACHE_ROOT/$name-$version"
  BIN="$PREFIX/bin"
  BUILD="$PREFIX/build"
  # cluster.sh and node.sh may both build one version at once, and BUILD is shared: take turns.
  mkdir -p "$PREFIX"
  exec 9>"$PREFIX/.build.lock"
  if ! flock -n 9; then
    step "waiting for another build of $name $version to finish"
    flock 9
  fi
  MISSING=""
  for b in "$@"; do [ -x "$BIN/$b" ] || MISSING="$MISSING $b"; done
  if [ "${FORCE:-0}" != 1 ] && [ -z "$MISSING" ]; then
    echo "$name $version already built: $BIN ($*)"
    exit 0
  fi
  [ "${FORCE:-0}" != 1 ] || MISSING=" $*"
  MISSING=${MISSING# }
  need_go
  probe_module "$module" "v$version"
  rm -rf "$BUILD"; mkdir -p "$BUILD/wrapper" "$BUILD/out"
  LOG="$BUILD/build.log"; : >"$LOG"
  BUILD_STARTED=$SECONDS
  W="$BUILD/wrapper"
}
# built_in: how long since begin_build, e.g. "42s".
built_in() { echo "$((SECONDS - BUILD_STARTED))s"; }
gonice() { nice -n 19 go "$@"; }

# probe_module <module> <version>: fail early with a clear message when the
# proxy does not serve a pinned module version (.info/.mod/.zip).
probe_module() {
  local m="$1" v="$2" base="${GOPROXY%%,*}" ext code
  [ "$base" = direct ] || [ "$base" = off ] && return 0
  command -v curl >/dev/null || return 0
  doing "checking that $base serves $m@$v"
  for ext in info mod zip; do
    code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -r 0-0 "$base/$m/@v/$v.$ext" || true)
    case "$code" in
      200|206) ;;
      *) log "the module proxy answers HTTP $code for $base/$m/@v/$v.$ext"
         log "$m@$v cannot be downloaded; pick another pinned version"
         return 2 ;;
    esac
  done
}

# install_bins <from-dir> <to-dir> <names...>: atomic move into the cache.
install_bins() {
  local from="$1" to="$2" n; shift 2
  doing "installing binaries into $to"
  mkdir -p "$to"
  for n in "$@"; do
    [ -x "$from/$n" ] || die "expected binary $from/$n was not produced"
    mv -f "$from/$n" "$to/$n.tmp" && mv -f "$to/$n.tmp" "$to/$n"
  done
}

# read_replaces <go.mod>: print "LHS|RHS" per replace directive (block and
# single-line forms, comments stripped), e.g. "k8s.io/api|./staging/src/k8s.io/api".
read_replaces() {
  awk '
    /^replace[ \t]*\(/ { inblk=1; next }
    inblk && /^\)/     { inblk=0; next }
    inblk              { sub(/\/\/.*/, ""); if ($0 ~ /=>/) print; next }
    /^replace[ \t]/    { sub(/^replace[ \t]+/, ""); sub(/\/\/.*/, ""); print }
  ' "$1" | sed 's/[[:space:]]*=>[[:space:]]*/|/; s/^[[:space:]]*//; s/[[:space:]]*$//'
}

# download_gomod <module> <version>: print the path of that version's go.mod
# in the module cache (go mod download), failing with the proxy's error.
download_gomod() {
  local m="$1" v="$2" js f
  # stdout is the path: the step goes to stderr.
  step "downloading $m@$v" >&2
  if ! js=$(cd "${BUILD:-/tmp}" && GOFLAGS=-mod=mod nice -n 19 go mod download -json "$m@$v" 2>>"${LOG:-/dev/null}"); then
    log "go mod download $m@$v failed:"
    echo "$js" | sed -n 's/.*"Error": *"\(.*\)".*/  \1/p' >&2
    return 3
  fi
  f=$(echo "$js" | sed -n 's/^[[:space:]]*"GoMod": *"\(.*\)",\{0,1\}$/\1/p')
  [ -f "$f" ] || die "no go.mod for $m@$v (got '$f')"
  echo "$f"
}
