#!/usr/bin/env bash
# `npm run bench:overhead` / `npm run bench:scale -- <args>`: a benchmark under tsx with the
# Temporal dev server from the toolchain script (built or found outside the repository).
# The dev server logs to this output; its ERROR lines are counted at the end, as the
# benchmark's "server errors" figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
toolchain_env=$(bash scripts/toolchain.sh env node temporal) || {
  echo "scripts/toolchain.sh could not provide Node.js and the Temporal CLI (its messages are above)" >&2
  exit 1
}
eval "$toolchain_env"
[ -d node_modules ] || npm ci --no-audit --no-fund
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node --import tsx "$@" 2>&1 | tee "$log" || status=$?
# Lines between bench/fleet-run.ts's teardown markers come from stopping the worker and the
# server, not from the load; they are counted, and shown, apart.
awk '
  /^bench: teardown starts/ { teardown = 1 }
  /^bench: teardown ends/ { teardown = 0 }
  /level=ERROR/ { if (teardown) shown[++t] = substr($0, 1, 300); else l++ }
  END {
    printf "server errors:           %d ERROR lines in the dev server'"'"'s log while fleets ran (target 0), all sizes of this run\n", l
    printf "at teardown:             %d ERROR lines while the worker and the dev server stopped\n", t
    for (i = 1; i <= t; i++) print shown[i]
  }' "$log"
exit "$status"
