/**
 * The worker: connects to Temporal from the environment, registers every runbook workflow
 * and activity on the task queue (default `upgrade-runbooks`), logs as JSON lines, and
 * shuts down cleanly on SIGINT/SIGTERM: it stops polling, gives in-flight activities a
 * grace period (WORKER_SHUTDOWN_GRACE, default 30s) to finish or heartbeat their
 * cancellation, then exits.
 *
 * Workflow code comes from a prebuilt bundle when there is one (src/worker/bundle.ts) and
 * the sticky cache is bounded (src/worker/cache.ts).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities, defaultActivityDeps, type ActivityDeps } from './activities/index.js';
import { ClaimCheckPayloadCodec } from './codec/claim-check-codec.js';
import { connectionOptions, dataConverter, temporalConfigFromEnv, type TemporalConfig } from './temporal-config.js';
import { workflowSource } from './worker/bundle.js';
import { workflowCacheSize } from './worker/cache.js';

export { workflowsPath } from './worker/bundle.js';

/**
 * Benchmarks only (bench/fleet-scale.ts sets it; nothing in production does): a module whose
 * `createBenchActivities()` replaces every activity, so a benchmark measures the production
 * worker's orchestration without helm or a cluster.
 */
export const BENCH_ACTIVITIES_ENV = 'UPGRADE_RUNBOOKS_BENCH_ACTIVITIES';

async function benchActivities(modulePath: string): Promise<object> {
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { createBenchActivities?: () => object };
  if (typeof mod.createBenchActivities !== 'function') throw new Error(`${BENCH_ACTIVITIES_ENV}=${modulePath} exports no createBenchActivities()`);
  Runtime.instance().logger.warn('BENCHMARK ACTIVITIES: no activity does real work', { module: modulePath });
  return mod.createBenchActivities();
}

/**
 * The SDK sends an activity's heartbeat details at most every 30 s by default, so a long
 * step showed what it did before (the previous command) for half a minute; the details are
 * what `runbook status` and the Web UI show while helm waits.
 */
export const HEARTBEAT_THROTTLE = { defaultHeartbeatThrottleInterval: '2s', maxHeartbeatThrottleInterval: '5s' } as const;

export interface StartWorkerOptions {
  config?: TemporalConfig;
  deps?: ActivityDeps;
  shutdownGraceTime?: string;
}

export async function createWorker(options: StartWorkerOptions = {}): Promise<Worker> {
  const config = options.config ?? temporalConfigFromEnv();
  const source = workflowSource();
  const maxCachedWorkflows = workflowCacheSize();
  const bench = process.env[BENCH_ACTIVITIES_ENV];
  // The worker's own configuration decides whether inline secrets in input are refused (not encrypted).
  const codecOn = config.payloadsEncrypted === true;
  const activities = bench ? await benchActivities(bench) : createActivities({ ...(options.deps ?? defaultActivityDeps()), codecEnabled: codecOn });
  const connection = await NativeConnection.connect(connectionOptions(config));
  const converter = dataConverter(config);
  Runtime.instance().logger.info('worker options', {
    workflowCode: 'workflowBundle' in source ? `bundle ${source.workflowBundle.codePath}` : 'bundled at start-up',
    maxCachedWorkflows,
    // Off: inline secrets in run input are refused (src/codec/inline-secrets.ts).
    payloadCodec: codecOn ? 'AES-256-GCM' : 'off',
    // Off: a payload that outgrows Temporal's limits fails its workflow task (src/codec/claim-check-codec.ts).
    payloadOffload: converter?.payloadCodecs?.find((c) => c instanceof ClaimCheckPayloadCodec)?.description ?? 'off',
  });
  return Worker.create({
    ...(converter ? { dataConverter: converter } : {}),
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...source,
    maxCachedWorkflows,
    activities,
    shutdownGraceTime: options.shutdownGraceTime ?? process.env.WORKER_SHUTDOWN_GRACE ?? '30s',
    ...HEARTBEAT_THROTTLE,
  });
}

function installJsonLogger(): void {
  const level = (process.env.LOG_LEVEL?.toUpperCase() ?? 'INFO') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      process.stdout.write(
        `${JSON.stringify({ time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, message: entry.message, ...entry.meta })}\n`,
      );
    }),
    // Worker.run() resolves once these signals have drained the worker.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}

async function main(): Promise<void> {
  installJsonLogger();
  const config = temporalConfigFromEnv(process.env, (message) => {
    Runtime.instance().logger.warn(message);
  });
  const worker = await createWorker({ config });
  Runtime.instance().logger.info('worker started', { address: config.address, namespace: config.namespace, taskQueue: config.taskQueue });
  await worker.run();
  Runtime.instance().logger.info('worker stopped');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
