#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (the control plane of
# cluster.sh) and kubelet, kube-proxy (the real node of node.sh) from Go modules and cache them
# by version.
#
# Output: $CACHE_ROOT/kubernetes-$KUBE_VERSION/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,kubelet,kube-proxy}
# Re-running is a no-op once all binaries exist (FORCE=1 rebuilds); otherwise only the missing
# ones of $KUBE_CMDS are compiled.
#
# How: a wrapper module requires k8s.io/kubernetes at the pinned version.
# k8s.io/kubernetes requires every staging module (k8s.io/api, client-go, …) at
# v0.0.0 and replaces it with ./staging/src/k8s.io/X; replace directives of a
# dependency are ignored, so the wrapper replaces each staging module with the
# published k8s.io/X v0.<minor>.<patch>. The staging list and any non-local
# replace directives are read from that version's go.mod (from the proxy), and
# its `godebug` line is copied too. Version strings are stamped via -ldflags.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib-gobuild.sh
. "$HERE/lib-gobuild.sh"

# KUBE_VERSION: ../versions.sh (through lib-gobuild.sh).
KUBE_MODULE="k8s.io/kubernetes"
# Staging modules are published as v0.<minor>.<patch> of the same release.
STAGING_VERSION="v0.${KUBE_VERSION#*.}"
# The wrapper module always lists every command, so its go.mod and go.sum (the dependency
# versions) are the same whichever subset a run builds.
KUBE_TOOLS="kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy"
KUBE_CMDS="${KUBE_CMDS:-$KUBE_TOOLS}"

# shellcheck disable=SC2086
begin_build kubernetes "$KUBE_VERSION" "$KUBE_MODULE" $KUBE_CMDS

doing "downloading $KUBE_MODULE@v$KUBE_VERSION"
KUBE_GOMOD=$(download_gomod "$KUBE_MODULE" "v$KUBE_VERSION")

doing "reading replace directives from $KUBE_GOMOD"
REPLACES=$(read_replaces "$KUBE_GOMOD")
STAGING=""; EXTRA=""
while IFS='|' read -r lhs rhs; do
  [ -n "$lhs" ] || continue
  lhs_mod=${lhs%% *}
  case "$rhs" in
    ./staging/src/*) STAGING="$STAGING $lhs_mod" ;;
    ./*|../*|/*)     die "unexpected local replace '$lhs => $rhs' in $KUBE_GOMOD" ;;
    *)               EXTRA="$EXTRA"$'\n\t'"$lhs => $rhs" ;;
  esac
done <<<"$REPLACES"
[ -n "$STAGING" ] || die "found no staging replace directives in $KUBE_GOMOD"
echo "    $(echo "$STAGING" | wc -w) staging modules -> $STAGING_VERSION; $(printf '%s' "$EXTRA" | grep -c '=>' || true) other replace(s)"
GODEBUG_LINE=$(grep -E '^godebug[[:space:]]' "$KUBE_GOMOD" || true)

doing "checking that the proxy serves every staging module at $STAGING_VERSION"
for m in $STAGING; do probe_module "$m" "$STAGING_VERSION"; done

doing "writing the wrapper module"
{
  echo "module flaskapp.local/build/kubernetes"
  echo
  echo "go 1.24.0"
  [ -z "$GODEBUG_LINE" ] || { echo; echo "$GODEBUG_LINE"; }
  echo
  echo "require $KUBE_MODULE v$KUBE_VERSION"
  echo
  echo "replace ("
  for m in $STAGING; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; done
  [ -z "$EXTRA" ] || printf '%s\n' "${EXTRA#$'\n'}"
  echo ")"
  echo
  echo "tool ("
  for c in $KUBE_TOOLS; do printf '\t%s/cmd/%s\n' "$KUBE_MODULE" "$c"; done
  echo ")"
} >"$W/go.mod"
cd "$W"
run "resolving $KUBE_MODULE@v$KUBE_VERSION + staging modules (go mod tidy)" gonice mod tidy

V=k8s.io/component-base/version
CV=k8s.io/client-go/pkg/version
MAJOR=${KUBE_VERSION%%.*}; MINOR=${KUBE_VERSION#*.}; MINOR=${MINOR%%.*}
BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS="-s -w"
for p in $V $CV; do
  LDFLAGS="$LDFLAGS -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=$MAJOR -X $p.gitMinor=$MINOR"
  LDFLAGS="$LDFLAGS -X $p.gitTreeState=clean -X $p.buildDate=$BUILD_DATE"
done
PKGS=""; for c in $MISSING; do PKGS="$PKGS $KUBE_MODULE/cmd/$c"; done
# shellcheck disable=SC2086
run "compiling$PKGS (nice -n 19, CGO_ENABLED=0)" \
  gobuild -trimpath -ldflags "$LDFLAGS" -o "$BUILD/out/" $PKGS

for c in $MISSING; do
  doing "checking that $c reports v$KUBE_VERSION"
  case "$c" in
    kubectl) v=$("$BUILD/out/$c" version --client 2>&1 | head -1) ;;
    *)       v=$("$BUILD/out/$c" --version 2>&1) ;;
  esac
  echo "$c: $v" | tee -a "$LOG"
  grep -q "v$KUBE_VERSION\$" <<<"$v" || die "$c does not report v$KUBE_VERSION"
done
# shellcheck disable=SC2086
install_bins "$BUILD/out" "$BIN" $MISSING
cp "$W/go.mod" "$W/go.sum" "$PREFIX/" 2>/dev/null || true
echo "kubernetes $KUBE_VERSION ($MISSING) built in $(built_in): $BIN"
