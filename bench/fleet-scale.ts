/**
 * Benchmark (not a test): the fleet's own cost at scale. Instant activities, so the figures
 * are orchestration only: wall time, the worker process's peak RSS (VmHWM) and CPU, server
 * events per tenant, the largest history and the largest history event (the payload that
 * Temporal's 512 KB warning and 2 MB limit apply to, plus a few bytes of envelope).
 *
 *   npm run bench:scale                  # 1,000 then 5,000 tenants, 50 and 100 parallel
 *   npm run bench:scale -- 1000:50       # one size, tenants:maxParallel
 *   npm run bench:scale -- 20000:100:plan   # plan mode (list, gate, plan; upgrade nothing)
 */
import { printFigures } from './fleet-figures.js';
import { runFleet } from './fleet-run.js';

const args = process.argv.slice(2).length ? process.argv.slice(2) : ['1000:50', '5000:100'];
for (const arg of args) {
  const [tenants, maxParallel, mode] = arg.split(':');
  const dryRun = mode === 'plan';
  const f = await runFleet({ tenants: Number(tenants), maxParallel: Number(maxParallel), activityMs: 0, dryRun });
  console.log(`\n== ${tenants} tenants, max parallel ${maxParallel}, instant activities${dryRun ? ', plan mode' : ''}`);
  printFigures(f, Number(tenants));
}
