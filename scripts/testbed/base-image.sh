#!/usr/bin/env bash
# Build a Debian + Python base image (suite and name: versions.sh) without any image registry:
# debootstrap a minbase rootfs, slim it, tar it into a cache, docker import.
#
# Usage: base-image.sh [build|rebuild|info]
#   build   (default) no-op if the image exists with the same cache key;
#           re-import from the cached rootfs tarball if only the image is
#           missing; debootstrap only when the tarball is missing too.
#   rebuild ignore image and tarball, debootstrap again.
#   info    print image name, key, size.
#
# The image mimics the parts of the python:<version>-slim images that Dockerfiles rely on:
# `python3` and `python` on PATH (also /usr/local/bin/python3, /usr/local/bin/python),
# `python3 -m venv` with pip, CA certificates, LANG=C.UTF-8, CMD ["python3"].
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# ---- settings -------------------------------------------------------------
# BASE_SUITE, BASE_IMAGE_REPO, BASE_IMAGE_TAG: versions.sh (through lib.sh).
BASE_VARIANT="${BASE_VARIANT:-minbase}"
BASE_ARCH="${BASE_ARCH:-amd64}"
# Empty = first Debian "main" URI found in this machine's apt sources.
BASE_MIRROR="${BASE_MIRROR:-}"
BASE_PACKAGES="${BASE_PACKAGES:-python3 python3-venv python3-pip python-is-python3 ca-certificates}"
# Extra CA certificates to trust inside the image (PEM bundle path), or
#   auto = certificates in this host's /etc/ssl/certs/ca-certificates.crt that
#          Debian's ca-certificates package does not ship (e.g. a TLS-inspecting
#          egress proxy's CA, without which https to PyPI fails in containers)
#   none = only Debian's ca-certificates.
BASE_EXTRA_CA="${BASE_EXTRA_CA:-auto}"
BASE_SLIM="${BASE_SLIM:-1}"          # drop docs/man/locales like the -slim images
BASE_VERIFY="${BASE_VERIFY:-1}"      # smoke-test the image after import
ROOTFS_CACHE_DIR="${ROOTFS_CACHE_DIR:-$CACHE_ROOT/rootfs}"
BUILD_PARENT="${BUILD_PARENT:-/var/tmp}"
RECIPE_VERSION=3                     # bump when the customisation below changes
# ---------------------------------------------------------------------------

IMAGE="$BASE_IMAGE_REPO:$BASE_IMAGE_TAG"
T0=$(date +%s)

detect_mirror() {
  [ -n "$BASE_MIRROR" ] && { echo "$BASE_MIRROR"; return; }
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m="$(awk '/^URIs:/{for(i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m="$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# PEM certificates from the host bundle that Debian's ca-certificates lacks.
host_extra_cas() { # $1 = Debian bundle to compare against -> PEM on stdout
  python3 - "$1" /etc/ssl/certs/ca-certificates.crt <<'PY'
import re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
def certs(p):
    try:
        return pem.findall(open(p).read())
    except FileNotFoundError:
        return []
norm = lambda c: "".join(c.split())
base = {norm(c) for c in certs(sys.argv[1])}
for c in certs(sys.argv[2]):
    if norm(c) not in base:
        print(c)
PY
}

MIRROR="$(detect_mirror)"
EXTRA_CA_PEM=""
case "$BASE_EXTRA_CA" in
  none) ;;
  auto)
    # compare against Debian's own bundle; the host's ca-certificates package
    # ships the same set, so diff against the certs it installs
    if [ -d /usr/share/ca-certificates/mozilla ]; then
      tmpb="$(mktemp)"; cat /usr/share/ca-certificates/mozilla/*.crt >"$tmpb"
      EXTRA_CA_PEM="$(host_extra_cas "$tmpb")"; rm -f "$tmpb"
    fi ;;
  *) [ -r "$BASE_EXTRA_CA" ] || die "BASE_EXTRA_CA=$BASE_EXTRA_CA is not a readable PEM file"
     EXTRA_CA_PEM="$(cat "$BASE_EXTRA_CA")" ;;
esac

KEY="$(printf '%s\n' "$RECIPE_VERSION" "$BASE_SUITE" "$BASE_VARIANT" "$BASE_ARCH" \
        "$(tr ' ' '\n' <<<"$BASE_PACKAGES" | sort -u | tr '\n' ' ')" "$BASE_SLIM" "$EXTRA_CA_PEM" \
        | sha256sum | cut -c1-16)"
TARBALL="$ROOTFS_CACHE_DIR/rootfs-$BASE_SUITE-$BASE_VARIANT-$BASE_ARCH-$KEY.tar"

image_key() { docker image inspect -f '{{index .Config.Labels "org.flaskapp.rootfs-key"}}' "$IMAGE" 2>/dev/null || true; }

preflight() {
  command -v docker >/dev/null 2>&1 || die "docker CLI missing (run docker-engine.sh)"
  docker info >/dev/null 2>&1 || die "docker engine not answering (run docker-engine.sh)"
}

build_rootfs() {
  need_root "debootstrap"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  mkdir -p "$ROOTFS_CACHE_DIR"
  local dir; dir="$(mktemp -d "$BUILD_PARENT/flaskapp-rootfs.XXXXXX")"
  ROOTFS_DIR="$dir"
  trap 'cleanup_build' EXIT
  local pkgs; pkgs="$(tr -s ' ' ',' <<<"$BASE_PACKAGES")"
  log "debootstrap --variant=$BASE_VARIANT --include=$pkgs $BASE_SUITE $dir $MIRROR"
  local t1; t1=$(date +%s)
  debootstrap --variant="$BASE_VARIANT" --arch="$BASE_ARCH" --include="$pkgs" \
      "$BASE_SUITE" "$dir" "$MIRROR" >"$ROOTFS_CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$ROOTFS_CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $ROOTFS_CACHE_DIR/debootstrap.log)"; }
  log "debootstrap done in $(( $(date +%s) - t1 ))s"
  customise "$dir"
  log "writing $TARBALL"
  tar -C "$dir" --numeric-owner --xattrs -cf "$TARBALL.tmp" . || die "tar of $dir failed"
  mv -f "$TARBALL.tmp" "$TARBALL"
}

cleanup_build() {
  if [ -n "${ROOTFS_DIR:-}" ] && [ -d "$ROOTFS_DIR" ]; then
    local m
    for m in proc sys dev/pts; do mountpoint -q "$ROOTFS_DIR/$m" && umount -l "$ROOTFS_DIR/$m"; done
    rm -rf "$ROOTFS_DIR"
  fi
  rm -f "$TARBALL.tmp"
}

customise() {
  local r="$1"
  local sec_mirror="${MIRROR%/debian}/debian-security"
  cat >"$r/etc/apt/sources.list" <<EOF
deb $MIRROR $BASE_SUITE main
deb $MIRROR $BASE_SUITE-updates main
deb $sec_mirror $BASE_SUITE-security main
EOF
  # same apt hygiene as the official debian images
  cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
  if [ "$BASE_SLIM" = 1 ]; then
    cat >"$r/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$r/usr/share/man/"* "$r/usr/share/info/"* "$r/usr/share/groff/"* "$r/usr/share/lintian/"* "$r/usr/share/linda/"*
    find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  fi
  if [ -n "$EXTRA_CA_PEM" ]; then
    mkdir -p "$r/usr/local/share/ca-certificates"
    printf '%s\n' "$EXTRA_CA_PEM" | awk '/BEGIN CERT/{n++} {print > (dir "/extra-ca-" n ".crt")}' dir="$r/usr/local/share/ca-certificates"
    chroot "$r" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates in rootfs failed"
    log "added $(ls "$r/usr/local/share/ca-certificates" | wc -l) extra CA certificate(s) from the host"
  fi
  # python3 / python where python:3.x-slim has them
  ln -sf /usr/bin/python3 "$r/usr/local/bin/python3"
  ln -sf /usr/bin/python3 "$r/usr/local/bin/python"
  # caches, logs, host leftovers
  rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin "$r/var/cache/apt/archives/"*.deb \
         "$r/var/cache/apt/archives/partial/"* "$r/var/cache/debconf/"*-old "$r/var/lib/dpkg/"*-old \
         "$r/var/log/"*.log "$r/var/log/apt/"* "$r/tmp/"* "$r/var/tmp/"* "$r/root/.cache"
  find "$r/var/log" -type f -exec truncate -s 0 {} + 2>/dev/null || true
  : >"$r/etc/resolv.conf"; : >"$r/etc/hostname"; : >"$r/etc/machine-id" 2>/dev/null || true
  for m in proc sys dev/pts; do mountpoint -q "$r/$m" && umount -l "$r/$m"; done
  find "$r/dev" -mindepth 1 -delete 2>/dev/null || true
}

import_image() {
  log "docker import $TARBALL -> $IMAGE"
  local created; created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --change "LABEL org.flaskapp.rootfs-key=$KEY" \
    --change "LABEL org.flaskapp.suite=$BASE_SUITE" \
    --change "LABEL org.flaskapp.packages=\"$BASE_PACKAGES\"" \
    --change "LABEL org.opencontainers.image.created=$created" \
    --message "debootstrap $BASE_SUITE $BASE_VARIANT + $BASE_PACKAGES" \
    "$TARBALL" "$IMAGE" >/dev/null || die "docker import of $TARBALL failed"
}

verify_image() {
  [ "$BASE_VERIFY" = 1 ] || return 0
  docker run --rm "$IMAGE" sh -ec '
    python3 --version; python --version >/dev/null; /usr/local/bin/python3 -c "import ssl, sqlite3, venv"
    python3 -m venv /tmp/v && /tmp/v/bin/pip --version >/dev/null
    test "$(which python3)" = /usr/local/bin/python3' >/dev/null \
    || die "smoke test of $IMAGE failed (python3/python/venv/pip)"
  log "smoke test OK (python3, python, venv+pip)"
}

info() {
  local size; size="$(docker image inspect -f '{{.Size}}' "$IMAGE" 2>/dev/null)" || die "image $IMAGE not present"
  echo "image $IMAGE key=$KEY size=$((size / 1024 / 1024))MiB tarball=$TARBALL ($(du -m "$TARBALL" 2>/dev/null | cut -f1)MiB)"
}

main() {
  preflight
  local mode="${1:-build}"
  case "$mode" in
    info) info; return ;;
    rebuild) rm -f "$TARBALL" ;;
    build) ;;
    *) die "unknown subcommand '$mode' (use build|rebuild|info)" ;;
  esac
  if [ "$mode" = build ] && [ "$(image_key)" = "$KEY" ]; then
    log "image $IMAGE up to date (key $KEY)"
    info; return
  fi
  if [ ! -s "$TARBALL" ]; then
    build_rootfs
  else
    log "using cached rootfs $TARBALL"
  fi
  import_image
  verify_image
  log "done in $(( $(date +%s) - T0 ))s"
  info
}

main "$@"
