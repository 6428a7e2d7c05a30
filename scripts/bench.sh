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
echo "server errors:           $(grep -c 'level=ERROR' "$log" || true) ERROR lines in the dev server's log (target 0), all sizes of this run"
exit "$status"
