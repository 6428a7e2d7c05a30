/**
 * Benchmark (not a test): a 1,000-tenant SocTalk fleet upgrade on a real Temporal dev
 * server, with one worker in this process and instant mocked activities, so the figures
 * are the orchestration's own: wall time, the parent's largest history (events, over all
 * continue-as-new generations) and the worker's peak memory.
 *
 * Run it without npm (the dev server binary comes from the toolchain script):
 *
 *   eval "$(bash scripts/toolchain.sh env temporal)"
 *   node --import tsx bench/fleet-1000.ts            # 1000 tenants
 *   node --import tsx bench/fleet-1000.ts 5000 100   # tenants, max parallel per wave
 *
 * Timers are shortened (1ms heartbeat settle and bake time): a real fleet's wall time is
 * dominated by helm and the runbook's waits, which this does not measure.
 */
import { Worker } from '@temporalio/worker';
import type { CompatibilityMatrix } from '../src/domain/soctalk/compatibility.js';
import type { FleetUpgradeInput } from '../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId } from '../src/domain/workflow-ids.js';
import { soctalkFleetUpgrade } from '../src/workflows/soctalk/fleet-upgrade.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../test/helpers/temporal.js';

const tenants = Number(process.argv[2] ?? 1000);
const maxParallel = Number(process.argv[3] ?? 50);
const slugs = Array.from({ length: tenants }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
const matrix: CompatibilityMatrix = { systemVersions: { '0.2.0': { tenantChart: '>=0.1.0 <0.3.0' } } };
const release = (args: { release: string; namespace: string }, revision: number, version: string) => ({
  exists: true,
  status: { name: args.release, namespace: args.namespace, revision, status: 'deployed', chartVersion: version },
  history: [],
});

const activities = {
  listTenantNamespaces: async () => slugs.map((s) => `tenant-${s}`),
  loadCompatibilityMatrix: async () => matrix,
  helmReleaseState: async (a: { release: string; namespace: string }) => release(a, 3, a.release === 'soctalk-system' ? '0.2.0' : '0.1.0'),
  helmAssertNotLocked: async (a: { release: string; namespace: string }) => release(a, 3, '0.1.0'),
  tenantHelmUpgrade: async (a: { version: string }) => ({ revision: 4, status: 'deployed', chartVersion: a.version, alreadyDone: false, valuesSource: 'command', valuesSha256: '0'.repeat(64), valuesBytes: 100 }),
  rolloutStatus: async () => 'successfully rolled out',
  releaseDeployments: async () => ['soctalk-adapter', 'wazuh-bridge'],
  helmRollback: async () => ({ revision: 5, alreadyDone: false }),
};

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const env = await createLocalEnv();
try {
  const taskQueue = uniqueTaskQueue('bench');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities, maxCachedWorkflows: 2000 });
  const name = `bench-${Date.now()}`;
  const input: FleetUpgradeInput = {
    name,
    upgrade: { version: '0.2.1', compatibility: { file: '/bench/matrix.yaml' }, heartbeat: { settle: 1 } },
    canaries: { count: 10 },
    waves: { percentages: [10, 50, 100] },
    maxParallel,
    bakeTime: 1,
    searchAttributes: true,
  };
  const started = performance.now();
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(soctalkFleetUpgrade, { taskQueue, workflowId: fleetWorkflowId(name), args: [input] });
    return handle.result();
  });
  const wallMs = performance.now() - started;

  // Every generation of the parent, as the server counts its history.
  const runs: number[] = [];
  for await (const run of env.client.workflow.list({ query: `WorkflowId = '${fleetWorkflowId(name)}'` })) runs.push(run.historyLength);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);

  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  console.log(`tenants:                 ${tenants} (${result.totals.done} upgraded, ${result.totals.failed} failed)`);
  console.log(`waves:                   ${result.plan.map((w) => `${w.name}=${w.tenants.length}`).join(', ')}; max parallel ${maxParallel}`);
  console.log(`wall time:               ${(wallMs / 1000).toFixed(1)} s (${(wallMs / tenants).toFixed(1)} ms per tenant)`);
  console.log(`parent generations:      ${result.generations} (continue-as-new)`);
  console.log(`parent history events:   largest ${Math.max(...runs)} (per generation: ${runs.reverse().join(', ')})`);
  console.log(`worker peak RSS:         ${mb(peakRss)}`);
} finally {
  await env.teardown();
}
