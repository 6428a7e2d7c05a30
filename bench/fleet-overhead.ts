/**
 * Benchmark (not a test): what the fleet costs on top of the real work. Every activity
 * takes a fixed time (default 200 ms); the critical path is what the wave plan
 * (src/domain/soctalk/wave-plan.ts) implies with zero orchestration cost: the fleet's own
 * activities one after another, then per wave ceil(size / maxParallel) rounds of one
 * tenant's activity chain. Overhead = wall time / critical path (1.00 is free).
 *
 *   npm run bench:overhead                       # 1,000 tenants, 50 parallel, 200 ms
 *   npm run bench:overhead -- 1000 50 200        # tenants, maxParallel, activity ms
 */
import { cpus } from 'node:os';
import { printFigures } from './fleet-figures.js';
import { runFleet } from './fleet-run.js';

const [tenants, maxParallel, activityMs] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 50), Number(process.argv[4] ?? 200)];
const f = await runFleet({ tenants, maxParallel, activityMs });
const rounds = f.plan.reduce((n, w) => n + Math.ceil(w.size / maxParallel), 0);
const criticalMs = f.fleetActivities * activityMs + rounds * f.tenantActivities * activityMs;
const overhead = f.wallMs / criticalMs;
console.log(`\n== ${tenants} tenants, max parallel ${maxParallel}, ${activityMs} ms per activity`);
console.log(`rounds:                  ${rounds} (per wave ceil(size / ${maxParallel}))`);
console.log(`critical path:           ${(criticalMs / 1000).toFixed(1)} s = ${f.fleetActivities} fleet activities + ${rounds} rounds x ${f.tenantActivities} tenant activities, x ${activityMs} ms`);
console.log(`overhead:                ${overhead.toFixed(3)} (wall / critical path; target <= 1.05: ${overhead <= 1.05 ? 'meets' : 'MISSES'})`);
// The worker and the dev server share the machine's cores: their CPU divided by the cores is
// a wall time no scheduling can beat, and a round's tenants all want it at the same moments
// (they start together and their activities end together), so it barely overlaps the sleeps.
if (f.serverCpuSeconds !== undefined) {
  const cpuFloorMs = ((f.workerCpuSeconds + f.serverCpuSeconds) * 1000) / cpus().length;
  console.log(
    `CPU floor:               ${(cpuFloorMs / 1000).toFixed(1)} s = (worker ${f.workerCpuSeconds.toFixed(1)} s + dev server ${f.serverCpuSeconds.toFixed(1)} s of CPU) / ${cpus().length} cores, ${(cpuFloorMs / criticalMs).toFixed(2)} x the critical path`,
  );
}
printFigures(f, tenants);
