#!/usr/bin/env bash
# Local Temporal dev server (with its Web UI and the project's search attributes) plus a
# worker, for trying runbooks by hand. Ctrl-C stops both.
#
#   npm run dev                 UI on http://127.0.0.1:8233, gRPC on 127.0.0.1:7233
#   TEMPORAL_PORT=7300 UI_PORT=8300 npm run dev
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
eval "$(bash scripts/toolchain.sh env temporal helm kubectl postgres)"

port=${TEMPORAL_PORT:-7233}
ui_port=${UI_PORT:-8233}
state=${XDG_STATE_HOME:-$HOME/.local/state}/upgrade-runbooks
mkdir -p "$state"

search_attributes=()
for sa in UpgradeRunbook UpgradeRelease UpgradeNamespace UpgradeTargetVersion UpgradePhase; do
  search_attributes+=(--search-attribute "$sa=Keyword")
done

"$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
  --db-filename "$state/dev-server.db" "${search_attributes[@]}" --log-level warn &
server=$!
worker=
cleanup() {
  [ -n "$worker" ] && kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
  kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 60); do
  "$TEMPORAL_CLI_PATH" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 1
done

export TEMPORAL_ADDRESS="127.0.0.1:$port"
npx tsx src/worker.ts &
worker=$!
echo
echo "Temporal Web UI:  http://127.0.0.1:$ui_port"
echo "Temporal address: $TEMPORAL_ADDRESS (export TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS for the runbook CLI)"
echo "Worker pid $worker on task queue ${TEMPORAL_TASK_QUEUE:-upgrade-runbooks}; Ctrl-C stops everything."
wait "$worker"
