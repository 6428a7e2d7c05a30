#!/usr/bin/env bash
# Re-records the saved histories that test/workflows/replay.test.ts replays, after an
# INTENDED change to workflow code (an unintended one is what the replay test catches).
# Removes the old ones first, so a renamed or removed test leaves nothing stale behind,
# records from every workflow test file, then replays what it recorded.
#
#   npm run record-histories
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Workflow tests need the time-skipping test server and helm (the OpenCTI plan activities
# render the fixture charts for real), not the KWOK bench.
eval "$(bash scripts/toolchain.sh env node test-server helm)"
run_tests() { node --import tsx --test --test-timeout=900000 --test-reporter=spec "$@"; }

dir=test/fixtures/histories
mapfile -t files < <(find test/workflows -name '*.test.ts' ! -name 'replay.test.ts' | sort)
rm -f "$dir"/*.json
# A failed test would leave a partial set: the run exits non-zero and so does this script.
RECORD_HISTORIES=1 run_tests "${files[@]}"
echo "recorded $(find "$dir" -name '*.json' | wc -l) histories in $dir"
run_tests test/workflows/replay.test.ts
