import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate } from '../../src/workflows/lib/messages.js';
import { openctiRollback, type OpenctiRollbackInput } from '../../src/workflows/opencti/opencti-rollback.js';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal.js';
import { failureOf as cause, runningStep, useWorkflowTestEnv, waitForStatus } from '../helpers/workflow-harness.js';
import { common, noApproval, openctiMocks, upgradeValues, valuesFile, verificationFailed, type OpenctiMockOptions } from './opencti-mocks.js';

const helmRollbackInput = (extra: Partial<OpenctiRollbackInput> = {}): OpenctiRollbackInput => ({ ...common, mode: 'helm-rollback', ...noApproval, ...extra });
const upgradeInput = (mode: OpenctiRollbackInput['mode'], extra: Partial<OpenctiRollbackInput> = {}): OpenctiRollbackInput => ({
  ...common,
  mode,
  version: '2.0.0',
  values: { files: [valuesFile('clustering')] },
  ...noApproval,
  ...extra,
});

const ROLLBACK = 'helm rollback opencti to revision 5';

// The release is at revision 5 (the clustering migration); 3 was v2 single mode, 2 was v1.
const atFive: OpenctiMockOptions = { revision: 5, history: [1, 2, 3, 4, 5] };

describe('openctiRollback (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function run(raw: unknown, mocks: OpenctiMockOptions = atFive, during?: (h: WorkflowHandle<typeof openctiRollback>) => Promise<void>, record = false) {
    const m = openctiMocks(mocks);
    const { result, error, status, handle } = await t.run(openctiRollback, {
      args: [raw as OpenctiRollbackInput],
      activities: m.activities,
      taskQueuePrefix: 'opencti',
      workflowId: (taskQueue) => `${releaseWorkflowId('opencti', 'opencti')}-${taskQueue}`,
      ...(during ? { drive: during } : {}),
      record,
    });
    return { result, error, status: status!, m, handle };
  }

  it('helm-rollback: approved, helm rollback to the chosen revision, then history and pods verified', async () => {
    let summary = '';
    const { result, error, status, m } = await run(helmRollbackInput({ toRevision: 2, approval: { required: true } }), atFive, async (h) => {
      summary = (await waitForStatus(h, (s) => s.pendingApproval !== null)).pendingApproval!.summary;
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    }, true);
    assert.equal(error, undefined, String(error));
    assert.equal(summary, 'helm rollback opencti 2 (revision 2: opencti-1.0.0, superseded) from revision 5');
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['check the release is not locked', 'succeeded'],
        ['approve the rollback', 'succeeded'],
        ['rollback to the pre-upgrade revision', 'succeeded'],
        ['verify rollback', 'succeeded'],
        ['verify all pods are running', 'succeeded'],
        ['check services are accessible', 'succeeded'],
      ],
    );
    assert.deepEqual(m.calls.find((c) => c.name === 'helmRollback')!.args, { release: 'opencti', namespace: 'opencti', kube: {}, toRevision: 2, afterRevision: 5, wait: true, timeoutMs: 600_000 });
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, [], 'every Service of the release');
    assert.equal(result!.revision, 6);
  });

  it('helm-rollback without a revision goes to the previous one', async () => {
    const { error, m } = await run(helmRollbackInput());
    assert.equal(error, undefined, String(error));
    assert.equal(m.calls.find((c) => c.name === 'helmRollback')!.args.toRevision, 4);
  });

  it('helm-rollback to a revision helm no longer keeps is refused', async () => {
    const { error, m } = await run(helmRollbackInput({ toRevision: 9 }));
    const failure = cause(error);
    assert.equal(failure.type, FailureType.NotFound);
    assert.match(failure.message, /^revision 9 is not in the history of opencti \(kept: 1, 2, 3, 4, 5\)/);
    assert.ok(!m.names().includes('helmRollback'));
  });

  it('helm-rollback with pods not ready after it fails, saying the rollback stays (nothing undoes it)', async () => {
    const { error, status } = await run(helmRollbackInput(), { ...atFive, script: { openctiCheckPods: verificationFailed('pods not ready in opencti: opencti-server-x Pending') } });
    assert.equal(cause(error).message, 'pods not ready in opencti: opencti-server-x Pending; compensated: none: opencti stays rolled back to revision 4 (check it by hand)');
    assert.deepEqual(status.outcome?.compensations, ['none: opencti stays rolled back to revision 4 (check it by hand)']);
  });

  it('disable-clustering: single mode on v2 with the root ingress restored, verified as single mode', async () => {
    let summary = '';
    const { error, status, m } = await run(upgradeInput('disable-clustering', { approval: { required: true } }), atFive, async (h) => {
      summary = (await waitForStatus(h, (s) => s.pendingApproval !== null)).pendingApproval!.summary;
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    });
    assert.equal(error, undefined, String(error));
    assert.match(summary, /warning \[restored-root-ingress\] clustering\.frontend\.ingress \(cti\.example\.com\) restored at the root/);
    assert.match(summary, /\n~ clustering\.enabled: true -> false\n/);
    assert.deepEqual(
      status.steps.map((s) => s.name),
      [
        'check the release is not locked',
        'prepare rollback values',
        'approve the rollback',
        'check the values are the ones approved',
        'add the updated Helm repository',
        'apply rollback to single mode',
        'verify all pods are running',
        'check services are accessible',
        'check ingress configuration',
        'test application accessibility',
      ],
    );
    const upgrade = m.calls.find((c) => c.name === 'helmUpgrade')!.args;
    const values = upgradeValues(upgrade);
    assert.equal(values.clustering.enabled, false);
    assert.equal(values.ingress.enabled, true);
    assert.deepEqual(values.ingress.hosts, [{ host: 'cti.example.com', paths: [{ path: '/', pathType: 'ImplementationSpecific' }] }]);
    assert.equal(values.env.RULE_ENGINE__ENABLED, true);
    assert.equal(upgrade.fromRevision, 5);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckIngress')!.args.service, 'opencti-server');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckHealth')!.args.components, ['server']);
  });

  it('disable-frontend: ingestion only, the root ingress serves it, workers on ingestion', async () => {
    const { error, status, m, handle } = await run(upgradeInput('disable-frontend'), atFive, undefined, true);
    assert.equal(error, undefined, String(error));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);
    assert.ok(status.steps.some((s) => s.name === 'disable frontend (cluster only)' && s.outcome === 'succeeded'));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.equal(values.clustering.enabled, true);
    assert.equal(values.clustering.frontend.enabled, false);
    assert.equal(values.ingress.enabled, true, 'the root ingress restored for ingestion');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-ingestion']);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckIngress')!.args.service, 'opencti-ingestion');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.workerTarget, 'ingestion');
    assert.deepEqual(m.calls.filter((c) => c.name === 'openctiCheckHealth').map((c) => c.args.components), [['ingestion']]);
  });

  it('disable-ingestion: frontend only, running the managers again, workers on the frontend', async () => {
    const { error, result, m } = await run(upgradeInput('disable-ingestion'));
    assert.equal(error, undefined, String(error));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.equal(values.clustering.ingestion.enabled, false);
    assert.deepEqual(values.clustering.frontend.env, { RULE_ENGINE__ENABLED: true }, "the frontend runs the managers, with ingestion's settings");
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.workerTarget, 'frontend');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-frontend']);
    assert.equal(result!.warnings.length, 5);
  });

  it("replayMigration: a partial rollback from the single-mode values the migration started from", async () => {
    const { error, m } = await run(upgradeInput('disable-ingestion', { values: { files: [valuesFile('ingress-tls')] }, replayMigration: { frontend: { replicaCount: 3 } } }));
    assert.equal(error, undefined, String(error));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.equal(values.ingress, undefined);
    assert.equal(values.clustering.enabled, true);
    assert.equal(values.clustering.ingestion.enabled, false);
    assert.equal(values.clustering.frontend.replicaCount, 3);
    assert.equal(values.clustering.frontend.ingress.enabled, true);
    assert.deepEqual(values.clustering.frontend.env, {}, 'no manager disabled: the frontend is the only cluster left');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckDeployments')!.args.expect, [{ component: 'frontend', name: 'opencti-frontend', replicas: 3 }]);
  });

  it('a partial rollback of values without clustering is refused before anything changes', async () => {
    const { error, m } = await run(upgradeInput('disable-frontend', { values: { files: [valuesFile('minimal')] } }));
    const failure = cause(error);
    assert.equal(failure.type, FailureType.InvalidValues);
    assert.match(failure.message, /^clustering is not enabled in these values: there is no cluster to disable; nothing had been changed$/);
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  for (const [mode, script, message] of [
    ['disable-clustering', { openctiCheckPods: verificationFailed('pods not ready in opencti: server: 0 of 2 pods Running and Ready') }, /^pods not ready/],
    ['disable-frontend', { openctiCheckServices: verificationFailed('Service opencti-ingestion has no ready endpoints: it selects no ready pod') }, /no ready endpoints/],
    ['disable-ingestion', { openctiCheckHealth: verificationFailed('frontend health answered 401: health access key missing or still the default') }, /health access key missing/],
    ['disable-frontend', { openctiCheckHealth: verificationFailed('ingestion health answered 503 Service Unavailable') }, /answered 503/],
  ] as const) {
    it(`${mode}: a failed verification (${String(message)}) is compensated by helm rollback to the revision before`, async () => {
      const { error, m } = await run(upgradeInput(mode), { ...atFive, script });
      const failure = cause(error);
      assert.match(failure.message, message);
      assert.match(failure.message, new RegExp(`; compensated: ${ROLLBACK} \\(now revision 7\\)$`));
      assert.deepEqual(m.calls.find((c) => c.name === 'helmRollback')!.args, { release: 'opencti', namespace: 'opencti', kube: {}, toRevision: 5, afterRevision: 5, wait: true, timeoutMs: 600_000 });
    });
  }

  it('refuses an upgrade mode without a chart version, naming the field', async () => {
    const { error, m } = await run({ ...upgradeInput('disable-clustering'), version: undefined });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.InvalidInput);
    assert.equal(failure.message, 'opencti-rollback: invalid input: version: mode disable-clustering upgrades the release: set the chart version it runs (2.x)');
    assert.deepEqual(m.calls, []);
  });

  it('abort at the approval gate: nothing changed', async () => {
    const { error, m } = await run(upgradeInput('disable-clustering', { approval: { required: true } }), atFive, async (h) => {
      await waitForStatus(h, (s) => s.pendingApproval !== null);
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'fixed forward instead' }] });
    });
    assert.equal(cause(error).message, 'aborted by carol: fixed forward instead; nothing was changed');
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('abort during helm rollback waits for it to finish (nothing left pending)', async () => {
    const { error, status } = await run(helmRollbackInput(), { ...atFive, script: { helmRollback: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('rollback to the pre-upgrade revision'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'enough' }] });
    }, true);
    assert.equal(cause(error).type, FailureType.Aborted);
    assert.equal(status.steps.find((s) => s.name === 'rollback to the pre-upgrade revision')!.outcome, 'succeeded');
    assert.ok(!status.steps.some((s) => s.name === 'verify rollback'));
  });

  it('abort during the verification of a partial rollback rolls it back', async () => {
    const { error, m } = await run(upgradeInput('disable-frontend'), { ...atFive, script: { openctiCheckDeployments: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('verify ingestion deployments rolled out'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'stop' }] });
    });
    assert.match(cause(error).message, new RegExp(`^aborted by carol: stop; compensated: ${ROLLBACK}`));
    assert.equal(m.names().at(-1), 'helmRollback');
  });
});
