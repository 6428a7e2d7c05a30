#!/usr/bin/env bash
# The README's main job: installs what it needs (npm ci, the pinned toolchain), then runs
# scripts/demo.ts, which starts and removes everything else itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Two steps, not `eval "$(...)"`: that form ignores a failed build and runs on without tools.
toolchain_env=$(bash scripts/toolchain.sh env node temporal helm kubectl kwok kube etcd postgres) || {
  echo "scripts/toolchain.sh could not provide the toolchain (its messages are above)" >&2
  exit 1
}
eval "$toolchain_env"
# After the toolchain: npm runs on the Node.js the demo runs on.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec npx tsx scripts/demo.ts "$@"
