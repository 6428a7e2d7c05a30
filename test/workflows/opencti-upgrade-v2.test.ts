import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { FailureType } from '../../src/domain/failure-types.js';
import { PhaseKey, RunbookKey, TargetVersionKey } from '../../src/domain/search-attributes.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate, rejectUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { openctiUpgradeV2, type OpenctiUpgradeResult, type OpenctiUpgradeV2Input } from '../../src/workflows/opencti/opencti-upgrade-v2.js';
import { workflowBundle } from '../helpers/temporal.js';
import { runningStep, useWorkflowTestEnv, waitForStatus } from '../helpers/workflow-harness.js';
import { upgradeValues, common, noApproval, openctiMocks, valuesFile, verificationFailed, type OpenctiMockOptions } from './opencti-mocks.js';

const input = (extra: Partial<OpenctiUpgradeV2Input> = {}): OpenctiUpgradeV2Input => ({
  ...common,
  version: '2.5.0',
  values: { files: [valuesFile('ingress-tls')] },
  ...noApproval,
  ...extra,
});

const ROLLBACK = 'helm rollback opencti to revision 3';

function cause(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, String(error));
  assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
  return error.cause;
}

describe('openctiUpgradeV2 (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function run(raw: unknown, mocks: OpenctiMockOptions = {}, during?: (h: WorkflowHandle<typeof openctiUpgradeV2>) => Promise<void>) {
    const m = openctiMocks({ chartVersion: '1.13.8', ...mocks });
    return t.withWorker(m.activities, async (taskQueue) => {
      const handle = await t.env.client.workflow.start(openctiUpgradeV2, {
        taskQueue,
        workflowId: `${releaseWorkflowId('opencti', 'opencti')}-${taskQueue}`,
        args: [raw as OpenctiUpgradeV2Input],
      });
      if (during) await during(handle);
      let result: OpenctiUpgradeResult | undefined;
      let error: unknown;
      try {
        result = (await handle.result()) as typeof result;
      } catch (err) {
        error = err;
      }
      // A run refused before its Run existed has no status query.
      await t.record(handle);
      const status = (await handle.query(statusQuery).catch(() => undefined))!;
      const description = await handle.describe();
      return { result, error, status, description, m, handle };
    });
  }

  it('upgrades in place like the guide: approval, repo, helm upgrade --version 2.x --wait --timeout 600s, verification', async () => {
    let summary = '';
    const { result, error, status, description, m, handle } = await run(input({ approval: { required: true }, requestedBy: 'bob' }), {}, async (h) => {
      const waiting = await waitForStatus(h, (s) => s.pendingApproval !== null);
      summary = waiting.pendingApproval!.summary;
      const ack = await h.executeUpdate(approveUpdate, { args: [{ by: 'alice', comment: 'window open' }] });
      assert.equal(ack.accepted, true);
    });
    assert.equal(error, undefined, String(error));
    assert.match(summary, /^helm upgrade opencti opencti\/opencti --version 2\.5\.0 with the existing values, --wait --timeout 600s \(from revision 3\)/);
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['check the release is not locked', 'succeeded'],
        ["read the cluster's version and API versions", 'succeeded'],
        ['check the existing values and the target chart', 'succeeded'],
        ['approve the upgrade to v2', 'succeeded'],
        ['check the values are the ones approved', 'succeeded'],
        ['add the updated Helm repository', 'succeeded'],
        ['upgrade to v2 (single mode)', 'succeeded'],
        ['verify server deployments rolled out', 'succeeded'],
        ['verify all pods are running', 'succeeded'],
        ['verify the promised env is live', 'skipped'],
        ['check services are accessible', 'succeeded'],
        ['check ingress configuration', 'succeeded'],
        ['verify workers connect to server', 'succeeded'],
        ['test application accessibility', 'succeeded'],
      ],
    );
    const upgrade = m.calls.find((c) => c.name === 'helmUpgrade')!.args;
    const { values: _values, ...rest } = upgrade;
    assert.deepEqual(rest, { release: 'opencti', namespace: 'opencti', kube: {}, chart: common.chart, version: '2.5.0', wait: true, timeoutMs: 600_000, fromRevision: 3 });
    // The existing values as helm merges them, made inside the apply activity and digest-checked.
    const applied = upgradeValues(upgrade) as unknown as { replicaCount: number; ingress: { hosts: Array<{ host: string }> } };
    assert.equal(applied.replicaCount, 2);
    assert.equal(applied.ingress.hosts[0]!.host, 'cti.example.com');
    assert.equal(m.calls.find((c) => c.name === 'openctiApplyValues')!.args.expectSha256, status.facts.valuesSha256);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-server']);
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckIngresses')!.args.ingresses, [{ name: 'opencti', hosts: ['cti.example.com'], services: ['opencti-server'] }]);
    const healthArgs = m.calls.find((c) => c.name === 'openctiCheckHealth')!.args;
    assert.deepEqual(healthArgs.targets, [{ component: 'server', service: 'opencti-server', port: 80 }]);
    assert.deepEqual((healthArgs.health as { accessKey: unknown }).accessKey, common.health.accessKey);
    assert.equal(result!.revision, 4);
    assert.equal(result!.fromRevision, 3);
    assert.equal(status.phase, 'completed');
    assert.deepEqual(status.decisions.map((d) => [d.kind, d.by]), [['approve', 'alice']]);
    assert.deepEqual(m.notifications().map((n) => n.kind), ['waiting-approval', 'completed']);
    assert.match(m.notifications()[0]!.summary, /^approve the upgrade to v2: helm upgrade opencti/);
    assert.equal(description.typedSearchAttributes.get(RunbookKey), 'opencti-upgrade-v2');
    assert.equal(description.typedSearchAttributes.get(TargetVersionKey), '2.5.0');
    assert.equal(description.typedSearchAttributes.get(PhaseKey), 'completed');
    // Deterministic: the recorded history replays against the same workflow code.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);
  });

  it('an OCI chart skips the repository step; a disabled health check is skipped, not passed', async () => {
    const { error, status, m } = await run(input({ chart: { ref: 'oci://ghcr.io/devops-ia/helm-opencti/opencti' }, health: { enabled: false }, values: { files: [valuesFile('minimal')] } }));
    assert.equal(error, undefined, String(error));
    const outcome = (name: string) => status.steps.find((s) => s.name === name)?.outcome;
    assert.equal(outcome('add the updated Helm repository'), 'skipped');
    assert.equal(outcome('check ingress configuration'), 'skipped');
    assert.equal(outcome('test application accessibility'), 'skipped');
    assert.ok(!m.names().includes('helmRepoSync') && !m.names().includes('openctiCheckHealth'));
  });

  it('refuses a bad input with InvalidInput naming the field, before anything runs', async () => {
    const { error, m } = await run({ ...input(), release: 'Not_A_Release' });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.InvalidInput);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^opencti-upgrade-v2: invalid input: release: a release name is DNS-1123: lowercase/);
    assert.deepEqual(m.calls, []);
  });

  it('refuses a target chart older than the minimum, with nothing changed', async () => {
    const { error, m } = await run(input({ version: '1.4.0' }));
    const failure = cause(error);
    assert.equal(failure.type, FailureType.Incompatible);
    assert.match(failure.message, /chart version 1\.4\.0 allows 1\.4\.0, older than 2\.0\.0.*; nothing had been changed$/);
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('refuses a release locked in pending-upgrade', async () => {
    const { error, m } = await run(input(), { locked: true });
    assert.equal(cause(error).type, FailureType.ReleaseLocked);
    assert.deepEqual(m.names(), ['helmAssertNotLocked']);
  });

  for (const [what, script, message] of [
    ['pods not ready', { openctiCheckPods: verificationFailed('pods not ready in opencti: server: 0 of 1 pods Running and Ready') }, /^pods not ready in opencti/],
    ['a Service without endpoints', { openctiCheckServices: verificationFailed('Service opencti-server has no ready endpoints: it selects no ready pod') }, /^Service opencti-server has no ready endpoints/],
    [
      'health 401',
      { openctiCheckHealth: verificationFailed('server health http://opencti-server.opencti.svc:80/health answered 401: health access key missing or still the default') },
      /answered 401: health access key missing or still the default/,
    ],
    ['health 503', { openctiCheckHealth: verificationFailed('server health http://opencti-server.opencti.svc:80/health answered 503 Service Unavailable') }, /answered 503 Service Unavailable/],
    ['helm upgrade --wait timing out', { helmUpgrade: { fail: { type: FailureType.RolloutTimeout, message: 'UPGRADE FAILED: context deadline exceeded' } } }, /^UPGRADE FAILED/],
  ] as const) {
    it(`compensates ${what} with helm rollback to the pre-upgrade revision`, async () => {
      const { error, status, m } = await run(input(), { script });
      const failure = cause(error);
      assert.match(failure.message, message);
      assert.match(failure.message, new RegExp(`; compensated: ${ROLLBACK} \\(rolled back: revision \\d deployed\\)$`));
      const rollback = m.calls.find((c) => c.name === 'helmRollback')!.args;
      assert.deepEqual(rollback, { release: 'opencti', namespace: 'opencti', kube: {}, toRevision: 3, afterRevision: 3, wait: true, timeoutMs: 600_000 });
      assert.deepEqual(m.names().slice(-2), ['helmRollback', 'openctiVerifyLeft']);
      assert.deepEqual(m.notifications().map((n) => n.kind), ['rolled-back']);
      assert.deepEqual(status.outcome?.compensations.map((c) => c.replace(/ \(.*\)$/, '')), [ROLLBACK]);
      assert.equal(status.steps.at(-1)!.name, `compensate: ${ROLLBACK}`);
      assert.equal(status.steps.at(-1)!.outcome, 'compensated');
    });
  }

  it('compensation "none" leaves a failed upgrade as it is', async () => {
    const { error, m } = await run(input({ compensation: 'none' }), { script: { openctiCheckPods: verificationFailed('pods not ready in opencti: x') } });
    assert.equal(
      cause(error).message,
      'pods not ready in opencti: x; compensated: no compensation (input compensation: none): the release stays as the upgrade left it (check it by hand)',
    );
    assert.ok(!m.names().includes('helmRollback'));
  });

  it('abort while waiting for approval: nothing changed, nothing compensated', async () => {
    const { error, status, m } = await run(input({ approval: { required: true } }), {}, async (h) => {
      await waitForStatus(h, (s) => s.pendingApproval !== null);
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'change freeze' }] });
    });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.Aborted);
    assert.equal(failure.message, 'aborted by carol: change freeze; nothing was changed');
    assert.equal(status.phase, 'aborted');
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('rejection ends the run before the upgrade', async () => {
    const { error, m } = await run(input({ approval: { required: true } }), {}, async (h) => {
      await waitForStatus(h, (s) => s.pendingApproval !== null);
      await h.executeUpdate(rejectUpdate, { args: [{ by: 'alice', comment: 'not today' }] });
    });
    assert.equal(cause(error).type, FailureType.Rejected);
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('abort during helm upgrade takes effect when helm returns, then rolls back', async () => {
    const { error, status, m } = await run(input(), { script: { helmUpgrade: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('upgrade to v2 (single mode)'));
      const ack = await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'wrong window' }] });
      assert.equal(ack.message, 'abort accepted; it takes effect when "upgrade to v2 (single mode)" returns, then compensation runs');
    });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.Aborted);
    assert.match(failure.message, new RegExp(`^aborted by carol: wrong window; compensated: ${ROLLBACK}`));
    assert.equal(status.steps.find((s) => s.name === 'upgrade to v2 (single mode)')!.outcome, 'succeeded');
    assert.ok(!m.names().includes('openctiCheckPods'));
    assert.deepEqual(m.names().slice(-2), ['helmRollback', 'openctiVerifyLeft']);
  });

  it('abort during verification interrupts the check and rolls back', async () => {
    const { error, status, m } = await run(input(), { script: { openctiCheckPods: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('verify all pods are running'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'users report errors' }] });
    });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.Aborted);
    assert.match(failure.message, new RegExp(`^aborted by carol: users report errors; compensated: ${ROLLBACK}`));
    assert.equal(status.steps.find((s) => s.name === 'verify all pods are running')!.detail, 'interrupted by abort');
    assert.deepEqual(m.names().slice(-2), ['helmRollback', 'openctiVerifyLeft']);
  });
});
