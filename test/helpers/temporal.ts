/**
 * Real Temporal servers for tests, started from binaries the toolchain script provides
 * (no downloads): the Temporal CLI dev server and the Java time-skipping test server.
 * A missing binary fails loudly; tests are never skipped.
 */
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.js';

// Worker lifecycle chatter drowns test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });
import { workflowsPath } from '../../src/worker.js';
import { preloadModules } from '../../src/worker/bundle.js';

function requireExecutable(envVar: string, component: string): string {
  const path = process.env[envVar];
  if (!path) {
    throw new Error(
      `${envVar} is not set: run the tests with \`npm test\` (it runs scripts/toolchain.sh), or ` +
        `\`eval "$(bash scripts/toolchain.sh env ${component})"\` first`,
    );
  }
  return path;
}

export interface LocalEnvOptions {
  /** Serve the Web UI on this port (loopback); without it the dev server runs headless. */
  uiPort?: number;
}

/** The Temporal CLI dev server (real server, SQLite in memory) with our search attributes. */
export function createLocalEnv(options: LocalEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireExecutable('TEMPORAL_CLI_PATH', 'temporal') },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      // As deploy/compose/temporal-dynamicconfig.yaml: an activity the worker schedules comes
      // back with its workflow task's completion instead of through another poll.
      extraArgs: ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
      ...(options.uiPort !== undefined ? { ui: true, uiPort: options.uiPort } : {}),
    },
  });
}

/**
 * The Java time-skipping test server: timers of hours pass in milliseconds. It refuses
 * unregistered search attributes just like a real server, so ours are registered first.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await startWithRetries(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: requireExecutable('TEMPORAL_TEST_SERVER_PATH', 'test-server') } },
    }),
  );
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, keyword])),
  });
  return env;
}

/**
 * The SDK gives an ephemeral server 5 seconds to listen; a JVM on a loaded 2-core machine
 * sometimes needs longer. A second attempt is cheap; a third failure is a real problem.
 */
async function startWithRetries(start: () => Promise<TestWorkflowEnvironment>, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts || !/did not start within/.test(String(err))) throw err;
    }
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per test process; every worker in the file reuses it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, preloadModules, logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

let counter = 0;
/** A fresh task queue per test, so workers of different tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now()}`;
}
