#!/usr/bin/env bash
# Build the etcd server binary from Go modules and cache it by version.
#
# Output: $CACHE_ROOT/etcd-$ETCD_VERSION/bin/etcd
# Re-running is a no-op once the binary exists (FORCE=1 rebuilds).
#
# How: a throw-away wrapper module requires go.etcd.io/etcd/server/v3 at the
# pinned version and builds its main package (server/main.go, which calls
# etcdmain.Main(os.Args)); when that package is not a main package the wrapper
# supplies an equivalent main.go. etcd's own replace directives point at
# sibling directories of its repository and are not needed: server/v3 requires
# its siblings (api/v3, client/v3, pkg/v3, client/pkg/v3) at the same version.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib-gobuild.sh
. "$HERE/lib-gobuild.sh"

# ETCD_VERSION: ../versions.sh (through lib-gobuild.sh).
ETCD_MODULE="go.etcd.io/etcd/server/v3"

begin_build etcd "$ETCD_VERSION" "$ETCD_MODULE" etcd
cat >"$W/go.mod" <<EOT
module flaskapp.local/build/etcd

go 1.24

require $ETCD_MODULE v$ETCD_VERSION

tool $ETCD_MODULE
EOT
cd "$W"
run "resolving $ETCD_MODULE@v$ETCD_VERSION and its dependencies (go mod tidy)" gonice mod tidy

doing "inspecting $ETCD_MODULE"
PKG="$ETCD_MODULE"
if [ "$(go list -f '{{.Name}}' "$ETCD_MODULE" 2>>"$LOG")" != main ]; then
  echo "    $ETCD_MODULE is not a main package; using a local main.go calling etcdmain.Main"
  cat >"$W/main.go" <<'EOT'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOT
  PKG="."
  run "tidying the wrapper with main.go" gonice mod tidy
fi

run "compiling etcd $ETCD_VERSION (nice -n 19, CGO_ENABLED=0)" \
  gobuild -trimpath -ldflags "-s -w" -o "$BUILD/out/etcd" "$PKG"
doing "checking the built binary"
"$BUILD/out/etcd" --version | tee -a "$LOG"
install_bins "$BUILD/out" "$BIN" etcd
cp "$W/go.mod" "$W/go.sum" "$PREFIX/" 2>/dev/null || true
echo "etcd $ETCD_VERSION built in $(built_in): $BIN/etcd"
