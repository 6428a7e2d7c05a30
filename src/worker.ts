/**
 * The worker: connects to Temporal from the environment, registers every runbook workflow
 * and activity on the task queue (default `upgrade-runbooks`), logs as JSON lines, and
 * shuts down cleanly on SIGINT/SIGTERM: it stops polling, gives in-flight activities a
 * grace period (WORKER_SHUTDOWN_GRACE, default 30s) to finish or heartbeat their
 * cancellation, then exits.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities, defaultActivityDeps, type ActivityDeps } from './activities/index.js';
import { connectionOptions, dataConverter, temporalConfigFromEnv, type TemporalConfig } from './temporal-config.js';

/** The workflow sources next to this file: .ts under tsx, .js once compiled. */
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

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
  const connection = await NativeConnection.connect(connectionOptions(config));
  const converter = dataConverter();
  return Worker.create({
    ...(converter ? { dataConverter: converter } : {}),
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    workflowsPath,
    activities: createActivities(options.deps ?? defaultActivityDeps()),
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
