#!/usr/bin/env bash
# Build the Pulumi CLI (`pulumi`) from Go modules, and cache it by version.
#
# Output: $CACHE_ROOT/pulumi-$PULUMI_VERSION/bin/pulumi
# Re-running is a no-op once the binary exists (FORCE=1 rebuilds).
# Requirements: Go >= 1.25 and access to a Go module proxy. Nothing else.
#
# The language hosts the CLI's release archives bundle are not built here: the proxy refuses
# the Node.js host's module at the CLI's version. The end-to-end suites use the one installed
# in Pulumi's plugin folder and say which they skip without it (README.md, "Provider plugins").
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# ---- versions -------------------------------------------------------------
# PULUMI_VERSION, the CLI's: versions.sh (through lib.sh), which reads it from package.json.
[ -n "$PULUMI_VERSION" ] || die "package.json gives no version of @pulumi/pulumi"
# Replace directive that pkg/v3's own go.mod carries (ignored when pkg/v3 is a
# dependency, so it must be repeated in the wrapper).
CLIPBOARD_REPLACE="github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"

PREFIX="$CACHE_ROOT/pulumi-$PULUMI_VERSION"
BIN="$PREFIX/bin"
BUILD="$PREFIX/build"

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"

LOG=""
trap 'on_exit_report "log: ${LOG:-none}"' EXIT

# A host beside the CLI would win over the one installed at the CLI's version; earlier versions
# of this script put an older one there, and a dynamic-provider shim no suite uses any more.
rm -f "$BIN/pulumi-language-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"

if [ "${FORCE:-0}" != 1 ] && [ -x "$BIN/pulumi" ]; then
  echo "pulumi $PULUMI_VERSION already built: $BIN"
  exit 0
fi

doing "checking for the go toolchain"
command -v go >/dev/null || die "go not found on PATH (need Go >= 1.25)"
go version

mkdir -p "$BIN" "$BUILD"
LOG="$BUILD/build.log"
: >"$LOG"
t0=$SECONDS

# ---- pulumi CLI -------------------------------------------------------------
CLI_DIR="$BUILD/cli"
mkdir -p "$CLI_DIR"
cat >"$CLI_DIR/go.mod" <<EOF
module flaskapp.local/build/pulumi-cli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace $CLIPBOARD_REPLACE
EOF
rm -f "$CLI_DIR/go.sum"
cd "$CLI_DIR"
run "downloading github.com/pulumi/pulumi/{pkg,sdk}/v3@v$PULUMI_VERSION from the module proxy" \
  go mod download github.com/pulumi/pulumi/pkg/v3@"v$PULUMI_VERSION" github.com/pulumi/pulumi/sdk/v3@"v$PULUMI_VERSION"
run "resolving github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION (go get)" \
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION"
# go get must not have moved the pinned versions.
doing "checking resolved pulumi module versions"
for m in pkg sdk; do
  got=$(go list -m -f '{{.Version}}' "github.com/pulumi/pulumi/$m/v3")
  [ "$got" = "v$PULUMI_VERSION" ] || die "github.com/pulumi/pulumi/$m/v3 resolved to $got, want v$PULUMI_VERSION"
done
run "compiling pulumi CLI v$PULUMI_VERSION" \
  go build -trimpath -o "$BIN/pulumi.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$BIN/pulumi.tmp" "$BIN/pulumi"
echo "    pulumi built ($((SECONDS - t0))s so far)"

# ---- smoke check --------------------------------------------------------------
doing "checking 'pulumi version'"
got=$("$BIN/pulumi" version)
[ "$got" = "v$PULUMI_VERSION" ] || die "pulumi version printed '$got', want v$PULUMI_VERSION"

echo "built in $((SECONDS - t0))s:"
ls -l "$BIN"
echo "add to PATH: export PATH=\"$BIN:\$PATH\""
