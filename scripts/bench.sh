#!/usr/bin/env bash
# `npm run bench:overhead` / `npm run bench:scale -- <args>`: a benchmark under tsx with the
# Temporal dev server from the toolchain script (built or found outside the repository).
# The dev server logs to this output; its ERROR lines are counted at the end, as the
# benchmark's "server errors" figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
toolchain_env=$(bash scripts/toolchain.sh env temporal) || {
  echo "scripts/toolchain.sh could not provide the Temporal CLI (its messages are above)" >&2
  exit 1
}
eval "$toolchain_env"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --import tsx "$@" 2>&1 | tee "$log" || status=$?
# Lines between bench/fleet-run.ts's teardown markers come from stopping the worker and the
# server, not from the load; they are counted, and shown, apart.
read -r under_load at_teardown < <(awk '
  /^bench: teardown starts/ { teardown = 1 }
  /^bench: teardown ends/ { teardown = 0 }
  /level=ERROR/ { if (teardown) t++; else l++ }
  END { print l + 0, t + 0 }' "$log")
echo "server errors:           $under_load ERROR lines in the dev server's log while fleets ran (target 0), all sizes of this run"
echo "at teardown:             $at_teardown ERROR lines while the worker and the dev server stopped"
if [ "$at_teardown" -gt 0 ]; then
  awk '/^bench: teardown starts/ { t = 1 } /^bench: teardown ends/ { t = 0 } t && /level=ERROR/' "$log" | cut -c1-300
fi
exit "$status"
