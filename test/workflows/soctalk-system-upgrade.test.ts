import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveSignal, approveUpdate, rejectUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { decide, failureOf, useWorkflowTestEnv, waitForPhase } from '../helpers/workflow-harness.js';
import { fail, gate, initContainerTarget, jobTarget, systemActivities } from './soctalk-system-mocks.js';

const baseInput = {
  targetVersion: '0.2.0',
  imageTag: '0.2.0',
  requestedBy: 'ria',
  compatibility: { file: '/etc/soctalk/matrix.yaml' },
  backup: { database: { mode: 'exec' } },
  api: { healthUrl: 'http://soctalk-system-api.soctalk-system.svc/health/ready' },
};

type Mocks = ReturnType<typeof systemActivities>;

describe('soctalkSystemUpgrade', () => {
  const t = useWorkflowTestEnv();

  /** Runs the workflow with the mocks on a fresh worker; `drive` plays the humans. Every run is a saved history. */
  function runUpgrade(mocks: Mocks, input: Record<string, unknown> = baseInput, drive: (h: WorkflowHandle<typeof soctalkSystemUpgrade>) => Promise<void> = approve) {
    return t.run(soctalkSystemUpgrade, { args: [input], activities: mocks.activities, taskQueuePrefix: 'system', drive, record: true });
  }

  async function approve(h: WorkflowHandle): Promise<void> {
    await decide(h, approveUpdate, { by: 'sam', comment: 'go', acknowledgeSchemaChanges: true }, { phase: 'waiting-approval' });
  }

  it('follows the runbook: pre-flight, backup, approval, Alembic Job, helm upgrade, verification', async () => {
    const mocks = systemActivities();
    const { result, status } = await runUpgrade(mocks);
    assert.deepEqual(mocks.names(), [
      'helmAssertNotLocked',
      'checkClusterPrerequisites',
      'readClusterCapabilities',
      'inspectTarget',
      'checkSystemCompatibility',
      'backupDatabase',
      'diffRelease',
      'deleteMigrationJob',
      'applyMigrationJob',
      'waitForMigrationJob',
      'helmUpgrade',
      'verifyRenderedRelease',
      'checkHealth',
    ]);
    assert.equal(result?.revision, 4);
    const upgrade = mocks.calls.find((c) => c.name === 'helmUpgrade')!.args as Record<string, unknown>;
    assert.deepEqual(upgrade.setString, { 'image.tag': '0.2.0' }, 'the new image tag is always set');
    assert.equal(upgrade.timeoutMs, 600_000, "the runbook's 10m");
    assert.equal(upgrade.fromRevision, 3);
    const wait = mocks.calls.find((c) => c.name === 'waitForMigrationJob')!.args as Record<string, unknown>;
    assert.equal(wait.jobName, 'soctalk-system-alembic-upgrade');
    assert.equal(wait.timeoutMs, 600_000);
    // The backup is named by this run and held (retention keeps it) for as long as the run may restore it.
    const backup = mocks.calls.find((c) => c.name === 'backupDatabase')!.args as Record<string, unknown>;
    assert.match(String(backup.name), /^release_soctalk-system_soctalk-system-pre-upgrade-run-[0-9a-f-]{36}$/);
    assert.equal(backup.holdMs, 86_400_000 + 3 * 600_000 + 300_000 + 2 * 1_800_000, 'approval 24h, then migration, upgrade, verify, rollback and two restores');
    assert.equal(status?.phase, 'completed');
    assert.deepEqual(status.decisions.map((d) => [d.kind, d.by, d.comment]), [['approve', 'sam', 'go']]);
    assert.ok(status.steps.every((s) => s.outcome === 'succeeded' && s.endedAt), JSON.stringify(status.steps));
    assert.match(String((status.facts.migration as { logsTail: string }).logsTail), /alembic/);
    // Section-qualified step names, in the runbook's order and one numbering scheme.
    assert.deepEqual(
      status.steps.map((s) => s.name),
      [
        'pre-flight 1: read the live release (helm status, helm history)',
        'pre-flight 1: cluster prerequisites',
        'pre-flight 1: read the cluster version and API versions',
        'pre-flight 1: render the target and find how it migrates',
        'pre-flight 2: verify the compatibility matrix',
        'pre-flight 3: back up Postgres',
        'pre-flight 4: dry-run diff (rendered target vs helm get manifest)',
        'pre-flight 4: approve soctalk-system 0.1.0 -> 0.2.0',
        'upgrade 1: delete the previous Alembic Job',
        'upgrade 2: render and apply the Alembic Job at the target chart and image',
        'upgrade 3: wait for migrations to complete',
        'upgrade 4: helm upgrade --wait',
        'verify 1: every workload runs the target images, every Service has ready endpoints',
        'verify 2: API health',
      ],
    );
    // Every helm template of the run renders as the cluster would.
    const capabilities = { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'batch/v1', 'v1'] };
    for (const name of ['inspectTarget', 'diffRelease', 'applyMigrationJob']) {
      assert.deepEqual((mocks.calls.find((c) => c.name === name)!.args as { capabilities?: unknown }).capabilities, capabilities, name);
    }
    const verify = mocks.calls.find((c) => c.name === 'verifyRenderedRelease')!.args as { workloads: { name: string }[]; services: string[] };
    assert.deepEqual(verify.workloads.map((w) => w.name), ['soctalk-system-api', 'soctalk-system-postgres'], 'every workload of the rendered target is verified');
    assert.deepEqual(verify.services, ['soctalk-system-api', 'soctalk-system-postgres']);
  });

  it('the real chart migrates in its db-init initContainer: no Job steps, the restore registered before helm upgrade', async () => {
    const mocks = systemActivities({ inspectTarget: async () => initContainerTarget, helmUpgrade: fail(FailureType.RolloutTimeout, 'context deadline exceeded') });
    const { error, status } = await runUpgrade(mocks);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.RolloutTimeout);
    assert.ok(!mocks.names().includes('deleteMigrationJob') && !mocks.names().includes('applyMigrationJob'), mocks.names().join(', '));
    assert.deepEqual(mocks.names().slice(-3), ['helmUpgrade', 'helmRollback', 'restoreDatabase']);
    assert.match(f.message, /compensated: helm rollback soctalk-system to revision 3 \(now at revision 5\); restore database from release_soctalk-system_soctalk-system-pre-upgrade/);
    const skipped = status!.steps.filter((s) => s.outcome === 'skipped').map((s) => s.name);
    assert.deepEqual(skipped, ['upgrade 1: delete the previous Alembic Job', 'upgrade 2: render and apply the Alembic Job at the target chart and image', 'upgrade 3: wait for migrations to complete']);
    // The restore follows: the rollback does not --wait for old pods on the migrated schema.
    assert.equal((mocks.calls.find((c) => c.name === 'helmRollback')!.args as { wait: boolean }).wait, false);
  });

  it('an initContainer migration is restored even when the release notes say no schema changes', async () => {
    const mocks = systemActivities({ inspectTarget: async () => initContainerTarget, verifyRenderedRelease: fail(FailureType.VerificationFailed, 'bad') });
    const { error } = await runUpgrade(mocks, { ...baseInput, schemaChanges: false });
    assert.equal(failureOf(error).type, FailureType.VerificationFailed);
    assert.deepEqual(mocks.names().slice(-2), ['helmRollback', 'restoreDatabase']);
  });

  for (const dryRun of [false, true]) {
    it(`a migration mechanism the chart does not have is refused in pre-flight${dryRun ? ' (plan)' : ''}, nothing backed up or restored`, async () => {
      const mocks = systemActivities({
        inspectTarget: fail(FailureType.InvalidInput, 'migration.template: the target chart does not render templates/jobs/alembic-upgrade.yaml'),
      });
      const { error } = await runUpgrade(mocks, { ...baseInput, dryRun, migration: { mechanism: 'job' } }, async () => undefined);
      const f = failureOf(error);
      assert.equal(f.type, FailureType.InvalidInput);
      assert.match(f.message, /^migration\.template: the target chart does not render/);
      assert.deepEqual(mocks.names(), ['helmAssertNotLocked', 'checkClusterPrerequisites', 'readClusterCapabilities', 'inspectTarget']);
      assert.equal((mocks.calls.find((c) => c.name === 'inspectTarget')!.args as { migration: { mechanism: string } }).migration.mechanism, 'job');
    });
  }

  it('ends as aborted with nothing changed when nobody approves within the timeout', async () => {
    const mocks = systemActivities();
    const { error } = await runUpgrade(mocks, { ...baseInput, approval: { timeout: '2h' } }, async () => undefined);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.ApprovalTimedOut);
    assert.match(f.message, /within 2h; nothing was changed$/);
    assert.ok(!mocks.names().includes('applyMigrationJob') && !mocks.names().includes('restoreDatabase'));
  });

  it('ends when rejected, with nothing changed', async () => {
    const mocks = systemActivities();
    const { error, status } = await runUpgrade(mocks, baseInput, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(rejectUpdate, { args: [{ by: 'sam', comment: 'not tonight' }] });
    });
    const f = failureOf(error);
    assert.equal(f.type, FailureType.Rejected);
    assert.equal(f.message, 'rejected by sam: not tonight; nothing was changed');
    assert.equal(status?.phase, 'rejected');
  });

  it('abort before the backup stops with nothing changed', async () => {
    const g = gate();
    const mocks = systemActivities({
      inspectTarget: async () => {
        g.entered();
        await g.released;
        return jobTarget;
      },
    });
    const { error } = await runUpgrade(mocks, baseInput, async (h) => {
      await g.reached;
      const ack = await h.executeUpdate(abortUpdate, { args: [{ by: 'ria', reason: 'wrong window' }] });
      assert.match(ack.message, /abort accepted/);
      g.release();
    });
    const f = failureOf(error);
    assert.equal(f.type, FailureType.Aborted);
    assert.equal(f.message, 'aborted by ria: wrong window; nothing was changed');
    assert.ok(!mocks.names().includes('backupDatabase'));
  });

  it('abort while waiting for approval stops with nothing changed', async () => {
    const mocks = systemActivities();
    const { error } = await runUpgrade(mocks, baseInput, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'incident ongoing' }] });
    });
    assert.equal(failureOf(error).type, FailureType.Aborted);
    assert.ok(!mocks.names().includes('deleteMigrationJob'));
    assert.ok(!mocks.names().includes('restoreDatabase'));
  });

  it('abort during the migration waits for the Job, then restores the database and never upgrades', async () => {
    const g = gate();
    const mocks = systemActivities({
      waitForMigrationJob: async () => {
        g.entered();
        await g.released;
        return { jobName: 'soctalk-system-alembic-upgrade', durationMs: 1, logsTail: '' };
      },
    });
    const { error } = await runUpgrade(mocks, baseInput, async (h) => {
      await approve(h);
      await g.reached;
      const ack = await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'stop' }] });
      assert.match(ack.message, /takes effect when "upgrade 3: wait for migrations to complete" returns/);
      g.release();
    });
    const f = failureOf(error);
    assert.equal(f.type, FailureType.Aborted);
    assert.match(f.message, /compensated: restore database from release_soctalk-system_soctalk-system-pre-upgrade/);
    assert.ok(!mocks.names().includes('helmUpgrade'));
    assert.deepEqual(mocks.names().slice(-2), ['waitForMigrationJob', 'restoreDatabase']);
  });

  it('abort after the upgrade rolls back, then restores the database', async () => {
    const g = gate();
    const mocks = systemActivities({
      verifyRenderedRelease: async () => {
        g.entered();
        await g.released;
        return { workloads: [], images: [] };
      },
    });
    const { error } = await runUpgrade(mocks, baseInput, async (h) => {
      await approve(h);
      await g.reached;
      await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'alerts firing' }] });
      g.release();
    });
    const f = failureOf(error);
    assert.equal(f.type, FailureType.Aborted);
    assert.deepEqual(mocks.names().slice(-2), ['helmRollback', 'restoreDatabase']);
    const rollback = mocks.calls.find((c) => c.name === 'helmRollback')!.args as Record<string, unknown>;
    assert.equal(rollback.toRevision, 3);
    assert.equal(rollback.wait, false, 'the restore waits for the API instead');
  });

  it('a failed migration Job means no helm upgrade and a restored database', async () => {
    const mocks = systemActivities({ waitForMigrationJob: fail(FailureType.MigrationFailed, 'migration Job soctalk-system-alembic-upgrade failed (BackoffLimitExceeded)') });
    const { error, status } = await runUpgrade(mocks);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.MigrationFailed);
    assert.match(f.message, /BackoffLimitExceeded.*; compensated: restore database from/);
    assert.ok(!mocks.names().includes('helmUpgrade'));
    assert.equal(mocks.names().at(-1), 'restoreDatabase');
    assert.deepEqual(status?.steps.at(-1)?.outcome, 'compensated');
  });

  it('with onFailure "keep", a failed migration leaves the database for inspection', async () => {
    const mocks = systemActivities({ waitForMigrationJob: fail(FailureType.MigrationFailed, 'failed') });
    const { error } = await runUpgrade(mocks, { ...baseInput, migration: { onFailure: 'keep' } });
    assert.equal(failureOf(error).type, FailureType.MigrationFailed);
    assert.ok(!mocks.names().includes('restoreDatabase'));
  });

  it('a failed helm upgrade rolls back to the pre-upgrade revision and restores the database', async () => {
    const mocks = systemActivities({ helmUpgrade: fail(FailureType.RolloutTimeout, 'UPGRADE FAILED: context deadline exceeded') });
    const { error } = await runUpgrade(mocks);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.RolloutTimeout);
    assert.match(f.message, /compensated: helm rollback soctalk-system to revision 3 \(now at revision 5\); restore database/);
    // The Job this run applied (target image, immutable pod template) goes first, or helm
    // rollback fails patching it where the chart has the Job as a plain resource.
    assert.deepEqual(mocks.names().slice(-3), ['deleteMigrationJob', 'helmRollback', 'restoreDatabase']);
    const deletions = mocks.calls.filter((c) => c.name === 'deleteMigrationJob').map((c) => c.args);
    assert.deepEqual(deletions.at(-1), { namespace: 'soctalk-system', kube: {}, jobName: 'soctalk-system-alembic-upgrade' });
  });

  it('a failed verification rolls back and restores', async () => {
    const mocks = systemActivities({ verifyRenderedRelease: fail(FailureType.VerificationFailed, 'deployment/soctalk-system-api runs soctalk-api:0.1.0 instead of tag 0.2.0') });
    const { error } = await runUpgrade(mocks);
    assert.equal(failureOf(error).type, FailureType.VerificationFailed);
    assert.deepEqual(mocks.names().slice(-2), ['helmRollback', 'restoreDatabase']);
  });

  it('a compensation that fails escalates with "manual action needed:"', async () => {
    const mocks = systemActivities({
      helmUpgrade: fail(FailureType.RolloutTimeout, 'context deadline exceeded'),
      helmRollback: fail(FailureType.ReleaseBusy, 'another operation (install/upgrade/rollback) is in progress'),
    });
    const { error, status } = await runUpgrade(mocks);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.CompensationFailed);
    assert.match(f.message, /^manual action needed: "helm rollback soctalk-system to revision 3" failed \(another operation.*\); then, still to do: restore database from /);
    assert.ok(!mocks.names().includes('restoreDatabase'), 'a restore under new code would make things worse');
    assert.equal(status?.phase, 'failed');
  });

  it('without schema changes the Job is not applied, nothing is restored and the rollback waits', async () => {
    const mocks = systemActivities({ verifyRenderedRelease: fail(FailureType.VerificationFailed, 'bad') });
    const { error } = await runUpgrade(mocks, { ...baseInput, schemaChanges: false }, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam' }] });
    });
    assert.equal(failureOf(error).type, FailureType.VerificationFailed);
    assert.ok(!mocks.names().includes('applyMigrationJob'));
    // Step 1 still deletes the previous Job (helm could not patch a plain-resource Job's
    // image), and the rollback deletes the new revision's Job for the same reason.
    assert.deepEqual(mocks.names().filter((n) => n === 'deleteMigrationJob').length, 2);
    assert.ok(!mocks.names().includes('restoreDatabase'), 'without a migration there is nothing to restore');
    const rollback = mocks.calls.find((c) => c.name === 'helmRollback')!.args as Record<string, unknown>;
    assert.equal(rollback.wait, true);
  });

  it('refuses the target when the compatibility matrix puts a tenant out of range', async () => {
    const mocks = systemActivities({ checkSystemCompatibility: fail(FailureType.Incompatible, 'tenant-acme in tenant-acme runs soctalk-tenant 0.1.0, which soctalk-system 0.2.0 does not support (supported: >=0.2.0)') });
    const { error } = await runUpgrade(mocks, baseInput, async () => undefined);
    const f = failureOf(error);
    assert.equal(f.type, FailureType.Incompatible);
    assert.match(f.message, /soctalk-tenant 0\.1\.0/);
    assert.ok(!mocks.names().includes('backupDatabase'));
  });

  for (const [name, input, field] of [
    ['missing image tag', { ...baseInput, imageTag: undefined }, /imageTag/],
    ['bad version', { ...baseInput, targetVersion: 'latest' }, /targetVersion: must be a semantic version/],
    ['unknown field', { ...baseInput, imagetag: 'x' }, /Unrecognized key.*imagetag/],
    ['literal database URL', { ...baseInput, backup: { database: { mode: 'direct', url: 'postgres://u:p@h/db' } } }, /backup\.database/],
    ['bad duration', { ...baseInput, timeouts: { upgrade: 'ten minutes' } }, /timeouts\.upgrade: "ten minutes" is not a duration/],
  ] as const) {
    it(`invalid input (${name}) fails the run as non-retryable, naming the field`, async () => {
      const mocks = systemActivities();
      const { error } = await runUpgrade(mocks, input, async () => undefined);
      const f = failureOf(error);
      assert.equal(f.type, FailureType.InvalidInput);
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, field);
      assert.deepEqual(mocks.names(), []);
    });
  }

  it('a second concurrent upgrade of the same release is refused', async () => {
    const mocks = systemActivities();
    await t.withWorker(
      mocks.activities,
      async (taskQueue) => {
        const { client } = t.env;
        const workflowId = releaseWorkflowId('soctalk-system', 'soctalk-system'); // the input's defaults
        const first = await client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId, args: [baseInput], workflowIdConflictPolicy: 'FAIL' });
        await assert.rejects(client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId, args: [baseInput], workflowIdConflictPolicy: 'FAIL' }), WorkflowExecutionAlreadyStartedError);
        await first.terminate('test done');
      },
      'system',
    );
  });

  it('refuses invalid approvals by Update, and records and ignores them by Signal', async () => {
    const mocks = systemActivities();
    const input = { ...baseInput, approval: { approvers: ['sam', 'ria'], fourEyes: true } };
    const { result, status } = await runUpgrade(mocks, input, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      const refused = async (args: { by: string; acknowledgeSchemaChanges?: boolean }, reason: RegExp) => {
        const err = await h.executeUpdate(approveUpdate, { args: [args] }).then(
          () => assert.fail('should be refused'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowUpdateFailedError);
        assert.match(String((err.cause as Error).message), reason);
      };
      await refused({ by: 'mallory', acknowledgeSchemaChanges: true }, /mallory is not an allowed approver \(allowed: sam, ria\)/);
      await refused({ by: 'ria', acknowledgeSchemaChanges: true }, /four-eyes approval is on: ria requested this run/);
      await refused({ by: 'sam' }, /schema changes that helm rollback cannot revert/);
      await refused({ by: '' }, /must say who approves/);
      await h.signal(approveSignal, { by: 'mallory', acknowledgeSchemaChanges: true });
      for (let i = 0; i < 100 && (await h.query(statusQuery)).invalidMessages.length === 0; i++) await sleep(20);
      assert.equal((await h.query(statusQuery)).phase, 'waiting-approval', 'an invalid signal changes nothing');
      await h.signal(approveSignal, { by: 'sam', acknowledgeSchemaChanges: true });
    });
    assert.equal(result?.revision, 4);
    assert.deepEqual(
      status!.invalidMessages.map((m) => [m.kind, m.by]),
      [['approve', 'mallory']],
    );
    assert.deepEqual(status!.decisions.map((d) => d.by), ['sam']);
  });

  it('dry run: pre-flight and diff only, nothing backed up or changed', async () => {
    const mocks = systemActivities();
    const { result } = await runUpgrade(mocks, { ...baseInput, dryRun: true }, async () => undefined);
    assert.equal(result?.dryRun, true);
    assert.deepEqual(mocks.names(), ['helmAssertNotLocked', 'checkClusterPrerequisites', 'readClusterCapabilities', 'inspectTarget', 'checkSystemCompatibility', 'diffRelease']);
  });
});
