#!/usr/bin/env bash
# The README's test command: sets up everything a fresh machine needs (the pinned toolchain,
# built or found outside the repository, then npm ci), then runs lint, typecheck and every
# test tier against the real components. Extra arguments select test files.
#
#   npm test                       everything (what CI runs)
#   npm test -- test/unit/*.ts     only these files
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

started=$SECONDS
step "toolchain (scripts/toolchain.sh; cached outside the repository)"
# Two steps, not `eval "$(...)"`: that form ignores a failed build and runs on without tools.
toolchain_env=$(bash scripts/toolchain.sh env) || {
  echo "scripts/toolchain.sh could not provide the toolchain (its messages are above)" >&2
  exit 1
}
eval "$toolchain_env"

# After the toolchain: npm runs on the Node.js the tests run on.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

if [ $# -eq 0 ]; then
  step "lint"
  npx eslint .
  step "typecheck"
  npx tsc -p tsconfig.json --noEmit
  mapfile -t files < <(find test -name '*.test.ts' -not -path 'test/fixtures/*' | sort)
else
  files=("$@")
fi

step "tests (${#files[@]} files)"
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
status=0
# A backstop per file, not a target: the fault tier (14 scenarios on real components, three
# of them waiting out a killed worker's heartbeat timeout) took 15 min on a loaded 2-core machine.
node --import tsx --test --test-timeout=1800000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}" || status=$?

passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
echo
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
echo "total time: $((SECONDS - started))s"
if [ "${skipped:-0}" != 0 ]; then
  echo "a test was skipped: every tier must run (fix the cause, do not skip)" >&2
  exit 1
fi
exit "$status"
