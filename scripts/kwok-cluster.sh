#!/usr/bin/env bash
# A local Kubernetes control plane for the end-to-end bench: KWOK's binary runtime runs a
# real etcd, kube-apiserver, kube-controller-manager and kube-scheduler as plain processes
# (no container runtime works here) and simulates the kubelets with Stages.
#
#   scripts/kwok-cluster.sh create <name>       create a fresh cluster (an old one of that name,
#                                               e.g. left by a killed test run, is deleted
#                                               first); prints the kubeconfig path on stdout
#   scripts/kwok-cluster.sh kubeconfig <name>   prints the kubeconfig path of a running cluster
#   scripts/kwok-cluster.sh delete <name>       stops everything and removes its files;
#                                               succeeds when there is nothing to delete
#
# What KWOK pods "run" for kubectl exec, logs and port-forward (kwok.x-k8s.io/v1alpha1
# ClusterExec, ClusterLogs and ClusterPortForward objects; applying one again replaces it):
#   scripts/kwok-cluster.sh exec <name> <container> [VAR=value...]
#       `kubectl exec` into any container of that name runs the command on this machine, as
#       the kwok controller, with these variables. The controller finds commands on its own
#       PATH, which has PG_BIN_DIR first: pg_dump, pg_restore and psql are the real ones.
#   scripts/kwok-cluster.sh logs <name> <namespace> <file>
#       `kubectl logs` of any container of any pod in the namespace serves the file (CRI log
#       format, as a kubelet keeps it: `<RFC 3339 time> stdout F <line>`)
#   scripts/kwok-cluster.sh port-forward <name> <container-port> <host:port>
#       `kubectl port-forward` to that port of any pod (or to a Service that targets it)
#       reaches host:port
#
# What a created cluster has, and why:
#   - one Ready fake node (kwok-node-0, no taints, podCIDR 10.244.0.0/16) so pods schedule
#     and get IPs, which the EndpointSlice controller needs to list them behind Services;
#   - the Stages of test/fixtures/kwok/stages.yaml (pods Ready, Job pods succeed, fault
#     injection by the upgrade-runbooks.test/fault pod label), applied as API objects
#     (--enable-crds=Stage) so a test can add its own;
#   - ClusterExec, ClusterLogs and ClusterPortForward enabled as API objects too (set by the
#     subcommands above); the fake node's kubelet endpoint is the kwok controller, so the API
#     server sends exec, logs and port-forward requests there;
#   - etcd, the API server, controller manager, scheduler and kwok controller listening on
#     127.0.0.1 only (bindAddress in test/fixtures/kwok/kwokctl.yaml);
#   - the snapshot.storage.k8s.io/v1 CRDs, a default StorageClass and VolumeSnapshotClass,
#     and test/helpers/snapshot-controller.ts running in the background (pid file) as the
#     simulated driver that binds PVCs and readies VolumeSnapshots.
#
# Everything lives in ${TMPDIR:-/tmp}/upgrade-runbooks-<uid>/kwok/<name> (KWOK_WORKDIR too,
# so nothing touches ~/.kwok or ~/.kube/config). Binaries come from scripts/toolchain.sh
# (env vars, PATH or the build cache), and kwokctl is given every one of them, so nothing
# is downloaded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
fixtures="$repo/test/fixtures"

log() { printf '[kwok-cluster] %s\n' "$*" >&2; }
die() {
  printf '[kwok-cluster] ERROR: %s\n' "$*" >&2
  exit 1
}

usage="usage: scripts/kwok-cluster.sh create|delete|kubeconfig <name>
       scripts/kwok-cluster.sh exec <name> <container> [VAR=value...]
       scripts/kwok-cluster.sh logs <name> <namespace> <file>
       scripts/kwok-cluster.sh port-forward <name> <container-port> <host:port>"
[ $# -ge 2 ] || die "$usage"
cmd=$1 name=$2
shift 2
[[ $name =~ ^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$ ]] || die "cluster name must be a short DNS label: '$name'"

state="${TMPDIR:-/tmp}/upgrade-runbooks-$(id -u)/kwok/$name"
kubeconfig="$state/kubeconfig"
pidfile="$state/snapshot-controller.pid"
export KWOK_WORKDIR="$state/kwok"

mkdir -p "$(dirname "$state")"
# One operation per cluster name at a time (parallel test files may share a name).
# Every long-lived child gets `8>&-`: a cluster process that inherited the lock's file
# descriptor would hold the lock for as long as the cluster runs.
exec 8>"$state.lock"
flock 8

kubectl_() { "${KUBECTL_BIN:-kubectl}" --kubeconfig "$kubeconfig" "$@"; }

# "ready" is written last by create, so a half-created cluster never counts as running.
healthy() {
  [ -f "$state/ready" ] && kubectl_ get --raw /readyz >/dev/null 2>&1
}

controller_alive() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null &&
    grep -q snapshot-controller "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null
}

start_controller() {
  # setsid + redirected output: the controller must outlive this script without holding
  # the caller's stdout open (a caller reading our stdout would otherwise never see EOF).
  # `cd` stays outside the backgrounded command so that $! is node itself, not a subshell.
  (
    cd "$repo" || exit 1
    setsid node --import tsx test/helpers/snapshot-controller.ts "$kubeconfig" \
      >>"$state/snapshot-controller.log" 2>&1 </dev/null 8>&- &
    echo $! >"$pidfile"
  )
}

stop_controller() {
  if controller_alive; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if controller_alive; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
}

delete() {
  stop_controller
  if [ -d "$KWOK_WORKDIR/clusters/$name" ]; then
    local kwokctl=${KWOKCTL_BIN:-}
    if [ -z "$kwokctl" ]; then
      kwokctl=$(bash "$here/toolchain.sh" env kwok | sed -n "s/.*KWOKCTL_BIN='\([^']*\)'.*/\1/p")
    fi
    "$kwokctl" delete cluster --name "$name" --kubeconfig "$kubeconfig" >"$state/kwokctl-delete.log" 2>&1 8>&- ||
      log "kwokctl delete failed ($(tail -n 1 "$state/kwokctl-delete.log")); removing the files anyway"
  fi
  rm -rf "$state"
}

create() {
  # Tests expect an empty cluster, so nothing of an earlier one (same name) is reused.
  [ -d "$state" ] && log "replacing the existing cluster '$name'"
  delete
  mkdir -p "$state"

  local tools
  tools=$(bash "$here/toolchain.sh" env kwok kube etcd kubectl postgres) || die "scripts/toolchain.sh could not provide the cluster's binaries"
  eval "$tools"
  # kwokctl runs `kubectl` from PATH for its own steps; make it ours. The kwok controller
  # inherits this PATH and looks up `kubectl exec` commands on it (Go's exec.LookPath reads
  # the controller's own PATH, not the ClusterExec's), so PostgreSQL's client tools come
  # first: `kubectl exec <postgres pod> -- pg_dump` runs the real pg_dump.
  PATH="$PG_BIN_DIR:$(dirname "$KUBECTL_BIN"):$PATH"

  local started=$SECONDS
  log "creating KWOK cluster '$name' in $state"
  "$KWOKCTL_BIN" --config "$fixtures/kwok/kwokctl.yaml" create cluster --name "$name" --runtime binary \
    --kubeconfig "$kubeconfig" \
    --kube-apiserver-binary "$KUBE_APISERVER_BIN" \
    --kube-controller-manager-binary "$KUBE_CONTROLLER_MANAGER_BIN" \
    --kube-scheduler-binary "$KUBE_SCHEDULER_BIN" \
    --etcd-binary "$ETCD_BIN" \
    --kwok-controller-binary "$KWOK_BIN" \
    --enable-crds Stage,ClusterExec,ClusterLogs,ClusterPortForward \
    --disable-qps-limits \
    --quiet-pull \
    --wait 2m >"$state/kwokctl.log" 2>&1 8>&- || {
    tail -n 20 "$state/kwokctl.log" >&2
    die "kwokctl create cluster failed (component logs: $KWOK_WORKDIR/clusters/$name/logs)"
  }

  kubectl_ apply -f "$fixtures/kwok/stages.yaml" >/dev/null
  kubectl_ apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
spec:
  podCIDR: 10.244.0.0/16
  podCIDRs: [10.244.0.0/16]
EOF
  kubectl_ apply -f "$fixtures/crds/volumesnapshot-crds.yaml" >/dev/null
  kubectl_ wait --for condition=established --timeout 60s \
    crd/volumesnapshots.snapshot.storage.k8s.io crd/volumesnapshotcontents.snapshot.storage.k8s.io \
    crd/volumesnapshotclasses.snapshot.storage.k8s.io >/dev/null
  kubectl_ apply -f "$fixtures/crds/storage-classes.yaml" >/dev/null
  start_controller
  kubectl_ wait --for condition=Ready --timeout 60s node/kwok-node-0 >/dev/null
  # Pods need the namespace's default ServiceAccount; wait until the controller made it.
  for _ in $(seq 100); do kubectl_ -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.2; done
  touch "$state/ready"
  log "cluster '$name' ready in $((SECONDS - started))s"
  echo "$kubeconfig"
}

# ---- what pods "run": kwok.x-k8s.io/v1alpha1 objects, one per rule name -----------------

# A YAML double-quoted scalar (JSON string syntax is valid YAML).
quoted() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }

apply_object() {
  healthy || die "no running cluster named '$name'"
  kubectl_ apply -f - >/dev/null || die "kubectl apply of the $1 failed"
}

exec_rule() {
  [ $# -ge 1 ] && [[ $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
    die "usage: scripts/kwok-cluster.sh exec <name> <container> [VAR=value...]"
  local container=$1 kv tools
  shift
  if [ -z "${PG_BIN_DIR:-}" ]; then
    tools=$(bash "$here/toolchain.sh" env postgres) || die "scripts/toolchain.sh could not locate PostgreSQL"
    eval "$tools"
  fi
  {
    echo "apiVersion: kwok.x-k8s.io/v1alpha1"
    echo "kind: ClusterExec"
    echo "metadata: {name: exec-$container}"
    echo "spec:"
    echo "  execs:"
    echo "  - containers: [$container]"
    echo "    local:"
    echo "      envs:"
    # For what the command itself starts (`sh -c 'pg_dump ...'` looks up pg_dump here).
    echo "      - {name: PATH, value: $(quoted "$PG_BIN_DIR:$PATH")}"
    for kv in "$@"; do
      [[ $kv =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "exec: '$kv' is not VAR=value"
      echo "      - {name: ${kv%%=*}, value: $(quoted "${kv#*=}")}"
    done
  } | apply_object "ClusterExec for container $container"
}

logs_rule() {
  [ $# -eq 2 ] && [[ $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] ||
    die "usage: scripts/kwok-cluster.sh logs <name> <namespace> <file>"
  [ -f "$2" ] || die "logs: no file $2"
  local file
  file="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
  apply_object "ClusterLogs for namespace $1" <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: logs-$1}
spec:
  selector: {matchNamespaces: [$1]}
  logs:
  - logsFile: $(quoted "$file")
EOF
}

port_forward_rule() {
  [ $# -eq 2 ] && [[ $1 =~ ^[0-9]+$ ]] && [[ $2 =~ ^([^:]+):([0-9]+)$ ]] ||
    die "usage: scripts/kwok-cluster.sh port-forward <name> <container-port> <host:port>"
  apply_object "ClusterPortForward for port $1" <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata: {name: port-forward-$1}
spec:
  forwards:
  - ports: [$1]
    target: {address: $(quoted "${BASH_REMATCH[1]}"), port: ${BASH_REMATCH[2]}}
EOF
}

case $cmd in
create | delete | kubeconfig) [ $# -eq 0 ] || die "$usage" ;;
esac
case $cmd in
create) create ;;
delete) delete ;;
kubeconfig)
  healthy || die "no running cluster named '$name'"
  echo "$kubeconfig"
  ;;
exec) exec_rule "$@" ;;
logs) logs_rule "$@" ;;
port-forward) port_forward_rule "$@" ;;
*) die "unknown command '$cmd'; use create, delete, kubeconfig, exec, logs or port-forward" ;;
esac
