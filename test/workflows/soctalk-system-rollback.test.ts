import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { FailureType } from '../../src/domain/failure-types.js';
import { abortUpdate, approveUpdate } from '../../src/workflows/lib/messages.js';
import { soctalkSystemRollback } from '../../src/workflows/soctalk/system-rollback.js';
import { decide, failureOf, useWorkflowTestEnv } from '../helpers/workflow-harness.js';
import { backupRecord, fail, systemActivities } from './soctalk-system-mocks.js';

const restore = { backupName: backupRecord.name, database: { mode: 'direct', urlFrom: { env: 'SOCTALK_DATABASE_URL' } } };

describe('soctalkSystemRollback', () => {
  const t = useWorkflowTestEnv();

  async function run(mocks: ReturnType<typeof systemActivities>, input: Record<string, unknown>, drive: (h: WorkflowHandle) => Promise<void>, record = false) {
    const { result, error } = await t.run(soctalkSystemRollback, { args: [input], activities: mocks.activities, taskQueuePrefix: 'rollback', drive, record });
    return error === undefined ? { result } : { failure: failureOf(error) };
  }

  async function approve(h: WorkflowHandle): Promise<void> {
    await decide(h, approveUpdate, { by: 'sam' }, { phase: 'waiting-approval' });
  }

  it('rolls back to the previous revision without --wait, then restores the database', async () => {
    const mocks = systemActivities();
    const { result } = await run(mocks, { restore, requestedBy: 'ria' }, approve, true);
    assert.deepEqual(mocks.names(), ['helmAssertNotLocked', 'findBackup', 'deleteMigrationJob', 'helmRollback', 'restoreDatabase']);
    const rollback = mocks.calls.find((c) => c.name === 'helmRollback')!.args as Record<string, unknown>;
    assert.equal(rollback.toRevision, 2, 'the revision before the current one (3)');
    assert.equal(rollback.afterRevision, 3);
    assert.equal(rollback.wait, false, 'the restore waits for the API instead');
    const restoreCall = mocks.calls.find((c) => c.name === 'restoreDatabase')!.args as Record<string, unknown>;
    assert.equal(restoreCall.apiDeployment, 'soctalk-system-api');
    assert.deepEqual(result, { release: 'soctalk-system', fromRevision: 3, toRevision: 2, revision: 5, restored: 'restored and verified' });
  });

  it('without a restore, rolls back with --wait', async () => {
    const mocks = systemActivities();
    await run(mocks, { toRevision: 2 }, approve);
    const rollback = mocks.calls.find((c) => c.name === 'helmRollback')!.args as Record<string, unknown>;
    assert.equal(rollback.wait, true);
    assert.ok(!mocks.names().includes('restoreDatabase'));
  });

  it('refuses a revision that is not in the history, naming the field', async () => {
    const mocks = systemActivities();
    const { failure } = await run(mocks, { toRevision: 9 }, async () => undefined);
    assert.equal(failure?.type, FailureType.InvalidInput);
    assert.match(failure?.message ?? '', /toRevision: revision 9 is not in the history of soctalk-system \(revisions: 2, 3\)/);
    assert.ok(!mocks.names().includes('helmRollback'));
  });

  it('refuses the revision running now, naming the field: rolling back to it changes nothing', async () => {
    const mocks = systemActivities();
    const { failure } = await run(mocks, { toRevision: 3 }, async () => undefined);
    assert.equal(failure?.type, FailureType.InvalidInput);
    assert.equal(failure?.message, 'toRevision: 3 is the revision running now, so rolling back to it changes nothing; choose one of 2; nothing had been changed');
    assert.deepEqual(mocks.names(), ['helmAssertNotLocked'], 'refused before the backup lookup and the approval');
  });

  it('refuses a backup that does not exist before asking for approval', async () => {
    const mocks = systemActivities({ findBackup: fail(FailureType.NotFound, 'no backup named x') });
    const { failure } = await run(mocks, { restore }, async () => undefined);
    assert.equal(failure?.type, FailureType.NotFound);
    assert.ok(!mocks.names().includes('helmRollback'));
  });

  it('abort while waiting for approval changes nothing', async () => {
    const mocks = systemActivities();
    const { failure } = await run(mocks, { restore }, async (h) => {
      await decide(h, abortUpdate, { by: 'sam', reason: 'not needed' }, { phase: 'waiting-approval' });
    });
    assert.equal(failure?.type, FailureType.Aborted);
    assert.equal(failure?.message, 'aborted by sam: not needed; nothing was changed');
    assert.deepEqual(mocks.names(), ['helmAssertNotLocked', 'findBackup']);
  });

  it('a failed restore after the rollback is reported with what was done', async () => {
    const mocks = systemActivities({ restoreDatabase: fail(FailureType.VerificationFailed, 'alembic_version answers "0002" instead of "0001"') });
    const { failure } = await run(mocks, { restore }, approve, true);
    assert.equal(failure?.type, FailureType.VerificationFailed);
    assert.match(failure?.message ?? '', /instead of "0001"/);
  });
});
