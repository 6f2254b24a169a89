#!/usr/bin/env bash
# Local Kubernetes control plane for end-to-end tests, from locally built
# binaries (no downloads): etcd + kube-apiserver + kube-controller-manager +
# kube-scheduler + kwok-controller, started by `kwokctl --runtime binary` on
# 127.0.0.1, plus fake kwok nodes that "run" any pod without a container runtime.
# A real node (kubelet + containerd) can join it beside them: see node.sh.
#
# Usage:
#   ./cluster.sh up       build binaries if missing (build-*.sh), start the cluster,
#                         add $NODES fake node(s); a cluster already up with the same
#                         configuration is kept when it runs workloads (every component's
#                         process alive and a Deployment Available within 30 s); otherwise it
#                         is recreated, with one line that says why
#   ./cluster.sh recovery-check
#                         kill the controller manager and the scheduler: the supervisor that
#                         `up` starts brings them back; without it, the next `up` notices and
#                         recreates the cluster (and brings the real node back)
#   ./cluster.sh supervise
#                         the supervisor itself, which `up` starts in the background: starts a
#                         controller manager or scheduler that has exited again
#   ./cluster.sh smoke    create a Deployment on the fake node(s), wait until its
#                         pods are Ready and it is Available, then delete it
#   ./cluster.sh status   show components and nodes
#   ./cluster.sh down     stop the real node if it runs (node.sh down), then stop and
#                         delete the cluster (state dir and kubeconfig)
#   ./cluster.sh env      print `export KUBECONFIG=...`, the kubectl path and the PKI folder
#   ./cluster.sh facts    print the same as NAME=value lines for scripts to read (KUBECONFIG,
#                         KUBECTL, CONTEXT, PKI)
#
# Kubeconfig: $KUBECONFIG_OUT (default ~/.cache/flaskapp/run/k8s-e2e/kubeconfig)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../lib.sh
. "$HERE/../../lib.sh"
close_inherited_fds

# KUBE_VERSION, ETCD_VERSION, KWOK_VERSION: ../versions.sh (through lib.sh), as in build-*.sh.
CLUSTER_NAME="${CLUSTER_NAME:-e2e}"
NODES="${NODES:-1}"
STATE="${K8S_STATE_DIR:-$RUN_DIR/k8s-$CLUSTER_NAME}"
KUBECONFIG_OUT="${KUBECONFIG_OUT:-$STATE/kubeconfig}"
WAIT="${WAIT:-180s}"

KUBE_BIN="$CACHE_ROOT/kubernetes-$KUBE_VERSION/bin"
ETCD_BIN="$CACHE_ROOT/etcd-$ETCD_VERSION/bin"
KWOK_BIN="$CACHE_ROOT/kwok-$KWOK_VERSION/bin"
KWOKCTL="$KWOK_BIN/kwokctl"
KUBECTL="$KUBE_BIN/kubectl"

# kwokctl keeps its state (pki, logs, etcd data, pids) under KWOK_WORKDIR.
export KWOK_WORKDIR="$STATE/kwok"
export PATH="$KUBE_BIN:$PATH"          # kwokctl looks kubectl up on PATH
export KUBECACHEDIR="$STATE/kube-cache" # keep kubectl's discovery cache out of ~/.kube
# Any download attempt fails immediately instead of reaching the internet.
NO_DOWNLOAD="http://127.0.0.1:9/no-downloads"

trap 'on_exit_report "component logs: $KWOKCTL --name $CLUSTER_NAME logs <component>, or $KWOK_WORKDIR/clusters/$CLUSTER_NAME/logs/"' EXIT

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" --context "kwok-$CLUSTER_NAME" "$@"; }

ensure_binaries() {
  doing "checking for locally built binaries"
  local want="$ETCD_BIN/etcd $KUBE_BIN/kube-apiserver $KUBE_BIN/kube-controller-manager $KUBE_BIN/kube-scheduler $KUBECTL $KWOK_BIN/kwok $KWOKCTL" f
  for f in $want; do
    [ -x "$f" ] && continue
    echo "missing $f: running the build scripts (idempotent, may take several minutes)"
    doing "building binaries (build-etcd.sh, build-kube.sh, build-kwok.sh)"
    "$HERE/build-etcd.sh"
    "$HERE/build-kube.sh"
    "$HERE/build-kwok.sh"
    break
  done
  for f in $want; do [ -x "$f" ] || die "$f is still missing after the build"; done
}

# Fake nodes carry this label (set by `kwokctl scale node`) and this annotation (kwokctl's node
# template); the real node of node.sh carries neither.
FAKE_NODE_LABEL="kwok.x-k8s.io/kwokctl-scale=node"
FAKE_NODE_ANNOTATION="kwok.x-k8s.io/node=fake"

# config <file>: the kwokctl configuration of this cluster.
config() {
  local pki="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/pki"
  cat >"$1" <<EOT
kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  runtime: binary
  kubeVersion: v$KUBE_VERSION
  bindAddress: 127.0.0.1
  quietPull: true
  cacheDir: $STATE/kwok/cache
  etcdBinary: $ETCD_BIN/etcd
  kubeApiserverBinary: $KUBE_BIN/kube-apiserver
  kubeControllerManagerBinary: $KUBE_BIN/kube-controller-manager
  kubeSchedulerBinary: $KUBE_BIN/kube-scheduler
  kubectlBinary: $KUBECTL
  kwokControllerBinary: $KWOK_BIN/kwok
  kubeBinaryPrefix: $NO_DOWNLOAD
  etcdBinaryPrefix: $NO_DOWNLOAD
  kwokBinaryPrefix: $NO_DOWNLOAD
  prometheusBinaryPrefix: $NO_DOWNLOAD
  jaegerBinaryPrefix: $NO_DOWNLOAD
  metricsServerBinaryPrefix: $NO_DOWNLOAD
componentsPatches:
# kwokctl's binary runtime starts the controller with --manage-all-nodes=true: it would also
# mark the real node's pods Running with made-up IPs. Keep it to the nodes it created.
- name: kwok-controller
  extraArgs:
  - key: manage-all-nodes
    value: "false"
    override: true
  - key: manage-nodes-with-annotation-selector
    value: $FAKE_NODE_ANNOTATION
# One instance of each, so no leader election: on a loaded 2-core machine a lease renewal that
# misses its deadline makes the component log "leaderelection lost" and exit, and nothing
# restarts it while the API server answers on.
- name: kube-controller-manager
  extraArgs:
  - key: leader-elect
    value: "false"
- name: kube-scheduler
  extraArgs:
  - key: leader-elect
    value: "false"
# kubectl exec/logs/port-forward on the real node: reach its kubelet by the InternalIP it
# reports (its node name resolves nowhere) and authenticate with the cluster's admin cert.
- name: kube-apiserver
  extraArgs:
  - key: kubelet-preferred-address-types
    value: InternalIP,Hostname,InternalDNS,ExternalDNS,ExternalIP
  - key: kubelet-client-certificate
    value: $pki/admin.crt
  - key: kubelet-client-key
    value: $pki/admin.key
EOT
}

healthy() {
  [ -f "$KUBECONFIG_OUT" ] && k --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

PIDS="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/pids"
LOGS="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/logs"

# dead_components: the components whose process is gone, one a line.
dead_components() {
  local pid_file
  for pid_file in "$PIDS"/*.pid; do
    [ -e "$pid_file" ] || continue
    kill -0 "$(cat "$pid_file")" 2>/dev/null || basename "$pid_file" .pid
  done
}

# runs_a_deployment: the control plane does its work, not only answers: a Deployment gets its
# ReplicaSet and a Ready pod on a fake node within 30 s (the controller manager and the
# scheduler at work, the kwok controller marking the pod Ready).
runs_a_deployment() {
  local name=warm-check-$$ ok=0
  k delete deployment "$name" --ignore-not-found --wait=true >/dev/null 2>&1 || return 1
  k create deployment "$name" --image="registry.invalid/warm-check@sha256:$(printf '0%.0s' {1..64})" >/dev/null 2>&1 \
    || return 1
  k wait --for=condition=Available "deployment/$name" --timeout=30s >/dev/null 2>&1 || ok=1
  k delete deployment "$name" --wait=false >/dev/null 2>&1
  return "$ok"
}

# The components the supervisor starts again when they exit. Not the kwok controller: a new one
# leaves the fake nodes to the old one's node leases. Not etcd or the API server: nothing seen
# here has ended them, and the warm check of the next `up` recreates the cluster if it does.
SUPERVISED=(kube-controller-manager kube-scheduler)
SUPERVISOR_PID="$STATE/supervisor.pid"
SUPERVISOR_LOG="$STATE/supervisor.log"

# supervise: runs in the background from `up` on. Every 2 s it keeps the command line of each
# supervised component that runs, and starts one that has exited again with that command line,
# keeping its log up to then, and says so in supervisor.log.
cmd_supervise() {
  local name pid stamp cmd
  trap - EXIT
  while sleep 2; do
    remember_commands
    for name in "${SUPERVISED[@]}"; do
      pid=$(cat "$PIDS/$name.pid" 2>/dev/null) || continue
      kill -0 "$pid" 2>/dev/null && continue
      [ -s "$STATE/$name.cmdline" ] || continue
      stamp=$(date +%Y%m%dT%H%M%S)
      cp "$LOGS/$name.log" "$LOGS/$name.$stamp.log" 2>/dev/null || true
      mapfile -d '' -t cmd <"$STATE/$name.cmdline"
      (cd "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" && exec setsid "${cmd[@]}" >>"$LOGS/$name.log" 2>&1 </dev/null) &
      echo "$!" >"$PIDS/$name.pid"
      echo "$(date -u +%FT%TZ) $name (pid $pid) had exited; started again as pid $!; its log up to then: $LOGS/$name.$stamp.log" >>"$SUPERVISOR_LOG"
    done
  done
}

# remember_commands: the command line of each supervised component that runs, kept to start it
# again the same way.
remember_commands() {
  local name pid
  for name in "${SUPERVISED[@]}"; do
    pid=$(cat "$PIDS/$name.pid" 2>/dev/null) || continue
    kill -0 "$pid" 2>/dev/null || continue
    [ "$(cat "$STATE/$name.cmdline.pid" 2>/dev/null)" = "$pid" ] && continue
    cp "/proc/$pid/cmdline" "$STATE/$name.cmdline" && echo "$pid" >"$STATE/$name.cmdline.pid"
  done
}

# running_supervisor: the pid of the supervisor when it runs. After a restart of the machine the
# pid file may name another process, or none.
running_supervisor() {
  local pid
  pid=$(cat "$SUPERVISOR_PID" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "cluster.sh supervise" || return 1
  echo "$pid"
}

start_supervisor() {
  remember_commands
  running_supervisor >/dev/null && return 0
  setsid "$HERE/cluster.sh" supervise >>"$SUPERVISOR_LOG" 2>&1 </dev/null &
  echo "$!" >"$SUPERVISOR_PID"
}

stop_supervisor() {
  local pid
  if pid=$(running_supervisor); then kill "$pid"; fi
  rm -f "$SUPERVISOR_PID"
}

# why_not_working: nothing when the cluster runs workloads; otherwise why not, in a few words.
why_not_working() {
  healthy || { echo "the API server does not answer"; return; }
  local dead
  dead=$(dead_components | tr '\n' ' ')
  if [ -n "$dead" ]; then echo "not running: ${dead% }"; return; fi
  runs_a_deployment || echo "a Deployment got no Ready pod in 30 s"
}

# ensure_nodes: exactly $NODES fake nodes (node-000000, …), all Ready.
ensure_nodes() {
  local t1; t1=$(ts)
  step "scaling fake nodes to $NODES (kwokctl scale node)"
  local out
  out=$("$KWOKCTL" --name "$CLUSTER_NAME" scale node --replicas "$NODES" 2>&1) || { echo "$out" >&2; return 1; }
  doing "waiting for the fake node(s) to become Ready"
  k wait --for=condition=Ready node -l "$FAKE_NODE_LABEL" --timeout="$WAIT" >/dev/null
  # kwok's node template has no local disk, which every kubelet reports: pods that request
  # ephemeral-storage (the component's do) would find no node.
  doing "giving the fake node(s) ephemeral-storage, as a kubelet reports it"
  local node
  for node in $(k get nodes -l "$FAKE_NODE_LABEL" -o name); do
    k patch "$node" --subresource=status --type=merge \
      -p '{"status":{"capacity":{"ephemeral-storage":"100Gi"},"allocatable":{"ephemeral-storage":"100Gi"}}}' >/dev/null
  done
  echo "    $(k get nodes -l "$FAKE_NODE_LABEL" --no-headers | wc -l) fake node(s) Ready in $(since "$t1")"
}

cmd_up() {
  local t0 t1; t0=$(ts)
  ensure_binaries
  mkdir -p "$STATE"
  config "$STATE/kwokctl.yaml.want"
  local why="created with another configuration"
  if cmp -s "$STATE/kwokctl.yaml" "$STATE/kwokctl.yaml.want"; then
    why=$(why_not_working)
    if [ -z "$why" ]; then
      rm -f "$STATE/kwokctl.yaml.want"
      echo "cluster '$CLUSTER_NAME' already up and running workloads; KUBECONFIG=$KUBECONFIG_OUT"
      ensure_nodes
      start_supervisor
      return 0
    fi
  fi
  stop_supervisor
  if [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ]; then
    # A restart of the components alone is not enough: a new kwok controller leaves the fake
    # nodes to the old one's node leases, and their pods stay Pending.
    local kept
    kept="$STATE/logs-$(date +%Y%m%dT%H%M%S)"
    cp -r "$LOGS" "$kept" 2>/dev/null || true
    log "recreating cluster '$CLUSTER_NAME': $why (the old components' logs: $kept)"
    "$HERE/node.sh" down
    "$KWOKCTL" --name "$CLUSTER_NAME" delete cluster --kubeconfig "$KUBECONFIG_OUT" >/dev/null 2>&1 || true
    rm -rf "$KWOK_WORKDIR/clusters/$CLUSTER_NAME"
  fi
  mv -f "$STATE/kwokctl.yaml.want" "$STATE/kwokctl.yaml"
  step "creating cluster '$CLUSTER_NAME' (kwokctl create cluster --runtime binary)"
  t1=$(ts)
  "$KWOKCTL" --name "$CLUSTER_NAME" create cluster --config "$STATE/kwokctl.yaml" \
    --kubeconfig "$KUBECONFIG_OUT" --wait "$WAIT"
  echo "    control plane ready in $(since "$t1")"

  ensure_nodes
  start_supervisor
  k get nodes -o wide
  echo "cluster '$CLUSTER_NAME' up in $(since "$t0"); export KUBECONFIG=$KUBECONFIG_OUT (context kwok-$CLUSTER_NAME)"
}

cmd_smoke() {
  local t0 name=smoke img="registry.invalid/smoke@sha256:0000000000000000000000000000000000000000000000000000000000000000"
  doing "checking the cluster is up"
  healthy || die "cluster '$CLUSTER_NAME' is not up (run: $0 up)"
  k delete deployment "$name" --ignore-not-found --wait=true >/dev/null
  step "creating Deployment $name (2 replicas, image $img)"
  t0=$(ts)
  k create deployment "$name" --image="$img" --replicas=2
  doing "waiting for Deployment $name to become Available"
  k wait --for=condition=Available "deployment/$name" --timeout="$WAIT"
  doing "waiting for the pods of $name to become Ready"
  k wait --for=condition=Ready pod -l "app=$name" --timeout="$WAIT"
  echo "    Deployment Available and pods Ready in $(since "$t0")"
  k get deployment,pods -l "app=$name" -o wide
  k delete deployment "$name" --wait=true >/dev/null
  echo "smoke test passed"
}

# kill_components <name...>: SIGTERM to each, then wait until all have exited.
kill_components() {
  local pids=() name pid alive
  for name in "$@"; do pids+=("$(cat "$PIDS/$name.pid")"); done
  kill "${pids[@]}"
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.5
  done
}

# recovery-check: a killed controller manager and scheduler (as a missed lease renewal used to
# end them) come back, first by the supervisor while the cluster serves on, then, with no
# supervisor, by the warm check of the next `up`, the real node with them.
cmd_recovery_check() {
  local t0 why
  doing "checking the cluster runs workloads before the kill"
  [ -z "$(why_not_working)" ] || die "cluster '$CLUSTER_NAME' does not run workloads (run: $0 up)"
  start_supervisor

  step "killing kube-controller-manager and kube-scheduler; the supervisor must start them again"
  kill_components "${SUPERVISED[@]}"
  t0=$(ts)
  doing "waiting for the supervisor to start them again"
  for _ in $(seq 1 30); do [ -z "$(dead_components)" ] && break; sleep 0.5; done
  why=$(why_not_working)
  [ -z "$why" ] || die "the supervisor did not bring the control plane back: $why"
  echo "    running workloads again $(since "$t0") after the kill; the supervisor's account:"
  tail -n 2 "$SUPERVISOR_LOG" | sed 's/^/      /'

  step "the same with no supervisor, its pid file left behind as a restart of the machine leaves it: the warm check of up must notice"
  local supervisor; supervisor=$(running_supervisor)
  kill "$supervisor"
  while kill -0 "$supervisor" 2>/dev/null; do sleep 0.2; done
  kill_components "${SUPERVISED[@]}"
  t0=$(ts)
  cmd_up
  "$HERE/node.sh" up >/dev/null
  doing "checking the cluster runs workloads after up"
  why=$(why_not_working)
  [ -z "$why" ] || die "up did not bring the control plane back: $why"
  echo "recovery check passed: the supervisor, and without it the warm check of up ($(since "$t0")), bring the control plane back"
}

cmd_status() {
  "$KWOKCTL" get clusters
  if healthy; then "$KWOKCTL" --name "$CLUSTER_NAME" get components 2>/dev/null || true; k get nodes; else echo "cluster '$CLUSTER_NAME' is not up"; fi
}

cmd_down() {
  local t0; t0=$(ts)
  doing "stopping the real node (node.sh down)"
  "$HERE/node.sh" down
  stop_supervisor
  step "deleting cluster '$CLUSTER_NAME'"
  if [ -x "$KWOKCTL" ] && [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ]; then
    "$KWOKCTL" --name "$CLUSTER_NAME" delete cluster --kubeconfig "$KUBECONFIG_OUT"
  else
    echo "    no cluster '$CLUSTER_NAME' under $KWOK_WORKDIR"
  fi
  rm -rf "$STATE"
  echo "cluster '$CLUSTER_NAME' down in $(since "$t0")"
}

case "${1:-}" in
  up)     cmd_up ;;
  smoke)  cmd_smoke ;;
  recovery-check) cmd_recovery_check ;;
  supervise) cmd_supervise ;;
  status) cmd_status ;;
  down)   cmd_down ;;
  env)    echo "export KUBECONFIG=$KUBECONFIG_OUT"; echo "# kubectl: $KUBECTL (context kwok-$CLUSTER_NAME)"
          echo "# pki: $KWOK_WORKDIR/clusters/$CLUSTER_NAME/pki" ;;
  facts)  printf 'KUBECONFIG=%q\nKUBECTL=%q\nCONTEXT=%q\nPKI=%q\n' "$KUBECONFIG_OUT" "$KUBECTL" \
            "kwok-$CLUSTER_NAME" "$KWOK_WORKDIR/clusters/$CLUSTER_NAME/pki" ;;
  *)      trap - EXIT; echo "usage: $0 up|smoke|recovery-check|status|down|env|facts" >&2; exit 64 ;;
esac
