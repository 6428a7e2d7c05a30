#!/usr/bin/env bash
# Local Temporal dev server (with its Web UI and the project's search attributes) plus a
# worker, for trying runbooks by hand. Ctrl-C stops both.
#
#   npm run dev                 UI on http://127.0.0.1:8233, gRPC on 127.0.0.1:7233
#   TEMPORAL_PORT=7300 UI_PORT=8300 npm run dev
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

eval "$(bash scripts/toolchain.sh env node temporal helm kubectl postgres)"
[ -d node_modules ] || npm ci --no-audit --no-fund

port=${TEMPORAL_PORT:-7233}
ui_port=${UI_PORT:-8233}
state=${XDG_STATE_HOME:-$HOME/.local/state}/upgrade-runbooks
mkdir -p "$state"

search_attributes=()
for sa in UpgradeRunbook UpgradeRelease UpgradeNamespace UpgradeTargetVersion UpgradePhase; do
  search_attributes+=(--search-attribute "$sa=Keyword")
done

log="$state/dev-server.log"
"$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
  --db-filename "$state/dev-server.db" "${search_attributes[@]}" --log-level warn \
  --dynamic-config-value system.enableActivityEagerExecution=true >"$log" 2>&1 &
server=$!
worker=
cleanup() {
  if [ -n "$worker" ]; then kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null; fi
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The banner only once the server answers its health check; otherwise its own error.
healthy=
for _ in $(seq 1 60); do
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  if "$TEMPORAL_CLI_PATH" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; then
    healthy=1
    break
  fi
  sleep 1
done
if [ -z "$healthy" ]; then
  if kill -0 "$server" 2>/dev/null; then
    echo "dev.sh: the Temporal dev server did not become healthy on 127.0.0.1:$port within 60s; its output:" >&2
  else
    echo "dev.sh: the Temporal dev server exited; its output:" >&2
  fi
  tail -n 20 "$log" >&2
  exit 1
fi
# From here the server's warnings go to the terminal again.
tail -n +1 -f "$log" --pid "$server" >&2 &

export TEMPORAL_ADDRESS="127.0.0.1:$port"
worker_log="$state/worker.log"
npx tsx src/worker.ts >"$worker_log" 2>&1 &
worker=$!
tail -n +1 -f "$worker_log" --pid "$worker" &
# The banner once the worker has connected and polls its task queue.
for _ in $(seq 1 120); do
  grep -q '"message":"worker started"' "$worker_log" 2>/dev/null && break
  if ! kill -0 "$worker" 2>/dev/null; then
    status=0
    wait "$worker" || status=$?
    worker=
    echo "dev.sh: the worker exited with status $status before it started; its output is above" >&2
    exit 1
  fi
  sleep 1
done
echo
echo "Temporal Web UI:  http://127.0.0.1:$ui_port"
echo "Temporal address: $TEMPORAL_ADDRESS (export TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS for the runbook CLI)"
echo "Worker pid $worker on task queue ${TEMPORAL_TASK_QUEUE:-upgrade-runbooks}; Ctrl-C stops everything."
wait "$worker"
