import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { fixturesDir } from '../helpers/paths.js';
import { workflowBundle } from '../helpers/temporal.js';

// Saved histories of real runs, replayed against today's workflow code: a change that would
// make running workflows non-deterministic (a step moved, an activity renamed) fails here
// instead of in production. After an intended change, re-record them: `npm run record-histories`.
const EventType = proto.temporal.api.enums.v1.EventType;
type History = ReturnType<typeof proto.temporal.api.history.v1.History.fromObject>;

/** Every runbook workflow; each needs saved histories (toolchainPreflight is a probe, not a runbook). */
const RUNBOOK_WORKFLOWS = [
  'soctalkSystemUpgrade',
  'soctalkSystemRollback',
  'soctalkTenantUpgrade',
  'soctalkFleetUpgrade',
  'openctiUpgradeV2',
  'openctiClusteringMigration',
  'openctiRollback',
];

const typeOf = (h: History) => h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
const lastEvent = (h: History) => h.events?.at(-1)?.eventType;
const isChild = (h: History) => Boolean(h.events?.[0]?.workflowExecutionStartedEventAttributes?.parentWorkflowExecution);

describe('replay of saved histories', async () => {
  const dir = `${fixturesDir}histories/`;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  // fromObject reads protobuf's JSON form (the SDK's historyFromJSON trips over two copies of protobufjs).
  // The recorded workflow ID travels next to the events: the workflows read theirs (a signed start names it).
  const histories = await Promise.all(
    files.map(async (file) => {
      const saved = JSON.parse(await readFile(dir + file, 'utf8')) as Record<string, unknown>;
      const workflowId = typeof saved.workflowId === 'string' ? saved.workflowId : `replay-${file}`;
      return { file, workflowId, history: proto.temporal.api.history.v1.History.fromObject(saved) };
    }),
  );

  it('covers every runbook workflow, a fleet that continued as new and a tenant child that failed', () => {
    const types = new Set(histories.map(({ history }) => typeOf(history)));
    assert.deepEqual(
      RUNBOOK_WORKFLOWS.filter((t) => !types.has(t)),
      [],
      'workflows without a saved history (npm run record-histories)',
    );
    assert.ok(
      histories.some(({ history }) => typeOf(history) === 'soctalkFleetUpgrade' && lastEvent(history) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW),
      'a fleet generation that continued as new',
    );
    assert.ok(
      histories.some(({ history }) => typeOf(history) === 'soctalkTenantUpgrade' && isChild(history) && lastEvent(history) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED),
      "a fleet's tenant child that failed",
    );
  });

  for (const { file, workflowId, history } of histories) {
    it(file, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    });
  }
});
