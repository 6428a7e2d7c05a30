/**
 * Benchmark (not a test): the fleet's own cost at scale. Instant activities, so the figures
 * are orchestration only: wall time, the worker process's peak RSS (VmHWM) and CPU, server
 * events per tenant, the largest history and the largest history event (the payload that
 * Temporal's 512 KB warning and 2 MB limit apply to, plus a few bytes of envelope).
 *
 *   npm run bench:scale                  # 1,000 then 5,000 tenants, 50 and 100 parallel
 *   npm run bench:scale -- 1000:50       # one size, tenants:maxParallel
 */
import { kb, mib, runFleet } from './fleet-run.js';

const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['1000:50', '5000:100']).map((s) => s.split(':').map(Number) as [number, number]);
for (const [tenants, maxParallel] of sizes) {
  const f = await runFleet({ tenants, maxParallel, activityMs: 0 });
  console.log(`\n== ${tenants} tenants, max parallel ${maxParallel}, instant activities`);
  console.log(`upgraded / failed:       ${f.done} / ${f.failed}`);
  console.log(`waves:                   ${f.plan.map((w) => `${w.name}=${w.size}`).join(', ')}`);
  console.log(`wall time:               ${(f.wallMs / 1000).toFixed(1)} s (${(f.wallMs / tenants).toFixed(1)} ms per tenant)`);
  console.log(`worker process:          peak RSS ${mib(f.workerPeakRssBytes)} (VmHWM), CPU ${f.workerCpuSeconds.toFixed(0)} s`);
  console.log(`server events:           ${f.eventsPerTenant.toFixed(1)} per tenant (all workflows)`);
  console.log(`largest history:         parent ${f.largestParentHistory} events (${f.generations} generation(s)), tenant ${f.largestTenantHistory}`);
  console.log(`largest history event:   ${kb(f.largestEventBytes)} (${f.largestEventWhere})`);
  console.log(`worker warnings/errors:  ${f.workerErrors.length}${f.workerErrors.length ? `, first: ${f.workerErrors[0]}` : ''}`);
}
