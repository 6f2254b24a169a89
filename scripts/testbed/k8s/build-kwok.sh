#!/usr/bin/env bash
# Build kwok (the fake-node controller) and kwokctl from Go modules and cache
# them by version.
#
# Output: $CACHE_ROOT/kwok-$KWOK_VERSION/bin/{kwok,kwokctl}
# Re-running is a no-op once both binaries exist (FORCE=1 rebuilds).
#
# How: a wrapper module requires sigs.k8s.io/kwok at the pinned version and
# builds its cmd/kwok and cmd/kwokctl packages; non-local replace directives
# of kwok's go.mod, if any, are copied into the wrapper.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib-gobuild.sh
. "$HERE/lib-gobuild.sh"

# KWOK_VERSION: ../versions.sh (through lib-gobuild.sh).
KWOK_MODULE="sigs.k8s.io/kwok"
KWOK_CMDS="kwok kwokctl"

begin_build kwok "$KWOK_VERSION" "$KWOK_MODULE" kwok kwokctl

doing "downloading $KWOK_MODULE@v$KWOK_VERSION"
KWOK_GOMOD=$(download_gomod "$KWOK_MODULE" "v$KWOK_VERSION")
doing "reading replace directives from $KWOK_GOMOD"
EXTRA=""
while IFS='|' read -r lhs rhs; do
  [ -n "$lhs" ] || continue
  case "$rhs" in
    ./*|../*|/*) die "$KWOK_GOMOD has a local replace '$lhs => $rhs' the wrapper cannot reproduce" ;;
    *)           EXTRA="$EXTRA"$'\n\t'"$lhs => $rhs" ;;
  esac
done <<<"$(read_replaces "$KWOK_GOMOD")"

doing "writing the wrapper module"
{
  echo "module flaskapp.local/build/kwok"
  echo
  echo "go 1.24.0"
  echo
  echo "require $KWOK_MODULE v$KWOK_VERSION"
  if [ -n "$EXTRA" ]; then echo; echo "replace ("; printf '%s\n' "${EXTRA#$'\n'}"; echo ")"; fi
  echo
  echo "tool ("
  for c in $KWOK_CMDS; do printf '\t%s/cmd/%s\n' "$KWOK_MODULE" "$c"; done
  echo ")"
} >"$W/go.mod"
cd "$W"
run "resolving $KWOK_MODULE@v$KWOK_VERSION and its dependencies (go mod tidy)" gonice mod tidy

LDFLAGS="-s -w -X $KWOK_MODULE/pkg/consts.Version=$KWOK_VERSION"
PKGS=""; for c in $KWOK_CMDS; do PKGS="$PKGS $KWOK_MODULE/cmd/$c"; done
# shellcheck disable=SC2086
run "compiling$PKGS (nice -n 19, CGO_ENABLED=0)" \
  gobuild -trimpath -ldflags "$LDFLAGS" -o "$BUILD/out/" $PKGS

doing "checking the built binaries"
for c in $KWOK_CMDS; do "$BUILD/out/$c" --version; done | tee -a "$LOG"
# shellcheck disable=SC2086
install_bins "$BUILD/out" "$BIN" $KWOK_CMDS
cp "$W/go.mod" "$W/go.sum" "$PREFIX/" 2>/dev/null || true
echo "kwok $KWOK_VERSION ($KWOK_CMDS) built in $(built_in): $BIN"
