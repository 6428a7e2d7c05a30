import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { openctiRollback, type OpenctiRollbackInput, type OpenctiRollbackResult } from '../../src/workflows/opencti/opencti-rollback.js';
import { workflowBundle } from '../helpers/temporal.js';
import { runningStep, useWorkflowTestEnv, waitForStatus } from '../helpers/workflow-harness.js';
import { common, noApproval, openctiMocks, upgradeValues, valuesFile, verificationFailed, type OpenctiMockOptions } from './opencti-mocks.js';

const helmRollbackInput = (extra: Partial<OpenctiRollbackInput> = {}): OpenctiRollbackInput => ({ ...common, mode: 'helm-rollback', ...noApproval, ...extra });
const upgradeInput = (mode: OpenctiRollbackInput['mode'], extra: Partial<OpenctiRollbackInput> = {}): OpenctiRollbackInput => ({
  ...common,
  mode,
  version: '2.5.0',
  values: { files: [valuesFile('clustering')] },
  ...noApproval,
  ...extra,
});

const ROLLBACK = 'helm rollback opencti to revision 5';

function cause(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, String(error));
  assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
  return error.cause;
}

// The release is at revision 5 (the clustering migration); 3 was v2 single mode, 2 was v1.
const atFive: OpenctiMockOptions = { revision: 5, history: [1, 2, 3, 4, 5] };

describe('openctiRollback (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function run(raw: unknown, mocks: OpenctiMockOptions = atFive, during?: (h: WorkflowHandle<typeof openctiRollback>) => Promise<void>) {
    const m = openctiMocks(mocks);
    return t.withWorker(m.activities, async (taskQueue) => {
      const handle = await t.env.client.workflow.start(openctiRollback, {
        taskQueue,
        workflowId: `${releaseWorkflowId('opencti', 'opencti')}-${taskQueue}`,
        args: [raw as OpenctiRollbackInput],
      });
      if (during) await during(handle);
      let result: OpenctiRollbackResult | undefined;
      let error: unknown;
      try {
        result = (await handle.result()) as typeof result;
      } catch (err) {
        error = err;
      }
      await t.record(handle);
      const status = (await handle.query(statusQuery).catch(() => undefined))!;
      return { result, error, status, m, handle };
    });
  }

  it('helm-rollback: approved, helm rollback to the chosen revision, then history and pods verified', async () => {
    let summary = '';
    const { result, error, status, m } = await run(helmRollbackInput({ toRevision: 2, approval: { required: true } }), atFive, async (h) => {
      summary = (await waitForStatus(h, (s) => s.pendingApproval !== null)).pendingApproval!.summary;
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    });
    assert.equal(error, undefined, String(error));
    assert.equal(summary, 'helm rollback opencti 2 (revision 2: opencti-1.13.8, superseded) from revision 5');
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['check the release is not locked', 'succeeded'],
        ["read the cluster's version and API versions", 'succeeded'],
        ['approve the rollback', 'succeeded'],
        ['rollback to the pre-upgrade revision', 'succeeded'],
        ['verify rollback', 'succeeded'],
        // What the restored revision renders (these mocks serve a clustering manifest), checked like an upgrade.
        ['read what the restored revision renders', 'succeeded'],
        ['verify frontend and ingestion deployments rolled out', 'succeeded'],
        ['verify all cluster components', 'succeeded'],
        ['verify the promised env is live', 'skipped'],
        ['check frontend and ingestion services', 'succeeded'],
        ['check ingress configuration', 'succeeded'],
        ['verify workers connect to ingestion', 'succeeded'],
        ['test frontend accessibility', 'succeeded'],
        ['test ingestion accessibility', 'succeeded'],
      ],
    );
    assert.deepEqual(m.calls.find((c) => c.name === 'helmRollback')!.args, { release: 'opencti', namespace: 'opencti', kube: {}, toRevision: 2, afterRevision: 5, wait: true, timeoutMs: 600_000 });
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-frontend', 'opencti-ingestion'], 'the Services of the restored revision');
    assert.equal(result!.revision, 6);
  });

  it('helm-rollback without a revision goes to the previous one', async () => {
    const { error, m } = await run(helmRollbackInput());
    assert.equal(error, undefined, String(error));
    assert.equal(m.calls.find((c) => c.name === 'helmRollback')!.args.toRevision, 4);
  });

  it('helm-rollback to a revision helm no longer keeps is refused as bad input, naming the field (the rule every runbook shares)', async () => {
    const { error, m } = await run(helmRollbackInput({ toRevision: 9 }));
    const failure = cause(error);
    assert.equal(failure.type, FailureType.InvalidInput);
    assert.match(failure.message, /^toRevision: revision 9 is not in the history of opencti \(revisions: 1, 2, 3, 4, 5\); choose one of 1, 2, 3, 4/);
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
        "read the cluster's version and API versions",
        'prepare rollback values',
        'approve the rollback',
        'check the values are the ones approved',
        'add the updated Helm repository',
        'apply rollback to single mode',
        'verify server deployments rolled out',
        'verify all pods are running',
        'verify the promised env is live',
        'check services are accessible',
        'check ingress configuration',
        'verify workers connect to server',
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
    assert.deepEqual((m.calls.find((c) => c.name === 'openctiCheckIngresses')!.args.ingresses as Array<{ services: string[] }>)[0]!.services, ['opencti-server']);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckHealth')!.args.targets, [{ component: 'server', service: 'opencti-server', port: 80 }]);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckPromise')!.args.promise, [
      { component: 'server', name: 'RULE_ENGINE__ENABLED', value: 'true', path: 'env.RULE_ENGINE__ENABLED' },
    ]);
  });

  it('disable-frontend: ingestion only; no Ingress is rendered and the approval says so; workers on ingestion', async () => {
    const { error, status, m, handle } = await run(upgradeInput('disable-frontend'));
    assert.equal(error, undefined, String(error));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);
    assert.ok(status.steps.some((s) => s.name === 'disable frontend (cluster only)' && s.outcome === 'succeeded'));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.equal(values.clustering.enabled, true);
    assert.equal(values.clustering.frontend.enabled, false);
    assert.equal(values.ingress, undefined, 'no root ingress: the chart would not render it in clustering mode');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-ingestion']);
    assert.ok(!m.names().includes('openctiCheckIngresses'));
    assert.ok(status.steps.some((s) => s.name === 'check ingress configuration' && s.outcome === 'skipped' && s.detail === 'the target renders no Ingress'));
    assert.ok((status.facts.valuesWarnings as string[]).some((w) => /\[no-ingress\].*users lose the UI\/API ingress/.test(w)));
    assert.deepEqual((m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.routes as Array<{ component: string }>).map((r) => r.component), ['ingestion']);
    assert.deepEqual(m.calls.filter((c) => c.name === 'openctiCheckHealth').map((c) => (c.args.targets as Array<{ component: string }>).map((t) => t.component)), [['ingestion']]);
  });

  it('disable-ingestion: frontend only, running the managers again, workers on the frontend', async () => {
    const { error, result, m } = await run(upgradeInput('disable-ingestion'));
    assert.equal(error, undefined, String(error));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.equal(values.clustering.ingestion.enabled, false);
    assert.deepEqual(values.clustering.frontend.env, { NOTIFICATION_MANAGER__ENABLED: true, RULE_ENGINE__ENABLED: true, TASK_SCHEDULER__ENABLED: true, HISTORY_MANAGER__ENABLED: true, SYNC_MANAGER__ENABLED: true }, 'the frontend runs the managers, each set explicitly (the chart defaults would turn three off)');
    assert.deepEqual((m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.routes as Array<{ component: string }>).map((r) => r.component), ['frontend']);
    assert.equal((m.calls.find((c) => c.name === 'openctiCheckPromise')!.args.promise as unknown[]).length, 5, 'and verified on the live frontend');
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
    assert.deepEqual(values.clustering.frontend.env, { NOTIFICATION_MANAGER__ENABLED: true, RULE_ENGINE__ENABLED: true, TASK_SCHEDULER__ENABLED: true, HISTORY_MANAGER__ENABLED: true, SYNC_MANAGER__ENABLED: true }, 'every manager on: the frontend is the only cluster left');
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckDeployments')!.args.expect, [
      { name: 'opencti-frontend', role: 'frontend', replicas: 3 },
      { name: 'opencti-worker', role: 'worker', replicas: 3 },
    ]);
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
      assert.match(failure.message, new RegExp(`; compensated: ${ROLLBACK} \\(rolled back: revision 7 deployed\\)$`));
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
    });
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
    assert.deepEqual(m.names().slice(-2), ['helmRollback', 'openctiVerifyLeft']);
  });
});
