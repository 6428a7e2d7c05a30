/**
 * Benchmark (not a test): the fleet upgrade against the runbook's serial loop, on one KWOK
 * cluster with real helm and kubectl, side by side in one run. N tenant releases are
 * installed at soctalk-tenant 0.1.0; the serial loop (bench/serial-loop.sh: the runbook's
 * loop with the tenant workflow's checks) upgrades them all to 0.2.0; they are rolled back
 * to 0.1.0; then soctalkFleetUpgrade (canary, then waves of 10/50/100 %) upgrades them to
 * 0.2.0 through a real worker process and a Temporal dev server. Both sides settle the
 * same time per tenant; the fleet also bakes that long after each wave but the last.
 * After each side every release is read back with `helm list`: one left behind fails the run.
 *
 *   npm run bench:real-fleet                    # 100 tenants, 10 at a time, 5 s settle
 *   npm run bench:real-fleet -- 10 5 3          # tenants, fleet maxParallel, settle seconds
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { stringify } from 'yaml';
import type { FleetUpgradeInput } from '../src/domain/soctalk/fleet-input.js';
import { planWaves } from '../src/domain/soctalk/wave-plan.js';
import { fleetWorkflowId } from '../src/domain/workflow-ids.js';
import { writeWorkflowBundle } from '../src/worker/bundle.js';
import { startTemporalServer, type TemporalServer } from '../test/faults/temporal-server.js';
import { startWorkerProcess, type WorkerProcess } from '../test/faults/worker-process.js';
import { startChartRepo, type ChartRepo } from '../test/helpers/chart-repo.js';
import { createKwokCluster, type KwokCluster } from '../test/helpers/kwok.js';
import { repoRoot } from '../test/helpers/paths.js';
import { uniqueTaskQueue } from '../test/helpers/temporal.js';
import { COMMAND_LOG_ENV, commandTable, countCommands, writeCommandShims } from './command-log.js';
import { tenantReleases } from './tenant-releases.js';

const tenants = Number(process.argv[2] ?? 100);
const maxParallel = Number(process.argv[3] ?? 10);
const settleSeconds = Number(process.argv[4] ?? 5);
const FROM = '0.1.0';
const TO = '0.2.0';
const REPO = 'bench';
const HELM_TIMEOUT = '300s';
/** The issue's shape: a canary, then three waves. */
const CANARIES = { count: 1 };
const WAVES = { percentages: [10, 50, 100] };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const uptime = async () => (await execa('uptime')).stdout.trim();
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const spread = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${seconds(quantile(s, 0.5))}, p90 ${seconds(quantile(s, 0.9))}, max ${seconds(s.at(-1) ?? NaN)}`;
};
/** Progress on stderr, so stdout holds only the figures. */
const phase = (what: string) => console.error(`[real-fleet ${new Date().toISOString().slice(11, 19)}] ${what}`);
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const dir = await mkdtemp(join(tmpdir(), 'real-fleet-'));
const helmHomes = { HELM_CONFIG_HOME: join(dir, 'helm/config'), HELM_CACHE_HOME: join(dir, 'helm/cache'), HELM_DATA_HOME: join(dir, 'helm/data') };
let cluster: KwokCluster | undefined;
let repo: ChartRepo | undefined;
let temporal: TemporalServer | undefined;
let worker: WorkerProcess | undefined;
let finished = false;
try {
  const bundlePath = join(dir, 'workflow-bundle.js');
  phase('starting the KWOK cluster, chart repository and Temporal dev server; bundling the workflows');
  const setup = await timed(() =>
    Promise.all([
      createKwokCluster('real-fleet').then((c) => (cluster = c)),
      startChartRepo().then((r) => (repo = r)),
      startTemporalServer(dir).then((t) => (temporal = t)),
      writeWorkflowBundle(bundlePath),
    ]),
  );
  if (!cluster || !repo || !temporal) throw new Error('setup did not finish');
  const shims = await mkdir(join(dir, 'shims'), { recursive: true }).then(() =>
    writeCommandShims(join(dir, 'shims'), { helm: cluster!.env.HELM_BIN ?? 'helm', kubectl: cluster!.env.KUBECTL_BIN ?? 'kubectl' }),
  );
  const logs = { serial: join(dir, 'serial-commands.log'), fleet: join(dir, 'fleet-commands.log') };
  const releases = tenantReleases(cluster, helmHomes, tenants);
  const chartTgz = (name: string, version: string) => join(repo!.dir, `${name}-${version}.tgz`);

  // soctalk-system first (both sides' gate reads it), and the matrix that accepts the target.
  await releases.helm(['install', 'soctalk-system', chartTgz('soctalk-system', TO), '-n', 'soctalk-system', '--create-namespace']);
  const matrixFile = join(dir, 'compatibility.yaml');
  await writeFile(matrixFile, stringify({ systemVersions: { [TO]: { tenantChart: `>=${FROM} <0.3.0`, upgradeFrom: `>=${FROM} <${TO}` } } }));
  await releases.helm(['repo', 'add', REPO, repo.url]);
  phase(`installing ${tenants} tenants at soctalk-tenant ${FROM}`);
  const install = await timed(() => releases.install(chartTgz('soctalk-tenant', FROM)));
  await releases.expectAll({ chart: `soctalk-tenant-${FROM}`, revision: 1, imageTag: FROM });

  // The runbook's loop, one tenant after another.
  phase(`serial loop: ${tenants} tenants, ${settleSeconds} s settle each`);
  const loadBeforeSerial = await uptime();
  const serial = await timed(() =>
    execa('bash', [join(repoRoot, 'bench/serial-loop.sh')], {
      env: {
        ...cluster!.env,
        ...helmHomes,
        ...shims,
        [COMMAND_LOG_ENV]: logs.serial,
        CHART: `${REPO}/soctalk-tenant`,
        VERSION: TO,
        SYSTEM_CHART: `soctalk-system-${TO}`,
        SETTLE_SECONDS: String(settleSeconds),
        HELM_TIMEOUT,
      },
      // Each tenant's line is shown as it finishes and kept for the figures.
      stdout: ['pipe', 'inherit'],
      stderr: 'inherit',
    }),
  );
  const loadAfterSerial = await uptime();
  await releases.expectAll({ chart: `soctalk-tenant-${TO}`, revision: 2, imageTag: TO });
  const serialWork = [...serial.value.stdout.matchAll(/^tenant \S+ work_ms (\d+) settle_ms \d+$/gm)].map((m) => Number(m[1]));
  if (serialWork.length !== tenants) throw new Error(`the serial loop reported ${serialWork.length} tenants, not ${tenants}:\n${serial.value.stdout}`);

  // Back to the starting point, so the fleet makes the same upgrade.
  phase(`rolling every tenant back to ${FROM}`);
  const reset = await timed(() => releases.rollBackToFirst());
  await releases.expectAll({ chart: `soctalk-tenant-${FROM}`, revision: 3, imageTag: FROM });

  // The fleet: a real worker process (real activities over the shims), the dev server.
  const taskQueue = uniqueTaskQueue('real-fleet');
  worker = await startWorkerProcess(
    'real-fleet',
    {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      ...cluster.env,
      ...helmHomes,
      ...shims,
      [COMMAND_LOG_ENV]: logs.fleet,
    },
    dir,
  );
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const name = `real-fleet-${Date.now()}`;
  const input: FleetUpgradeInput = {
    name,
    upgrade: {
      version: TO,
      chart: { ref: `${REPO}/soctalk-tenant`, repository: { name: REPO, url: repo.url } },
      kube: { kubeconfig: cluster.kubeconfig },
      valuesSource: { kind: 'current' },
      compatibility: { file: matrixFile },
      helmTimeout: HELM_TIMEOUT,
      rolloutTimeout: HELM_TIMEOUT,
      heartbeat: { settle: `${settleSeconds}s` },
    },
    canaries: CANARIES,
    waves: WAVES,
    maxParallel,
    bakeTime: `${settleSeconds}s`,
    failureBudget: { maxFailed: 0 },
    requestedBy: 'bench',
  };
  const loadBeforeFleet = await uptime();
  phase(`fleet: ${tenants} tenants, ${maxParallel} at a time`);
  const fleet = await timed(async () => {
    const handle = await client.workflow.start('soctalkFleetUpgrade', { taskQueue, workflowId: fleetWorkflowId(name), args: [input] });
    return (await handle.result()) as { totals: { done: number; failed: number }; failed: unknown };
  });
  const loadAfterFleet = await uptime();
  if (fleet.value.totals.done !== tenants) throw new Error(`the fleet upgraded ${fleet.value.totals.done} of ${tenants} tenants: ${JSON.stringify(fleet.value.failed)}`);
  await releases.expectAll({ chart: `soctalk-tenant-${TO}`, revision: 4, imageTag: TO });

  // Each tenant's child workflow, as the server recorded it.
  const childMs: number[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'soctalkTenantUpgrade' AND TaskQueue = '${taskQueue}'` })) {
    if (wf.closeTime) childMs.push(wf.closeTime.getTime() - wf.startTime.getTime());
  }
  await connection.close();
  const [serialCommands, fleetCommands] = [await countCommands(logs.serial), await countCommands(logs.fleet)];

  console.log(`real fleet on KWOK: ${tenants} tenant releases, soctalk-tenant ${FROM} -> ${TO}, real helm and kubectl, ${cpus().length} cores`);
  console.log(`settle:          ${settleSeconds} s per tenant on both sides (the runbook sleeps 60 s); the fleet also bakes ${settleSeconds} s after each wave but the last`);
  const plan = planWaves({ tenants: releases.namespaces.map((ns) => ns.replace(/^tenant-/, '')), canaries: CANARIES, waves: WAVES });
  console.log(`fleet plan:      ${plan.map((w) => `${w.name}=${w.tenants.length}`).join(', ')}; maxParallel ${maxParallel}`);
  console.log(`serial loop:     ${seconds(serial.ms)} wall, ${seconds(serial.ms / tenants)} per tenant; work before the settle: ${spread(serialWork)}`);
  console.log(`fleet:           ${seconds(fleet.ms)} wall, ${seconds(fleet.ms / tenants)} per tenant; each tenant's child workflow (with its settle): ${spread(childMs)}`);
  console.log(`ratio:           ${(serial.ms / fleet.ms).toFixed(2)}x (serial wall / fleet wall; target >= 10)`);
  console.log(`verified:        helm list: all ${tenants} releases deployed at soctalk-tenant-${TO} on tag ${TO} after each side (revision 2, then 4)`);
  console.log(`setup:           cluster, chart repo, dev server, bundle ${seconds(setup.ms)}; install ${seconds(install.ms)}; rollback between the sides ${seconds(reset.ms)}`);
  console.log(`load before/after serial: ${loadBeforeSerial} / ${loadAfterSerial}`);
  console.log(`load before/after fleet:  ${loadBeforeFleet} / ${loadAfterFleet}`);
  console.log('commands each side ran (helm and kubectl, through the shims):');
  for (const line of commandTable(serialCommands, fleetCommands, tenants)) console.log(`  ${line}`);
  finished = true;
} finally {
  await worker?.stop();
  await temporal?.stop();
  await cluster?.delete();
  await repo?.stop();
  // A failed run keeps its worker and server logs and command logs to read.
  if (finished) await rm(dir, { recursive: true, force: true });
  else console.error(`the run failed; its logs are in ${dir}`);
}
