#!/usr/bin/env bash
# Provisions the end-to-end test bed from package registries alone: Node.js, the Pulumi CLI and
# its Node.js language host (built from Go modules), Docker Engine, a registry with htpasswd
# auth and fresh credentials, a Python base image made with debootstrap, a wheelhouse that
# build containers install the app's dependencies from, and a Kubernetes control plane (etcd,
# kube-apiserver, controller manager, scheduler, built from Go modules) with kwok nodes, and
# beside them one real node (kubelet, kube-proxy, containerd) for pods that select and
# tolerate it. Each step caches its result under $FLASKAPP_CACHE (default ~/.cache/flaskapp),
# so a second run takes seconds. Writes the environment the e2e suites read to
# $FLASKAPP_CACHE/run/testbed.env.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${FLASKAPP_CACHE:-$HOME/.cache/flaskapp}
env_file=$cache/run/testbed.env
base_image=flaskapp-base/python:3.11-bookworm

step() { printf '==> testbed: %s\n' "$*" >&2; }
started=$SECONDS

# shellcheck source=../ensure-node.sh
source "$root/scripts/ensure-node.sh"

# The CLI must be the version of the SDK the program runs with.
pulumi_version=$(node -p 'require(process.argv[1]).dependencies["@pulumi/pulumi"]' "$root/package.json")
step "Pulumi CLI $pulumi_version"
PULUMI_VERSION=$pulumi_version "$here/pulumi.sh"
pulumi_bin=$cache/pulumi-$pulumi_version/bin

step "Docker Engine"
"$here/docker-engine.sh" start >/dev/null

step "base image $base_image"
# Only Debian's CA bundle: dependencies come from the wheelhouse, not from the network.
BASE_EXTRA_CA=none BASE_IMAGE_REPO=${base_image%:*} BASE_IMAGE_TAG=${base_image#*:} "$here/base-image.sh" build

step "registry on 127.0.0.1:5000 with fresh credentials"
"$here/registry.sh" restart

step "wheelhouse for app/requirements.txt"
"$here/wheelhouse.sh" "$root/app/requirements.txt"

step "Kubernetes control plane with kwok nodes"
"$here/k8s/cluster.sh" up
kube_env=$("$here/k8s/cluster.sh" env)
kubeconfig=$(sed -n 's/^export KUBECONFIG=//p' <<<"$kube_env")
kube_bin=$(dirname "$(sed -n 's/^# kubectl: \([^ ]*\).*/\1/p' <<<"$kube_env")")

step "real node beside the kwok nodes (kubelet, kube-proxy, containerd)"
"$here/k8s/node.sh" up
node_env=$("$here/k8s/node.sh" env)

# shellcheck disable=SC1091
registry_env=$(set -a && . "$cache/run/registry.env" && printf '%s\n' "$REGISTRY_SERVER" "$REGISTRY_USERNAME" "$REGISTRY_PASSWORD")
# shellcheck disable=SC1091
wheel_env=$(set -a && . "$cache/run/wheelhouse.env" && printf '%s\n' "$PIP_INDEX_URL" "$PIP_TRUSTED_HOST")
{ read -r server; read -r username; read -r password; } <<<"$registry_env"
{ read -r index_url; read -r trusted_host; } <<<"$wheel_env"

(
  umask 077
  cat >"$env_file" <<ENV
PATH=$pulumi_bin:$kube_bin:$(dirname "$(command -v node)"):\$PATH
PULUMI_SKIP_UPDATE_CHECK=true
PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
FLASKAPP_E2E_REGISTRY=$server
FLASKAPP_E2E_REGISTRY_USERNAME=$username
FLASKAPP_E2E_REGISTRY_PASSWORD=$password
FLASKAPP_E2E_BASE_IMAGE=$base_image
FLASKAPP_E2E_PIP_INDEX_URL=$index_url
FLASKAPP_E2E_PIP_TRUSTED_HOST=$trusted_host
FLASKAPP_E2E_KUBECONFIG=$kubeconfig
$node_env
ENV
)
step "ready in $((SECONDS - started))s; environment in $env_file"
