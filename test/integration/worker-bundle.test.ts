import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { writeWorkflowBundle } from '../../src/worker/bundle.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { repoRoot } from '../helpers/paths.js';

// The production path: workflow code bundled ahead of time (what `npm run bundle` and the
// image build do) and loaded by the worker process, which then runs a workflow from it.
describe('src/worker.ts from a prebuilt workflow bundle', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-bundle-'));
    env = await createLocalEnv();
  });
  after(async () => {
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads WORKFLOW_BUNDLE_PATH, bounds its cache, and runs a fleet from the bundle', async () => {
    const bundle = join(dir, 'workflow-bundle.js');
    assert.ok((await writeWorkflowBundle(bundle)) > 10_000);
    // The shared libraries are evaluated once per workflow thread, before any workflow.
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(await readFile(bundle, 'utf8'))?.[1] ?? '';
    assert.match(preload, /src\/workflows\/shared-libraries\.ts/);
    const taskQueue = 'bundle-test';
    const worker = execa('node', ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repoRoot,
      env: {
        TEMPORAL_ADDRESS: env.connection.options.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        WORKFLOW_BUNDLE_PATH: bundle,
        WORKER_FLEET_PARALLELISM: '7',
        WORKER_SHUTDOWN_GRACE: '2s',
        // Instant activities, so the fleet needs no cluster; this is what the benchmarks do.
        UPGRADE_RUNBOOKS_BENCH_ACTIVITIES: 'bench/fleet-activities.ts',
        BENCH_TENANTS: '3',
      },
      reject: false,
      all: true,
    });
    let output = '';
    const started = new Promise<void>((resolve) => {
      worker.all?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"message":"worker started"')) resolve();
      });
    });
    try {
      await Promise.race([started, worker.then(() => assert.fail(`the worker exited early:\n${output}`))]);
      const options = output.split('\n').find((l) => l.includes('"message":"worker options"'));
      assert.ok(options, output);
      const parsed = JSON.parse(options) as { workflowCode: string; maxCachedWorkflows: number };
      assert.equal(parsed.workflowCode, `bundle ${bundle}`);
      assert.equal(parsed.maxCachedWorkflows, 57);

      const handle = await env.client.workflow.start('soctalkFleetUpgrade', {
        taskQueue,
        workflowId: `bundle-test-${Date.now()}`,
        args: [{ name: 'bundle-test', upgrade: { version: '0.2.1', compatibility: { file: '/bench/matrix.yaml' }, heartbeat: { settle: 1 } }, canaries: { count: 1 }, bakeTime: 1 }],
      });
      const result = (await handle.result()) as { totals: { done: number; failed: number } };
      assert.equal(result.totals.done, 3);
      assert.equal(result.totals.failed, 0);
    } finally {
      worker.kill('SIGTERM');
      await worker;
    }
  });

  it('refuses a WORKFLOW_BUNDLE_PATH that does not exist, naming the variable and the fix', async () => {
    const result = await execa('node', ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repoRoot,
      env: { WORKFLOW_BUNDLE_PATH: join(dir, 'missing.js') },
      reject: false,
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /WORKFLOW_BUNDLE_PATH=.*missing\.js does not exist: build it with `npm run bundle/);
  });
});
