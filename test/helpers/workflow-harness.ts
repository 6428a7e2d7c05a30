/**
 * The workflow-test harness every workflow test shares: one time-skipping server per test
 * file, a fresh worker over the test's recorded activities per run, and the moves an
 * operator makes (wait for a phase, decide, read why a run failed). Saved histories for
 * the replay test are recorded here too (RECORD_HISTORIES=1, see `npm run record-histories`).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition, type Workflow, type WorkflowResultType } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { statusQuery, type DecisionAck } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { fixturesDir } from './paths.js';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from './temporal.js';

type Queryable = Pick<WorkflowHandle, 'query'>;

export interface RunOptions<W extends Workflow> {
  args: Parameters<W>;
  activities: object;
  /** The workflow ID from the task queue (unique per run); default `<prefix>-<taskQueue>`. */
  workflowId?: (taskQueue: string) => string;
  taskQueuePrefix?: string;
  /** Plays the humans while the run is open. */
  drive?: (handle: WorkflowHandle<W>) => Promise<void>;
  /** Save this run's history for the replay test when RECORD_HISTORIES is set. */
  record?: boolean;
}

export interface RunOutcome<W extends Workflow> {
  handle: WorkflowHandle<W>;
  result?: WorkflowResultType<W>;
  /** What `handle.result()` threw (a WorkflowFailedError for a failed run). */
  error?: unknown;
  /** Queried while the worker still runs; undefined for a run refused for its input. */
  status?: RunStatus;
}

export interface WorkflowTestEnv {
  readonly env: TestWorkflowEnvironment;
  /** Runs `body` while a fresh worker over `activities` polls its own task queue. */
  withWorker<T>(activities: object, body: (taskQueue: string) => Promise<T>, prefix?: string): Promise<T>;
  /** Starts `workflow` on a fresh worker, lets `drive` play the humans, waits for the end. */
  run<W extends Workflow>(workflow: W, options: RunOptions<W>): Promise<RunOutcome<W>>;
  /** Saves a run's history (a child's, a first generation's) when RECORD_HISTORIES is set. */
  record(handle: Pick<WorkflowHandle, 'fetchHistory' | 'workflowId'>, suffix?: string): Promise<void>;
}

/** Call inside `describe`: starts the time-skipping server before the tests, stops it after. */
export function useWorkflowTestEnv(): WorkflowTestEnv {
  let env: TestWorkflowEnvironment | undefined;
  let currentTest = '';
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  beforeEach((t) => {
    currentTest = t.name;
  });

  const harness: WorkflowTestEnv = {
    get env() {
      assert.ok(env, 'the test server is not running (use the harness inside describe)');
      return env;
    },
    async withWorker(activities, body, prefix = 'test') {
      const taskQueue = uniqueTaskQueue(prefix);
      const worker = await Worker.create({ connection: harness.env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
      return worker.runUntil(body(taskQueue));
    },
    async run(workflow, options) {
      const prefix = options.taskQueuePrefix ?? 'wf';
      return harness.withWorker(
        options.activities,
        async (taskQueue) => {
          const handle = await harness.env.client.workflow.start(workflow, {
            taskQueue,
            workflowId: options.workflowId?.(taskQueue) ?? `${prefix}-${taskQueue}`,
            args: options.args,
          } as unknown as WorkflowStartOptions<typeof workflow>);
          if (options.drive) await options.drive(handle);
          const settled = await handle.result().then(
            (result: WorkflowResultType<typeof workflow>) => ({ result }),
            (error: unknown) => ({ error }),
          );
          if (options.record) await harness.record(handle);
          const status = await handle.query(statusQuery).catch(() => undefined);
          return { handle, ...settled, ...(status ? { status } : {}) };
        },
        prefix,
      );
    },
    async record(handle, suffix) {
      const target = recordingDir();
      if (!target || !currentTest) return;
      const history = await handle.fetchHistory();
      const type = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'workflow';
      const name = [type, slug(currentTest), suffix].filter(Boolean).join('.');
      await mkdir(target, { recursive: true });
      // A history does not hold its workflow ID, and the workflows read theirs (gate commands,
      // signed statements): it is saved next to the events for the replay. Stack traces name
      // this machine's paths and play no part in replay: left out.
      const saved = { workflowId: handle.workflowId, ...proto.temporal.api.history.v1.History.fromObject(history).toJSON() };
      const json = JSON.stringify(saved, (key, value: unknown) => (key === 'stackTrace' ? '' : value));
      await writeFile(`${target}/${name}.json`, `${json}\n`);
    },
  };
  return harness;
}

/** RECORD_HISTORIES=1 writes to the fixtures the replay test reads; any other value is a directory. */
function recordingDir(): string | undefined {
  const value = process.env.RECORD_HISTORIES;
  if (!value || value === '0') return undefined;
  return value === '1' || value === 'true' ? `${fixturesDir}histories` : value;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);

/** Polls `read` until `check` holds; `tick` moves the test server's clock between polls. */
export async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, opts: { ms?: number; tick?: () => Promise<void> } = {}): Promise<T> {
  const ms = opts.ms ?? 20_000;
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms}ms; last value: ${JSON.stringify(v).slice(0, 2000)}`);
    await (opts.tick ? opts.tick() : sleep(50));
  }
}

/** Polls the status query until `predicate` holds (queries do not skip time). */
export async function waitForStatus(handle: Queryable, predicate: (s: RunStatus) => boolean, ms = 20_000): Promise<RunStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && predicate(status)) return status;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(status?.steps.map((s) => [s.name, s.outcome]))}`);
    await sleep(50);
  }
}

/** Waits until the run is in `phase`; fails at once when it ended before getting there. */
export async function waitForPhase(handle: Queryable, phase: string, ms = 30_000): Promise<RunStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    // A run whose first workflow task has not run yet cannot answer: keep asking.
    const s = await handle.query(statusQuery).catch((err: unknown) => {
      if (Date.now() > deadline) throw err;
      return undefined;
    });
    if (s?.phase === phase) return s;
    if (s?.outcome) assert.fail(`the run ended (${s.outcome.message}) before reaching phase ${phase}\n${s.steps.map((x) => `${x.outcome} ${x.name}`).join('\n')}`);
    if (Date.now() > deadline) assert.fail(`the run never reached phase ${phase} (now ${s?.phase}; steps ${JSON.stringify(s?.steps)})`);
    await sleep(Math.min(200, Math.max(25, ms / 400)));
  }
}

export const runningStep = (name: string) => (s: RunStatus) => s.steps.some((x) => x.name === name && x.outcome === 'running');

/** The non-retryable failure a failed run ended with (asserts the whole chain). */
export function failureOf(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, `the run should have failed: ${String(error)}`);
  assert.ok(error.cause instanceof ApplicationFailure, `cause: ${String(error.cause)}`);
  return error.cause;
}

/** What a workflow's validator said when it refused an Update, or 'accepted'. */
export async function refusalOf(update: Promise<unknown>): Promise<string> {
  try {
    await update;
    return 'accepted';
  } catch (e) {
    assert.ok(e instanceof WorkflowUpdateFailedError, String(e));
    return String(e.cause?.message);
  }
}

/** Sends a human decision as an Update, first waiting for `phase` when given; returns the ack. */
export async function decide<A>(
  handle: Pick<WorkflowHandle, 'query' | 'executeUpdate'>,
  update: UpdateDefinition<DecisionAck, [A]>,
  args: A,
  opts: { phase?: string } = {},
): Promise<DecisionAck> {
  if (opts.phase) await waitForPhase(handle, opts.phase);
  return handle.executeUpdate(update, { args: [args] });
}
