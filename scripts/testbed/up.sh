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
# shellcheck source=../lib.sh
. "$root/scripts/lib.sh"
close_inherited_fds
env_file=$RUN_DIR/testbed.env
base_image=$BASE_IMAGE_REPO:$BASE_IMAGE_TAG
started=$SECONDS

# shellcheck source=../ensure-node.sh
source "$root/scripts/ensure-node.sh"

# PULUMI_VERSION (versions.sh) is the SDK's, from package.json.
log "Pulumi CLI $PULUMI_VERSION"
"$here/pulumi.sh"
pulumi_bin=$CACHE_ROOT/pulumi-$PULUMI_VERSION/bin

log "Docker Engine"
"$here/docker-engine.sh" start >/dev/null

log "base image $base_image"
# Only Debian's CA bundle: dependencies come from the wheelhouse, not from the network.
BASE_EXTRA_CA=none "$here/base-image.sh" build

log "stand-ins for what npm run dev pulls from Docker Hub"
"$here/dev-images.sh" "$base_image"

log "registry on $TESTBED_REGISTRY_HOST:$TESTBED_REGISTRY_PORT with fresh credentials"
"$here/registry.sh" restart

log "wheelhouse for app/requirements.txt"
"$here/wheelhouse.sh" "$root/app/requirements.txt"

log "Kubernetes control plane with kwok nodes"
"$here/k8s/cluster.sh" up
kube_facts=$("$here/k8s/cluster.sh" facts)
{ read -r kubeconfig; read -r kubectl; } <<<"$(env_get <(printf '%s\n' "$kube_facts") KUBECONFIG KUBECTL)"
kube_bin=$(dirname "$kubectl")

log "real node beside the kwok nodes (kubelet, kube-proxy, containerd)"
"$here/k8s/node.sh" up
node_env=$("$here/k8s/node.sh" env)

registry_env=$(env_get "$RUN_DIR/registry.env" REGISTRY_SERVER REGISTRY_USERNAME REGISTRY_PASSWORD)
wheel_env=$(env_get "$RUN_DIR/wheelhouse.env" PIP_INDEX_URL PIP_TRUSTED_HOST)
{ read -r server; read -r username; read -r password; } <<<"$registry_env"
{ read -r index_url; read -r trusted_host; } <<<"$wheel_env"

env_write "$env_file" <<ENV
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
log "ready in $((SECONDS - started))s; environment in $env_file"
