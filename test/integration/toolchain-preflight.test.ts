import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, defaultActivityDeps } from '../../src/activities/index.js';
import { PhaseKey, RunbookKey } from '../../src/domain/search-attributes.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { toolchainPreflight } from '../../src/workflows/toolchain-preflight.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

// Real dev server, real worker, real helm and kubectl processes: the whole plumbing.
describe('toolchainPreflight on a real dev server', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createLocalEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('runs helm and kubectl through the command runner and reports their versions', async () => {
    const taskQueue = uniqueTaskQueue();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities(defaultActivityDeps()),
    });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(toolchainPreflight, { taskQueue, workflowId: `preflight-${taskQueue}`, args: [{}] });
      const versions = await handle.result();
      const status = await handle.query(statusQuery);
      const description = await handle.describe();
      return { versions, status, description };
    });
    assert.match(result.versions.helm, /^v3\.\d+\.\d+/);
    assert.match(result.versions.kubectl, /^v1\.\d+\.\d+/);
    assert.equal(result.status.phase, 'completed');
    assert.deepEqual(
      result.status.steps.map((s) => [s.name, s.outcome]),
      [['tool versions', 'succeeded']],
    );
    assert.deepEqual(result.description.typedSearchAttributes.get(RunbookKey), 'toolchain-preflight');
    assert.deepEqual(result.description.typedSearchAttributes.get(PhaseKey), 'completed');
  });
});
