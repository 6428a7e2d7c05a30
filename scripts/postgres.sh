#!/usr/bin/env bash
# A throwaway PostgreSQL for the end-to-end bench: its own data directory, loopback only,
# trust authentication, seeded with a small `soctalk` database.
#
#   scripts/postgres.sh start <dir> <port>   initdb <dir>/data, start on 127.0.0.1:<port>,
#                                            create and seed `soctalk`; prints the URL
#   scripts/postgres.sh stop <dir> [port]    fast shutdown; succeeds if it is not running
#
# PostgreSQL refuses to run as root. Run as root, the server runs as ${PG_RUN_AS:-nobody}
# (setpriv, no PAM or login shell needed) and <dir> is handed to that user; run as anyone
# else, it runs as that user. The binaries come from PG_BIN_DIR or scripts/toolchain.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seed="$here/../test/fixtures/postgres/soctalk-seed.sql"

die() {
  printf '[postgres] ERROR: %s\n' "$*" >&2
  exit 1
}

[ $# -ge 2 ] || die "usage: scripts/postgres.sh start <dir> <port> | stop <dir> [port]"
cmd=$1 dir=$2 port=${3:-}

if [ -z "${PG_BIN_DIR:-}" ]; then
  eval "$(bash "$here/toolchain.sh" env postgres)"
fi

# as_server <command...>: runs a server-side command as the user that owns the cluster.
if [ "$(id -u)" = 0 ]; then
  run_as=${PG_RUN_AS:-nobody}
  uid=$(id -u "$run_as") || die "user $run_as does not exist; set PG_RUN_AS to an unprivileged user"
  gid=$(id -g "$run_as")
  as_server() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- env HOME="$dir" "$@"; }
else
  as_server() { "$@"; }
fi

start() {
  [ -n "$port" ] || die "start needs a port"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown -R "$uid:$gid" "$dir"
    as_server test -w "$dir" ||
      die "$dir is not reachable by $run_as: every parent directory must be searchable (o+x)"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    # --no-sync/fsync=off: the cluster is thrown away, durability buys nothing here.
    as_server "$PG_BIN_DIR/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
      --no-sync >"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
  fi
  # The socket goes into <dir> so that nothing needs /var/run/postgresql.
  as_server "$PG_BIN_DIR/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off -c full_page_writes=off" \
    start >/dev/null || die "pg_ctl start failed: $(tail -n 5 "$dir/postgres.log")"
  local psql=("$PG_BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  if [ -z "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'soctalk'")" ]; then
    "${psql[@]}" -d postgres -c 'CREATE DATABASE soctalk' >/dev/null
    "${psql[@]}" -d soctalk -f "$seed" >/dev/null
  fi
  echo "postgresql://postgres@127.0.0.1:$port/soctalk"
}

stop() {
  [ -f "$dir/data/PG_VERSION" ] || return 0
  if as_server "$PG_BIN_DIR/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_server "$PG_BIN_DIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  fi
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "unknown command '$cmd'; use start or stop" ;;
esac
