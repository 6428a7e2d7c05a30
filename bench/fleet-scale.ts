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
/** The first full (not plan-mode) run: the target is 5,000 tenants in <= 5x its wall time. */
let baseline: { tenants: number; wallMs: number } | undefined;
for (const arg of args) {
  const [tenants, maxParallel, mode] = arg.split(':');
  const dryRun = mode === 'plan';
  const f = await runFleet({ tenants: Number(tenants), maxParallel: Number(maxParallel), activityMs: 0, dryRun });
  console.log(`\n== ${tenants} tenants, max parallel ${maxParallel}, instant activities${dryRun ? ', plan mode' : ''}`);
  printFigures(f, Number(tenants));
  if (dryRun) continue;
  if (!baseline) baseline = { tenants: Number(tenants), wallMs: f.wallMs };
  else {
    const sizeRatio = Number(tenants) / baseline.tenants;
    const wallRatio = f.wallMs / baseline.wallMs;
    console.log(
      `scaling:                 ${wallRatio.toFixed(2)}x the wall time of ${baseline.tenants} tenants for ${sizeRatio.toFixed(1)}x the tenants (target <= ${sizeRatio.toFixed(1)}x: ${wallRatio <= sizeRatio ? 'meets' : 'MISSES'})`,
    );
  }
}
