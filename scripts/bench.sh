#!/usr/bin/env bash
# `npm run bench:overhead` / `npm run bench:scale -- <args>`: a benchmark under tsx with the
# Temporal dev server from the toolchain script (built or found outside the repository).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
toolchain_env=$(bash scripts/toolchain.sh env temporal) || {
  echo "scripts/toolchain.sh could not provide the Temporal CLI (its messages are above)" >&2
  exit 1
}
eval "$toolchain_env"
exec node --import tsx "$@"
