#!/usr/bin/env bash
# A real node beside the kwok nodes of cluster.sh: kubelet and kube-proxy (built by
# build-kube.sh from the same k8s.io/kubernetes module as the control plane), an own
# containerd instance (Debian's, beside Docker's: own config, root, state and socket), runc,
# Debian's CNI plugins on a bridge this script creates, and a pause image compiled from the
# module's build/pause/linux/pause.c (no image registry is reachable). Pods on it pull their
# images from the test bed's registry (plain HTTP, TESTBED_REGISTRY_* in lib.sh) with their image pull
# Secret: the node itself holds no registry credentials.
#
# Everything stays on the host: the node's IP is the gateway of its pod bridge, the kubelet
# listens on that IP only, NodePorts answer on that IP only, and forwarded traffic may not
# leave the bridge.
#
# Only pods that select and tolerate the node run on it (kwok's nodes take the rest):
#   nodeSelector  flaskapp.dev/node: real
#   toleration    key flaskapp.dev/node, operator Equal, value real, effect NoSchedule
#
# Usage:
#   ./node.sh up       build what is missing, start containerd, kubelet and kube-proxy,
#                      wait until the node is Ready; no-op when it already is (needs
#                      `cluster.sh up`; a recreated cluster resets the node)
#   ./node.sh smoke    run the app image from the registry on the node as the component
#                      deploys it (its own objects, rendered by tools/testbed/nodeSmoke.ts)
#                      under Pod Security "restricted", check the pods through the Service's
#                      ClusterIP and NodePort and `kubectl exec`, then delete everything
#   ./node.sh status   show processes, the node and its facts
#   ./node.sh down     drain and delete the node, stop its processes, remove its state
#   ./node.sh env      print the node's facts as FLASKAPP_E2E_* variables
#
# Needs root (containerd, kubelet and kube-proxy manage mounts, cgroups, links and iptables).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../lib.sh
. "$HERE/../../lib.sh"

# ---- settings -------------------------------------------------------------
# KUBE_VERSION: ../versions.sh (through lib.sh).
CLUSTER_NAME="${CLUSTER_NAME:-e2e}"
NODE_NAME="${NODE_NAME:-real-node}"
# The node's pod network, a /24: its first address is the bridge's and the node's IP.
POD_CIDR="${POD_CIDR:-10.213.0.0/24}"
BRIDGE="${BRIDGE:-flaskapp0}"
# kube-apiserver's default --service-cluster-ip-range (kwokctl does not set one).
SERVICE_CIDR="${SERVICE_CIDR:-10.0.0.0/24}"
WAIT="${WAIT:-180s}"
APT_PACKAGES="containerd runc containernetworking-plugins iptables openssl gcc libc6-dev"
CNI_BIN="/usr/lib/cni"
# ---------------------------------------------------------------------------

NODE_LABEL_KEY="flaskapp.dev/node"
NODE_LABEL_VALUE="real"
NODE_LABEL="$NODE_LABEL_KEY=$NODE_LABEL_VALUE"
NODE_TAINT="$NODE_LABEL_KEY=$NODE_LABEL_VALUE:NoSchedule"
NODE_IP="${POD_CIDR%.*}.1"

ROOT="$(cd "$HERE/../../.." && pwd)"
STATE="$RUN_DIR/node-$NODE_NAME"
LOGS="$RUN_DIR/node-$NODE_NAME-logs"
ETC="$STATE/etc"
SOCK="$STATE/containerd.sock"
KUBE_BIN="$CACHE_ROOT/kubernetes-$KUBE_VERSION/bin"
PAUSE_DIR="$CACHE_ROOT/pause-$KUBE_VERSION"
FWD_CHAIN="FLASKAPP-NODE"
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/k8s-go/mod}"

SMOKE=()
on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] || smoke_cleanup failed
  report_failure "$rc" "logs: $LOGS/"
  exit "$rc"
}
trap on_exit EXIT

# The cluster's kubeconfig, context and PKI, as cluster.sh reports them.
cluster_facts() {
  local facts
  facts=$("$HERE/cluster.sh" facts)
  { read -r KUBECONFIG_ADMIN; read -r CONTEXT; read -r PKI; } \
    <<<"$(env_get <(printf '%s\n' "$facts") KUBECONFIG CONTEXT PKI)"
  KUBECTL="$KUBE_BIN/kubectl"
}
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_ADMIN" --context "$CONTEXT" "$@"; }
api_up() { [ -f "$KUBECONFIG_ADMIN" ] && k --request-timeout=5s get --raw /readyz >/dev/null 2>&1; }

# One node.sh at a time changes the node.
lock() {
  mkdir -p "$RUN_DIR"
  exec 8>"$RUN_DIR/node-$NODE_NAME.lock"
  flock 8
}

# ---- processes ------------------------------------------------------------
# Pipelines below end in `grep >/dev/null`, not `grep -q`: with pipefail, a writer that grep -q
# stopped reading fails the pipeline.
# pid_of <name>: the pid of our <name> process, if alive (its command line names our state).
pid_of() {
  local f="$STATE/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -F -- "$STATE/" >/dev/null || return 1
  echo "$pid"
}

# start <name> <command...>: run it in its own session, logging to $LOGS/<name>.log.
start() {
  local name="$1"; shift
  mkdir -p "$LOGS"
  echo "---- $(date -u +%Y-%m-%dT%H:%M:%SZ) starting $name" >>"$LOGS/$name.log"
  # 8>&-: the daemon must not hold node.sh's lock.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$STATE/$name.pid" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null 8>&- &
}

# stop <name>: TERM, then KILL after 30s.
stop() {
  local pid i
  pid=$(pid_of "$1") || { rm -f "$STATE/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$STATE/$1.pid"
}

# wait_for <what> <seconds> <command...>: retry the command until it succeeds.
wait_for() {
  local what="$1" secs="$2" i; shift 2
  for ((i = 0; i < secs * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  log "$what did not happen within ${secs}s"
  return 1
}

# put <file>: write stdin to <file> when it differs; CHANGED lists the files written.
CHANGED=""
put() {
  local f="$1"
  mkdir -p "$(dirname "$f")"
  cat >"$f.new"
  if cmp -s "$f" "$f.new"; then rm -f "$f.new"; else mv -f "$f.new" "$f"; CHANGED="$CHANGED $f"; fi
}
changed() { local f; for f in "$@"; do case " $CHANGED " in *" $f "*) return 0 ;; esac; done; return 1; }

# ---- prerequisites --------------------------------------------------------
ensure_packages() {
  doing "checking for containerd, runc, the CNI plugins, iptables, openssl and a static libc"
  local p absent=""
  for p in containerd containerd-shim-runc-v2 ctr runc iptables openssl gcc; do
    command -v "$p" >/dev/null || absent=1
  done
  for p in bridge host-local loopback portmap; do [ -x "$CNI_BIN/$p" ] || absent=1; done
  [ -f "$(gcc -print-file-name=libc.a 2>/dev/null)" ] || absent=1
  [ -z "$absent" ] && return 0
  step "installing $APT_PACKAGES (apt-get)"
  # shellcheck disable=SC2086
  apt_install $APT_PACKAGES
}

ensure_binaries() {
  [ -x "$KUBE_BIN/kubelet" ] && [ -x "$KUBE_BIN/kube-proxy" ] && return 0
  step "building kubelet and kube-proxy (build-kube.sh)"
  KUBE_VERSION=$KUBE_VERSION KUBE_CMDS="kubelet kube-proxy" "$HERE/build-kube.sh"
}

# The sandbox ("pause") image as an OCI archive, built once per Kubernetes version from that
# version's build/pause/linux/pause.c with the flags of its Makefile.
ensure_pause_archive() {
  PAUSE_TAG=$(cat "$PAUSE_DIR/tag" 2>/dev/null || true)
  PAUSE_IMAGE="localhost/flaskapp/pause:$PAUSE_TAG"
  [ -n "$PAUSE_TAG" ] && [ -f "$PAUSE_DIR/pause.oci.tar" ] && return 0
  doing "finding k8s.io/kubernetes@v$KUBE_VERSION's build/pause in the module cache"
  local src="$GOMODCACHE/k8s.io/kubernetes@v$KUBE_VERSION/build/pause" tmp arch d
  if [ ! -f "$src/linux/pause.c" ]; then
    (cd / && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download "k8s.io/kubernetes@v$KUBE_VERSION")
  fi
  PAUSE_TAG=$(sed -n 's/^TAG ?= *//p' "$src/Makefile")
  [ -n "$PAUSE_TAG" ] || die "no TAG in $src/Makefile"
  PAUSE_IMAGE="localhost/flaskapp/pause:$PAUSE_TAG"
  step "compiling pause $PAUSE_TAG (gcc -static)"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs" "$tmp/oci/blobs/sha256"
  gcc -Os -Wall -Werror -static "-DVERSION=v$PAUSE_TAG-flaskapp" -o "$tmp/rootfs/pause" "$src/linux/pause.c"
  "$tmp/rootfs/pause" -v
  doing "writing the pause image as an OCI archive"
  arch=$(dpkg --print-architecture)
  blob() { d=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$tmp/oci/blobs/sha256/$d"; }
  tar -C "$tmp/rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$tmp/layer" pause
  local layer_size; layer_size=$(stat -c %s "$tmp/layer"); blob "$tmp/layer"; local layer=$d
  printf '{"architecture":"%s","os":"linux","config":{"User":"65535:65535","Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$layer" >"$tmp/config"
  local config_size; config_size=$(stat -c %s "$tmp/config"); blob "$tmp/config"; local config=$d
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$tmp/manifest"
  local manifest_size; manifest_size=$(stat -c %s "$tmp/manifest"); blob "$tmp/manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$d" "$manifest_size" "$arch" "$PAUSE_IMAGE" "$PAUSE_TAG" >"$tmp/oci/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$tmp/oci/oci-layout"
  mkdir -p "$PAUSE_DIR"
  tar -C "$tmp/oci" -cf "$PAUSE_DIR/pause.oci.tar.tmp" oci-layout index.json blobs
  mv -f "$PAUSE_DIR/pause.oci.tar.tmp" "$PAUSE_DIR/pause.oci.tar"
  echo "$PAUSE_TAG" >"$PAUSE_DIR/tag"
  rm -rf "$tmp"
}

# ---- configuration --------------------------------------------------------
# issue_cert <name> <subject>: a client certificate signed by the cluster's CA.
issue_cert() {
  local name="$1" subj="$2" d="$ETC/pki"
  [ -f "$d/$name.crt" ] && return 0
  mkdir -p "$d"
  (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$d/$name.key" -subj "$subj" -out "$d/$name.csr" 2>/dev/null)
  openssl x509 -req -in "$d/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 -out "$d/$name.crt" \
    -extfile <(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') 2>/dev/null
  rm -f "$d/$name.csr"
}

# kubeconfig <name>: a kubeconfig for the API server with <name>'s certificate.
kubeconfig() {
  local server; server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  put "$ETC/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster: {server: "$server", certificate-authority: "$PKI/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$ETC/pki/$1.crt", client-key: "$ETC/pki/$1.key"}
contexts:
- name: $1
  context: {cluster: $CLUSTER_NAME, user: $1}
current-context: $1
EOF
}

write_configs() {
  doing "writing the node's configuration under $ETC"
  issue_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  issue_cert kube-proxy "/CN=system:kube-proxy"
  kubeconfig kubelet
  kubeconfig kube-proxy

  put "$ETC/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
# Docker's containerd keeps its plugins; this one needs CRI, overlayfs and runc only.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$SOCK"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The host refuses a negative oom_score_adj: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$STATE/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$ETC/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$ETC/certs.d"
EOF

  # The test bed's registry speaks plain HTTP; credentials come from each pod's pull Secret.
  local registry=$TESTBED_REGISTRY_HOST:$TESTBED_REGISTRY_PORT
  put "$ETC/certs.d/$registry/hosts.toml" <<EOF
server = "http://$registry"

[host."http://$registry"]
  capabilities = ["pull", "resolve"]
EOF

  put "$ETC/cni/10-flaskapp.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "flaskapp-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$STATE/cni-ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  put "$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$SOCK
# The host runs cgroup v1 without systemd.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
registerWithTaints:
- {key: "$NODE_LABEL_KEY", value: "$NODE_LABEL_VALUE", effect: NoSchedule}
podLogsDir: "$STATE/pod-logs"
maxPods: 30
# No registry serves the pause image: never collect images.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
shutdownGracePeriod: 0s
# The host refuses negative OOM scores (the default is -999).
oomScoreAdj: 0
EOF

  put "$ETC/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: "$ETC/kube-proxy.kubeconfig"
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
# NodePorts answer on the node's IP only, not on the host's other interfaces.
nodePortAddresses: ["$NODE_IP/32"]
oomScoreAdj: 0
# Leave the host's conntrack sysctls alone (the sandbox may refuse them).
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# ---- network --------------------------------------------------------------
ensure_network() {
  doing "creating bridge $BRIDGE with the node IP $NODE_IP"
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr show dev "$BRIDGE" | grep -F " $NODE_IP/" >/dev/null || ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Services without kube-proxy rules yet go into the bridge, never to the default gateway.
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  doing "keeping forwarded pod traffic on $BRIDGE (iptables chain $FWD_CHAIN)"
  iptables -w -N "$FWD_CHAIN" 2>/dev/null || true
  iptables -w -F "$FWD_CHAIN"
  iptables -w -A "$FWD_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  iptables -w -A "$FWD_CHAIN" -i "$BRIDGE" -j DROP
  iptables -w -A "$FWD_CHAIN" -o "$BRIDGE" -j DROP
  iptables -w -C FORWARD -j "$FWD_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FWD_CHAIN"
  # Pod-to-Service traffic between pods of the bridge must traverse iptables.
  [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] \
    || echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null \
    || log "warning: cannot enable bridge-nf-call-iptables; pod-to-Service traffic on the node may fail"
}

# remove_kube_chains: the kubelet's KUBE-* chains (KUBE-FIREWALL, canaries); kube-proxy --cleanup
# removes only its own. No other kubelet or kube-proxy runs on this host.
remove_kube_chains() {
  local ipt table chain
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      "$ipt" -w -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | sed 's/^-A /-D /' \
        | xargs -r -L1 "$ipt" -w -t "$table" 2>/dev/null || true
      for chain in $("$ipt" -w -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
        "$ipt" -w -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$ipt" -w -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\)$/\1/p'); do
        "$ipt" -w -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

remove_network() {
  if iptables -w -C FORWARD -j "$FWD_CHAIN" 2>/dev/null; then iptables -w -D FORWARD -j "$FWD_CHAIN"; fi
  if iptables -w -L "$FWD_CHAIN" -n >/dev/null 2>&1; then iptables -w -F "$FWD_CHAIN" && iptables -w -X "$FWD_CHAIN"; fi
  ! ip link show "$BRIDGE" >/dev/null 2>&1 || ip link del "$BRIDGE"
}

# ---- up -------------------------------------------------------------------
ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

start_containerd() {
  if pid_of containerd >/dev/null && ! changed "$ETC/containerd.toml"; then return 0; fi
  step "starting containerd on $SOCK"
  stop containerd
  mkdir -p "$STATE/containerd"
  start containerd containerd --config "$ETC/containerd.toml"
  wait_for "containerd answering on $SOCK" 60 ctr_ version
  doing "checking that containerd loaded its CRI plugin"
  ctr_ plugins ls 2>/dev/null | grep -E '\bio\.containerd\.grpc\.v1\s+cri\s+.*\bok\b' >/dev/null || {
    grep -iE 'cri|error' "$LOGS/containerd.log" | tail -n 15 >&2
    die "containerd's CRI plugin did not load (log: $LOGS/containerd.log)"
  }
}

import_pause() {
  ctr_ images ls -q 2>/dev/null | grep -xF "$PAUSE_IMAGE" >/dev/null && return 0
  step "importing $PAUSE_IMAGE into containerd's k8s.io namespace"
  ctr_ images import "$PAUSE_DIR/pause.oci.tar" >/dev/null
  ctr_ images ls -q | grep -xF "$PAUSE_IMAGE" >/dev/null || die "$PAUSE_IMAGE is not in containerd after the import"
}

start_kubelet() {
  if pid_of kubelet >/dev/null && ! changed "$ETC/kubelet.yaml" "$ETC/kubelet.kubeconfig" "$ETC/containerd.toml"; then
    # A kubelet whose Node object went away (deleted by hand) registers again when restarted.
    k get node "$NODE_NAME" >/dev/null 2>&1 && return 0
  fi
  step "starting kubelet as node $NODE_NAME ($NODE_IP)"
  stop kubelet
  mkdir -p "$STATE/kubelet" "$STATE/pod-logs"
  start kubelet "$KUBE_BIN/kubelet" --config="$ETC/kubelet.yaml" --kubeconfig="$ETC/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --node-labels="$NODE_LABEL" --v=1
  wait_for "kubelet healthz on 127.0.0.1:10248" 60 curl -fsS --noproxy '*' -m 2 http://127.0.0.1:10248/healthz
}

start_kube_proxy() {
  if pid_of kube-proxy >/dev/null && ! changed "$ETC/kube-proxy.yaml" "$ETC/kube-proxy.kubeconfig"; then return 0; fi
  step "starting kube-proxy (iptables mode)"
  stop kube-proxy
  start kube-proxy "$KUBE_BIN/kube-proxy" --config="$ETC/kube-proxy.yaml" --v=1
  wait_for "kube-proxy healthz on 127.0.0.1:10256" 60 curl -fsS --noproxy '*' -m 2 http://127.0.0.1:10256/healthz
}

cmd_up() {
  local t0; t0=$(ts)
  need_root
  lock
  cluster_facts
  doing "checking that the cluster is up"
  api_up || die "cluster '$CLUSTER_NAME' is not up (run: $HERE/cluster.sh up)"
  ensure_packages
  ensure_binaries
  ensure_pause_archive

  # Certificates and the Node object belong to one cluster: a new cluster means a new node.
  doing "comparing the cluster's CA with the node's"
  local ca; ca=$(sha256sum "$PKI/ca.crt" | cut -d' ' -f1)
  if [ -d "$STATE" ] && [ "$(cat "$STATE/cluster-ca.sha256" 2>/dev/null)" != "$ca" ]; then
    echo "==> resetting the node: it belonged to another cluster"
    down
  fi
  mkdir -p "$STATE"
  echo "$ca" >"$STATE/cluster-ca.sha256"

  write_configs
  ensure_network
  start_containerd
  import_pause
  start_kubelet
  start_kube_proxy

  doing "waiting for node $NODE_NAME to register"
  wait_for "node $NODE_NAME registering" 90 k get node "$NODE_NAME"
  doing "waiting for node $NODE_NAME to become Ready"
  k wait --for=condition=Ready "node/$NODE_NAME" --timeout="$WAIT" >/dev/null
  k get node "$NODE_NAME" -o wide
  echo "node $NODE_NAME up in $(since "$t0"): label $NODE_LABEL, taint $NODE_TAINT"
}

# ---- down -----------------------------------------------------------------
# down: what cmd_down does, inside the lock.
down() {
  if api_up && k get node "$NODE_NAME" >/dev/null 2>&1; then
    step "draining node $NODE_NAME"
    k cordon "$NODE_NAME" >/dev/null
    # The kubelet stops the pods' containers and releases their network; without a kubelet,
    # only the API objects can go.
    if pid_of kubelet >/dev/null; then
      k delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --timeout=90s >/dev/null \
        || k delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --force --grace-period=0 >/dev/null 2>&1 || true
    else
      k delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --force --grace-period=0 >/dev/null 2>&1 || true
    fi
    k delete node "$NODE_NAME" --ignore-not-found >/dev/null
  fi
  doing "stopping kube-proxy and removing its rules"
  stop kube-proxy
  [ ! -x "$KUBE_BIN/kube-proxy" ] || "$KUBE_BIN/kube-proxy" --cleanup >>"$LOGS/kube-proxy.log" 2>&1 || true
  doing "stopping kubelet"
  stop kubelet
  doing "removing leftover containers"
  local netns="" id
  if pid_of containerd >/dev/null; then
    for id in $(ctr_ containers ls -q 2>/dev/null); do
      netns="$netns $(ctr_ containers info "$id" 2>/dev/null | grep -o '"/var/run/netns/cni-[^"]*"' | tr -d '"' || true)"
      ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true
      ctr_ containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  doing "stopping containerd"
  stop containerd
  # Shims of this containerd outlive it; they name its socket.
  local d
  for d in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -F -- "-address $SOCK " >/dev/null && kill -KILL "${d#/proc/}" 2>/dev/null || true
  done
  doing "unmounting what the node mounted under $STATE"
  local m
  for m in $(awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for m in $netns; do umount "$m" 2>/dev/null || true; rm -f "$m"; done
  # Empty pod cgroups that the kubelet leaves behind.
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null || true
  doing "removing bridge $BRIDGE and the iptables chains of the node"
  remove_kube_chains
  remove_network
  rm -rf "$STATE"
}

cmd_down() {
  local t0; t0=$(ts)
  if [ ! -d "$STATE" ] && ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    echo "node $NODE_NAME is not up"
    return 0
  fi
  need_root
  lock
  cluster_facts
  down
  echo "node $NODE_NAME down in $(since "$t0")"
}

# ---- status / env -----------------------------------------------------------
cmd_status() {
  cluster_facts
  local p
  for p in containerd kubelet kube-proxy; do
    if pid_of "$p" >/dev/null; then echo "$p: running (pid $(pid_of "$p"), log $LOGS/$p.log)"; else echo "$p: not running"; fi
  done
  if api_up; then k get node "$NODE_NAME" -o wide 2>/dev/null || echo "node $NODE_NAME is not registered"; else echo "cluster '$CLUSTER_NAME' is not up"; fi
  cmd_env
}

cmd_env() {
  echo "FLASKAPP_E2E_REAL_NODE=$NODE_NAME"
  echo "FLASKAPP_E2E_REAL_NODE_IP=$NODE_IP"
  echo "FLASKAPP_E2E_REAL_NODE_SELECTOR=$NODE_LABEL"
  echo "FLASKAPP_E2E_REAL_NODE_TAINT=$NODE_TAINT"
  echo "FLASKAPP_E2E_REAL_NODE_POD_CIDR=$POD_CIDR"
}

# ---- smoke ------------------------------------------------------------------
# cmd_smoke: the app image, built from app/ and pushed to the test bed's registry, runs on the
# node the way the component deploys it, under Pod Security "restricted".
cmd_smoke() {
  local t1 ns=flaskapp-node-smoke tag img ref envf="$RUN_DIR/testbed.env" cfg
  # The pods of the component's stack named "web" (tools/testbed/nodeSmoke.ts).
  local selector=app.kubernetes.io/instance=web
  digest=""
  cluster_facts
  doing "checking that node $NODE_NAME is Ready"
  api_up || die "cluster '$CLUSTER_NAME' is not up (run: $HERE/cluster.sh up)"
  [ "$(k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] \
    || die "node $NODE_NAME is not Ready (run: $0 up)"
  doing "reading the test bed's environment ($envf)"
  [ -f "$envf" ] || die "$envf is missing (run: scripts/testbed/up.sh)"
  local bed
  bed=$(env_get "$envf" FLASKAPP_E2E_REGISTRY FLASKAPP_E2E_REGISTRY_USERNAME FLASKAPP_E2E_REGISTRY_PASSWORD \
    FLASKAPP_E2E_BASE_IMAGE FLASKAPP_E2E_PIP_INDEX_URL FLASKAPP_E2E_PIP_TRUSTED_HOST)
  { read -r FLASKAPP_E2E_REGISTRY; read -r FLASKAPP_E2E_REGISTRY_USERNAME; read -r FLASKAPP_E2E_REGISTRY_PASSWORD
    read -r FLASKAPP_E2E_BASE_IMAGE; read -r FLASKAPP_E2E_PIP_INDEX_URL; read -r FLASKAPP_E2E_PIP_TRUSTED_HOST; } <<<"$bed"
  tag="smoke-$(date +%s)"
  img="$FLASKAPP_E2E_REGISTRY/flaskapp-node-smoke/app"
  cfg=$(mktemp -d)
  SMOKE=("$ns" "$img" "$tag" "$cfg")

  step "building the app image from app/ ($img:$tag)"
  t1=$(ts)
  docker build -t "$img:$tag" --build-arg "BASE_IMAGE=$FLASKAPP_E2E_BASE_IMAGE" \
    --build-arg "PIP_INDEX_URL=$FLASKAPP_E2E_PIP_INDEX_URL" --build-arg "PIP_TRUSTED_HOST=$FLASKAPP_E2E_PIP_TRUSTED_HOST" \
    "$ROOT/app" >"$cfg/build.log" 2>&1 || { tail -n 30 "$cfg/build.log" >&2; return 1; }
  doing "pushing $img:$tag"
  printf '%s' "$FLASKAPP_E2E_REGISTRY_PASSWORD" | DOCKER_CONFIG="$cfg" docker login -u "$FLASKAPP_E2E_REGISTRY_USERNAME" \
    --password-stdin "$FLASKAPP_E2E_REGISTRY" >/dev/null 2>&1
  DOCKER_CONFIG="$cfg" docker push -q "$img:$tag" >/dev/null
  digest=$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$img:$tag" | sed -n "s|^$img@||p" | head -1)
  [ -n "$digest" ] || die "no digest for $img:$tag after the push"
  ref="$img@$digest"
  echo "    built and pushed in $(since "$t1"): $ref"

  # shellcheck source=../../ensure-node.sh
  source "$ROOT/scripts/ensure-node.sh"
  step "deploying the component's objects (tools/testbed/nodeSmoke.ts) for $ref on node $NODE_NAME"
  k delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
  t1=$(ts)
  # The objects `pulumi up` creates, rendered by the component's own code; the registry
  # password reaches the renderer and kubectl through the environment and a pipe only.
  (cd "$ROOT" && NAMESPACE="$ns" IMAGE="$ref" NODE_LABEL="$NODE_LABEL" \
    FLASKAPP_E2E_REGISTRY_USERNAME="$FLASKAPP_E2E_REGISTRY_USERNAME" \
    FLASKAPP_E2E_REGISTRY_PASSWORD="$FLASKAPP_E2E_REGISTRY_PASSWORD" \
    npx ts-node --transpile-only tools/testbed/nodeSmoke.ts) | k apply -f - >/dev/null

  doing "checking that the namespace refuses a pod that is not restricted"
  local out
  if out=$(k -n "$ns" run psa-probe --image="$ref" --restart=Never --dry-run=server 2>&1); then
    die "a pod without the restricted securityContext was admitted in $ns"
  fi
  grep -q 'violates PodSecurity "restricted' <<<"$out" || die "unexpected refusal: $out"

  doing "waiting for Deployment web to become Available (image pull with the pod's Secret, readiness on /healthz)"
  k -n "$ns" rollout status deployment/web --timeout="$WAIT" >/dev/null
  echo "    pods Ready in $(since "$t1")"
  k -n "$ns" get pods -o wide

  doing "checking that the pods run on $NODE_NAME with addresses from $POD_CIDR"
  local pod ip nodes
  nodes=$(k -n "$ns" get pods -l "$selector" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u)
  [ "$nodes" = "$NODE_NAME" ] || die "pods scheduled on: $nodes"
  for ip in $(k -n "$ns" get pods -l "$selector" -o jsonpath='{.items[*].status.podIP}'); do
    [ "${ip%.*}" = "${POD_CIDR%.*}" ] || die "pod IP $ip is not in $POD_CIDR"
  done

  doing "checking that the node itself cannot pull $ref (no credentials on the node)"
  k -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: no-pull-secret}
spec:
  nodeSelector: {$NODE_LABEL_KEY: $NODE_LABEL_VALUE}
  tolerations:
  - {key: $NODE_LABEL_KEY, operator: Equal, value: $NODE_LABEL_VALUE, effect: NoSchedule}
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: $ref
    imagePullPolicy: Always
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
  pull_refused() {
    k -n "$ns" get pod no-pull-secret -o jsonpath='{.status.containerStatuses[0].state.waiting.message}' \
      | grep -iE '401 Unauthorized|authorization failed' >/dev/null
  }
  wait_for "pod no-pull-secret being refused by the registry" 60 pull_refused
  echo "    without the pull Secret: $(k -n "$ns" get pod no-pull-secret -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}'), the registry answers 401"
  k -n "$ns" delete pod no-pull-secret --wait=false >/dev/null

  doing "calling the Service's ClusterIP from the host"
  local cip port np
  cip=$(k -n "$ns" get service web -o jsonpath='{.spec.clusterIP}')
  port=$(k -n "$ns" get service web -o jsonpath='{.spec.ports[0].port}')
  wait_for "http://$cip:$port/healthz answering" 30 curl -fsS --noproxy '*' -m 3 "http://$cip:$port/healthz"
  echo "    ClusterIP  http://$cip:$port/healthz -> $(curl -sS --noproxy '*' -m 3 -o /dev/null -w '%{http_code}' "http://$cip:$port/healthz")"
  doing "calling the Service's NodePort on $NODE_IP from the host"
  np=$(k -n "$ns" get service web -o jsonpath='{.spec.ports[0].nodePort}')
  wait_for "http://$NODE_IP:$np/healthz answering" 30 curl -fsS --noproxy '*' -m 3 "http://$NODE_IP:$np/healthz"
  echo "    NodePort   http://$NODE_IP:$np/healthz -> $(curl -sS --noproxy '*' -m 3 -o /dev/null -w '%{http_code}' "http://$NODE_IP:$np/healthz")"

  doing "kubectl exec: the container runs as UID 10001 on a read-only root"
  pod=$(k -n "$ns" get pods -l "$selector" -o jsonpath='{.items[0].metadata.name}')
  local uid; uid=$(k -n "$ns" exec "$pod" -- id -u)
  [ "$uid" = 10001 ] || die "id -u in $pod printed '$uid'"
  if out=$(k -n "$ns" exec "$pod" -- sh -c 'touch /smoke-probe' 2>&1); then die "writing to / succeeded in $pod"; fi
  grep -q 'Read-only file system' <<<"$out" || die "writing to / failed for another reason: $out"
  echo "    exec $pod: id -u = $uid; touch /smoke-probe: $(grep -o 'Read-only file system' <<<"$out")"
  doing "kubectl logs"
  [ -n "$(k -n "$ns" logs "$pod" --tail=5)" ] || die "kubectl logs $pod printed nothing"

  doing "deleting namespace $ns"
  t1=$(ts)
  smoke_cleanup ok
  echo "    cleaned up in $(since "$t1")"
  echo "node smoke test passed"
}

# smoke_cleanup: delete what cmd_smoke made (on failure too, after showing the pods' events).
smoke_cleanup() {
  [ "${#SMOKE[@]}" -gt 0 ] || return 0
  local ns="${SMOKE[0]}" img="${SMOKE[1]}" tag="${SMOKE[2]}" cfg="${SMOKE[3]}"
  SMOKE=()
  if [ "$1" != ok ]; then
    k -n "$ns" get pods -o wide >&2 2>/dev/null || true
    k -n "$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 15 >&2 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "KEEP=1: namespace $ns and $img:$tag left in place"; rm -rf "$cfg"; return 0; fi
  k delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  if [ -n "${digest:-}" ]; then
    # The registry deletes by digest; the credentials go through a curl config on stdin.
    printf 'user = "%s:%s"\n' "$FLASKAPP_E2E_REGISTRY_USERNAME" "$FLASKAPP_E2E_REGISTRY_PASSWORD" \
      | curl -s --noproxy '*' -o /dev/null -K - -X DELETE "http://${img%%/*}/v2/${img#*/}/manifests/$digest" || true
  fi
  # The pulled image, under its name and under the ID that CRI gives it.
  ctr_ images ls 2>/dev/null | awk -v img="$img" 'index($1, img) == 1 {d[$3] = 1} {r[NR] = $1; g[NR] = $3}
    END {for (i in r) if (g[i] in d) print r[i]}' | xargs -r ctr --address "$SOCK" --namespace k8s.io images rm >/dev/null 2>&1 || true
  docker rmi "$img:$tag" >/dev/null 2>&1 || true
  rm -rf "$cfg"
}

case "${1:-}" in
  up)     cmd_up ;;
  smoke)  cmd_smoke ;;
  status) cmd_status ;;
  down)   cmd_down ;;
  env)    cmd_env ;;
  *)      trap - EXIT; echo "usage: $0 up|smoke|status|down|env" >&2; exit 64 ;;
esac
