/**
 * What both fleet benchmarks share: a real Temporal dev server in this process, the
 * production worker as its own process, compiled and started as the image does
 * (bench/worker-build.ts: `tsc`, then `node worker.js` with the image's heap flags), loading
 * a workflow bundle built like `npm run bundle`, with the bench-only activities
 * (bench/fleet-activities.ts) selected by an env var only benchmarks set, and the payload
 * store on a local SeaweedFS (RUNBOOK_PAYLOAD_STORE=s3, the default threshold;
 * BENCH_PAYLOAD_STORE=off runs without it); then one SocTalk fleet, and the figures read
 * back from the server and the store.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { execa } from 'execa';
import proto from '@temporalio/proto';
import { codecDataConverter } from '../src/codec/data-converter.js';
import type { FleetUpgradeInput } from '../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId } from '../src/domain/workflow-ids.js';
import { planWaves } from '../src/domain/soctalk/wave-plan.js';
import { writeWorkflowBundle } from '../src/worker/bundle.js';
import { WORKER_NODE_FLAGS } from '../src/worker/heap.js';
import { startSeaweedfs, type Seaweedfs } from '../test/helpers/seaweedfs.js';
import { createLocalEnv, uniqueTaskQueue } from '../test/helpers/temporal.js';
import { repoRoot } from '../test/helpers/paths.js';
import { benchSlug } from './fleet-activities.js';
import { eventTypes, historyTiming, meanTiming, sumTiming, type HistoryTiming } from './history-timing.js';
import { compileWorker } from './worker-build.js';

export interface FleetRunOptions {
  tenants: number;
  maxParallel: number;
  activityMs: number;
  /** Plan mode: list, gate and plan the fleet, upgrade nothing. */
  dryRun?: boolean;
}

export interface FleetRunFigures {
  wallMs: number;
  done: number;
  failed: number;
  plan: { name: string; size: number }[];
  generations: number;
  largestParentHistory: number;
  largestTenantHistory: number;
  eventsPerTenant: number;
  largestEventBytes: number;
  largestEventWhere: string;
  /** The largest continue-as-new event: the state one generation hands the next. */
  largestCarryBytes: number;
  tenantActivities: number;
  fleetActivities: number;
  workerPeakRssBytes: number;
  workerCpuSeconds: number;
  /** CPU the dev server used during the run (it shares the machine with the worker). */
  serverCpuSeconds?: number;
  workerErrors: string[];
  /** Where time went, the mean over a sample of tenants, and the fleet parent over all its generations. */
  tenantTiming: HistoryTiming;
  /** A tenant's history by event type, most first. */
  tenantEventTypes: [string, number][];
  parentTiming: HistoryTiming;
  /** What the payload store holds after the run (undefined: the store was off). */
  offloaded?: { objects: number; largestBytes: number; totalBytes: number };
}

const HistoryEvent = proto.temporal.api.history.v1.HistoryEvent;
/** Printed around the worker's and the dev server's shutdown; scripts/bench.sh matches them. */
const TEARDOWN_STARTS = 'bench: teardown starts (worker, dev server)';
const TEARDOWN_ENDS = 'bench: teardown ends';

async function procStatus(pid: number): Promise<{ hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(text)?.[1];
  return { hwm: kb ? Number(kb) * 1024 : 0 };
}

async function procCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100; // utime + stime, in clock ticks (100/s)
}

/** Until visibility holds no running workflow of this task queue (60 s at most, then the figures say so). */
async function visibilityCaughtUp(client: Client, taskQueue: string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 500) {
    const { count } = await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`);
    if (count === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.error('bench: visibility still lists running workflows after 60 s; events per tenant may be low');
}

/** The dev server: the child of this process that the SDK started as `temporal server start-dev`. */
async function devServerPid(): Promise<number | undefined> {
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes('start-dev')) return Number(entry);
  }
  return undefined;
}

export async function runFleet(o: FleetRunOptions): Promise<FleetRunFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
  const env = await createLocalEnv();
  const s3: Seaweedfs | undefined = process.env.BENCH_PAYLOAD_STORE === 'off' ? undefined : await startSeaweedfs();
  const storeEnv: Record<string, string> = s3 ? { ...s3.workerEnv('bench/'), RUNBOOK_PAYLOAD_STORE: 's3' } : {};
  const taskQueue = uniqueTaskQueue('bench');
  const bundle = join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const compiled = await compileWorker(dir);
  // The production worker's heap flags, then BENCH_WORKER_NODE_ARGS: extra node flags for the
  // worker alone, e.g. `--cpu-prof --cpu-prof-dir=<dir>` to profile it (a later flag wins).
  const nodeArgs = `${WORKER_NODE_FLAGS} ${process.env.BENCH_WORKER_NODE_ARGS ?? ''}`.split(' ').filter(Boolean);
  const worker = execa('node', [...nodeArgs, compiled.entry], {
    cwd: repoRoot,
    env: {
      TEMPORAL_ADDRESS: env.connection.options.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKFLOW_BUNDLE_PATH: bundle,
      WORKER_FLEET_PARALLELISM: String(o.maxParallel),
      UPGRADE_RUNBOOKS_BENCH_ACTIVITIES: compiled.benchActivities,
      BENCH_TENANTS: String(o.tenants),
      BENCH_ACTIVITY_MS: String(o.activityMs),
      LOG_LEVEL: 'WARN',
      ...storeEnv,
    },
    reject: false,
    all: true,
  });
  let output = '';
  worker.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const pid = worker.pid!;
    let peak = 0;
    let cpu = 0;
    const sampler = setInterval(() => {
      void procStatus(pid).then((s) => (peak = Math.max(peak, s.hwm)));
      void procCpuSeconds(pid).then((c) => (cpu = Math.max(cpu, c)));
    }, 200);

    const name = `bench-${Date.now()}`;
    const input: FleetUpgradeInput = {
      name,
      upgrade: { version: '0.2.1', compatibility: { file: '/bench/matrix.yaml' }, heartbeat: { settle: 0 } },
      canaries: { count: 10 },
      waves: { percentages: [10, 50, 100] },
      maxParallel: o.maxParallel,
      bakeTime: 0,
      searchAttributes: true,
      ...(o.dryRun ? { dryRun: true } : {}),
    };
    const server = await devServerPid();
    const serverCpuBefore = server ? await procCpuSeconds(server) : 0;
    const started = performance.now();
    // The bench's client reads the result as the CLI would: through the same codecs.
    const client = new Client({ connection: env.connection, ...(s3 ? { dataConverter: codecDataConverter(storeEnv)! } : {}) });
    const handle = await client.workflow.start('soctalkFleetUpgrade', { taskQueue, workflowId: fleetWorkflowId(name), args: [input] });
    const result = (await handle.result()) as { totals: { done: number; failed: number }; generations: number };
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, (await procStatus(pid)).hwm);
    cpu = Math.max(cpu, await procCpuSeconds(pid));
    const serverCpuSeconds = server ? (await procCpuSeconds(server)) - serverCpuBefore : undefined;

    // Visibility is written after the fact: a record still marked Running counts no events
    // (one 1,000-tenant run reported the parent at 0), so wait until every run reads closed.
    await visibilityCaughtUp(env.client, taskQueue);
    // Every workflow of the run as the server counts it; the parent's generations in full.
    let totalEvents = 0;
    let largestTenantHistory = 0;
    const parentRuns: { runId: string; events: number }[] = [];
    const tenantRuns: { workflowId: string; runId: string }[] = [];
    for await (const wf of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      totalEvents += wf.historyLength;
      if (wf.workflowId === fleetWorkflowId(name)) parentRuns.push({ runId: wf.runId, events: wf.historyLength });
      else {
        largestTenantHistory = Math.max(largestTenantHistory, wf.historyLength);
        tenantRuns.push({ workflowId: wf.workflowId, runId: wf.runId });
      }
    }
    let largestEventBytes = 0;
    let largestEventWhere = '';
    let largestCarryBytes = 0;
    let fleetActivities = 0;
    const timings = new Map<string, HistoryTiming>();
    let tenantEventTypes: [string, number][] = [];
    const scan = async (workflowId: string, runId: string, label: string) => {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      timings.set(runId, historyTiming(history.events ?? []));
      if (label === 'a tenant') tenantEventTypes = eventTypes(history.events ?? []);
      let activities = 0;
      for (const ev of history.events ?? []) {
        const bytes = HistoryEvent.encode(ev).finish().length;
        if (bytes > largestEventBytes) {
          largestEventBytes = bytes;
          largestEventWhere = `${label}, event ${String(ev.eventId)}`;
        }
        if (ev.workflowExecutionContinuedAsNewEventAttributes) largestCarryBytes = Math.max(largestCarryBytes, bytes);
        // Local activities (short reads) take their time too: one marker each.
        if (ev.activityTaskScheduledEventAttributes || ev.markerRecordedEventAttributes?.markerName === 'core_local_activity') activities += 1;
      }
      return activities;
    };
    for (const run of parentRuns) fleetActivities += await scan(fleetWorkflowId(name), run.runId, 'fleet parent');
    // Twenty tenants spread over the fleet (every wave and round) for the timing; one for the activity count.
    const sample = tenantRuns.filter((_, i) => i % Math.max(1, Math.floor(tenantRuns.length / 20)) === 0);
    let tenantActivities = 0;
    for (const t of sample) tenantActivities = await scan(t.workflowId, t.runId, 'a tenant');
    const tenantTiming = meanTiming(sample.map((t) => timings.get(t.runId)!));
    const parentTiming = sumTiming(parentRuns.map((r) => timings.get(r.runId)!));

    const plan = planWaves({ tenants: Array.from({ length: o.tenants }, (_, i) => benchSlug(i)), canaries: { count: 10 }, waves: { percentages: [10, 50, 100] } });
    let offloaded: FleetRunFigures['offloaded'];
    if (s3) {
      offloaded = { objects: 0, largestBytes: 0, totalBytes: 0 };
      let token: string | undefined;
      do {
        const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'bench/payloads/', ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          offloaded.objects += 1;
          offloaded.largestBytes = Math.max(offloaded.largestBytes, o.Size ?? 0);
          offloaded.totalBytes += o.Size ?? 0;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    const errors = output.split('\n').filter((l) => /"level":"(ERROR|WARN)"/.test(l) && !l.includes('BENCHMARK ACTIVITIES'));
    return {
      wallMs,
      done: result.totals.done,
      failed: result.totals.failed,
      plan: plan.map((w) => ({ name: w.name, size: w.tenants.length })),
      generations: result.generations,
      largestParentHistory: Math.max(...parentRuns.map((r) => r.events)),
      largestTenantHistory,
      eventsPerTenant: totalEvents / o.tenants,
      largestEventBytes,
      largestEventWhere,
      largestCarryBytes,
      tenantActivities,
      fleetActivities,
      tenantTiming,
      tenantEventTypes,
      parentTiming,
      workerPeakRssBytes: peak,
      workerCpuSeconds: cpu,
      ...(serverCpuSeconds !== undefined ? { serverCpuSeconds } : {}),
      workerErrors: errors,
      ...(offloaded ? { offloaded } : {}),
    };
  } finally {
    // Markers for scripts/bench.sh: what the dev server logs while it and the worker stop
    // (pollers cut off, tasks in flight cancelled) is counted apart from what it logged under load.
    console.error(TEARDOWN_STARTS);
    worker.kill('SIGTERM');
    await worker;
    await env.teardown();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
    console.error(TEARDOWN_ENDS);
  }
}
