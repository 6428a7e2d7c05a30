#!/usr/bin/env bash
# The README's main job: installs what it needs (npm ci, the pinned toolchain), then runs
# scripts/demo.ts, which starts and removes everything else itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/toolchain.sh ensure temporal helm kubectl kwok kube etcd postgres
exec npx tsx scripts/demo.ts "$@"
