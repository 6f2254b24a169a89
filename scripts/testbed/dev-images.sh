#!/usr/bin/env bash
# What `npm run dev` pulls from Docker Hub, which the test bed cannot reach, made from package
# registries and tagged under the names the dev stack asks for, so that the dev suite
# (test/e2e/dev.e2e.ts) runs the script exactly as a newcomer does:
#   - scripts/dev.sh's pinned registry_image: Debian's docker-registry, the same
#     distribution 2.x server, in the test bed's base image, serving plain HTTP on :5000 without
#     auth, as the official image does;
#   - app/Dockerfile's pinned BASE_IMAGE: the test bed's debootstrap Python image.
# A name that already holds an image not made here (the real one, pulled where Docker Hub is
# reachable) is left alone. Each stand-in carries the label flaskapp.testbed.stand-in.
# Usage: dev-images.sh BASE_IMAGE (the test bed's base image)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$root/scripts/lib.sh"

base=${1:?usage: dev-images.sh BASE_IMAGE}
label=flaskapp.testbed.stand-in
registry_image=$(sed -n 's/^registry_image=//p' "$root/scripts/dev.sh")
python_image=$(sed -n 's/^ARG BASE_IMAGE=//p' "$root/app/Dockerfile")
if [ -z "$registry_image" ] || [ -z "$python_image" ]; then
  die "cannot read the image names from scripts/dev.sh and app/Dockerfile"
fi

# free_for <name>: true when <name> holds no image, or one of ours.
free_for() {
  local mark
  mark=$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null) || return 0
  [ "$mark" = true ]
}

if free_for "$python_image"; then
  # A tag alone cannot carry the label: a one-line build on top of the base image does.
  printf 'FROM %s\nLABEL %s=true\n' "$base" "$label" | docker build --quiet --tag "$python_image" - >/dev/null 2>&1 \
    || die "could not build $python_image from $base"
  log "$python_image: the test bed's $base"
else
  log "$python_image: a real image is there; kept"
fi

if free_for "$registry_image"; then
  apt_install docker-registry
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp /usr/bin/docker-registry "$ctx/registry"
  cat >"$ctx/config.yml" <<'EOF'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
EOF
  cat >"$ctx/Dockerfile" <<EOF
FROM $base
LABEL $label=true
COPY registry /bin/registry
COPY config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/bin/registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
EOF
  docker build --quiet --tag "$registry_image" "$ctx" >/dev/null 2>&1 \
    || die "could not build $registry_image"
  log "$registry_image: Debian's docker-registry $(dpkg-query -W -f='${Version}' docker-registry)"
else
  log "$registry_image: a real image is there; kept"
fi
