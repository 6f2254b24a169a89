#!/usr/bin/env bash
# Runs the security and lint scanners over what this project ships: kube-score and checkov over
# the Kubernetes objects the component computes (tools/renderManifests.ts), checkov over
# app/Dockerfile and the workflows, actionlint over the workflows, shellcheck over every shell
# script. Fails on a finding that scanners/accepted.yaml does not accept, and on an accepted
# entry that no longer fires, so that the list stays the exact set of findings we live with.
#
# Each scanner is installed at a pinned version from a package registry into
# $FLASKAPP_CACHE/scanners (default ~/.cache/flaskapp/scanners); a warm run downloads nothing.
# Usage: scripts/scan.sh [--install-only]   (needs go, python3, apt-get; Node.js for the rest)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=testbed/versions.sh
. scripts/testbed/versions.sh
kube_score_version=1.20.0
actionlint_version=1.7.12
checkov_version=3.3.30
shellcheck_deb_version=0.9.0-1

cache=${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}/scanners
mkdir -p "$cache"
# Two scans at once (a developer and CI on one machine) would otherwise build into one folder.
exec 9>"$cache/.install.lock"
flock 9

say() { echo "scan: $*" >&2; }
die() {
  say "$*"
  exit 2
}

# go_tool NAME VERSION PACKAGE: build PACKAGE@vVERSION from the Go module proxy into the cache.
go_tool() {
  local name=$1 version=$2 package=$3 dir="$cache/$1-$2"
  if [ ! -x "$dir/bin/$name" ]; then
    command -v go >/dev/null || die "go is needed to build $name $version from Go modules"
    say "building $name $version from $package@v$version"
    rm -rf "$dir/bin.tmp"
    # Module and build caches only serve this build: 400 MB that no warm run reads.
    GOBIN="$dir/bin.tmp" GOTOOLCHAIN=local CGO_ENABLED=0 \
      GOFLAGS="-trimpath -buildvcs=false -modcacherw" \
      GOMODCACHE="$cache/go.tmp/mod" GOCACHE="$cache/go.tmp/build" \
      nice -n 10 go install "$package@v$version"
    rm -rf "${dir:?}/bin" "$cache/go.tmp" && mv "$dir/bin.tmp" "$dir/bin"
  fi
  echo "$dir/bin/$name"
}

# checkov from PyPI, in a venv of its own. A venv cannot be moved, so a stamp marks it complete.
checkov_tool() {
  local dir="$cache/checkov-$checkov_version"
  if [ ! -f "$dir/.complete" ]; then
    say "installing checkov $checkov_version from PyPI"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "checkov==$checkov_version"
    touch "$dir/.complete"
  fi
  echo "$dir/bin/checkov"
}

# The Debian package of shellcheck, unpacked into the cache rather than installed, so that the
# machine's own packages stay as they are. Needs the apt lists; root can refresh them.
shellcheck_tool() {
  local dir="$cache/shellcheck-$shellcheck_deb_version" tmp
  if [ ! -x "$dir/usr/bin/shellcheck" ]; then
    say "fetching shellcheck $shellcheck_deb_version from Debian"
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download -qq "shellcheck=$shellcheck_deb_version" 2>/dev/null); then
      [ "$(id -u)" = 0 ] || die "apt-get download shellcheck=$shellcheck_deb_version failed; run apt-get update as root"
      apt-get update -qq
      (cd "$tmp" && apt-get download -qq "shellcheck=$shellcheck_deb_version")
    fi
    rm -rf "$dir.tmp"
    dpkg-deb -x "$tmp"/shellcheck_*.deb "$dir.tmp"
    rm -rf "$tmp" "$dir" && mv "$dir.tmp" "$dir"
  fi
  if ! "$dir/usr/bin/shellcheck" --version >/dev/null 2>&1; then
    # The package's libraries (libffi, libgmp) are in every Debian but the smallest images.
    [ "$(id -u)" = 0 ] || die "$dir/usr/bin/shellcheck does not run: install libffi8 and libgmp10"
    apt-get install -y -qq --no-install-recommends libffi8 libgmp10 >/dev/null
  fi
  echo "$dir/usr/bin/shellcheck"
}

t0=$SECONDS
kube_score=$(go_tool kube-score "$kube_score_version" github.com/zegl/kube-score/cmd/kube-score)
actionlint=$(go_tool actionlint "$actionlint_version" github.com/rhysd/actionlint/cmd/actionlint)
checkov=$(checkov_tool)
shellcheck=$(shellcheck_tool)
say "scanners ready in $((SECONDS - t0)) s"
flock -u 9
[ "${1:-}" != --install-only ] || exit 0

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# scan NAME CMD...: CMD's report goes to $out/NAME.json. Exit 1 means findings; more, a failure.
scan() {
  local name=$1 rc=0
  shift
  "$@" >"$out/$name.json" 2>"$out/$name.err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    cat "$out/$name.err" >&2
    die "$name failed (exit $rc)"
  fi
}

export TS_NODE_TRANSPILE_ONLY=true # npm test type-checks the tools
npx ts-node tools/renderManifests.ts >"$out/kubernetes.yaml"

# The test bed's Kubernetes minor; kube-score's default is far older.
scan kube-score "$kube_score" score --kubernetes-version "v${KUBE_VERSION%.*}" --output-format json \
  "$out/kubernetes.yaml"
scan checkov "$checkov" --quiet --compact --skip-download -o json \
  --framework kubernetes dockerfile github_actions \
  -f "$out/kubernetes.yaml" app/Dockerfile .github/workflows/*.yml
# actionlint runs shellcheck over each `run:` script when it finds one on PATH.
scan actionlint env PATH="$(dirname "$shellcheck"):$PATH" \
  "$actionlint" -format '{{json .}}' .github/workflows/*.yml
# Every shell script: by name, and by shebang for those without .sh. -x and SCRIPTDIR follow
# `source` as the scripts do, from their own folder, so that a variable set in a sourced file
# is not reported as unset; style and info notes are left to review.
mapfile -t scripts < <({
  git ls-files '*.sh'
  git ls-files | xargs grep -lE '^#!.*[/ ](ba|da)?sh$' 2>/dev/null || true
} | sort -u)
scan shellcheck "$shellcheck" -x -P SCRIPTDIR -S warning -f json1 "${scripts[@]}"

npx ts-node tools/scanFindings.ts scanners/accepted.yaml "$out"
