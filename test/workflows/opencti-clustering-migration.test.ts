import assert from 'node:assert/strict';
import { appendFile, copyFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { FailureType } from '../../src/domain/failure-types.js';
import { abortUpdate, approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import { openctiClusteringMigration, type OpenctiClusteringMigrationInput } from '../../src/workflows/opencti/opencti-clustering-migration.js';
import type { OpenctiUpgradeResult } from '../../src/workflows/opencti/common.js';
import { testTempDir } from '../helpers/temp-dir.js';
import { workflowBundle } from '../helpers/temporal.js';
import { businessWorkflowId, runningStep, useWorkflowTestEnv, waitForStatus } from '../helpers/workflow-harness.js';
import { common, noApproval, openctiMocks, upgradeValues, valuesFile, verificationFailed, type OpenctiMockOptions } from './opencti-mocks.js';

const input = (extra: Partial<OpenctiClusteringMigrationInput> = {}): OpenctiClusteringMigrationInput => ({
  ...common,
  version: '2.5.0',
  values: { files: [valuesFile('ingress-tls')] },
  ...noApproval,
  ...extra,
});

const ROLLBACK = 'helm rollback opencti to revision 3';
const MANAGERS_OFF = {
  NOTIFICATION_MANAGER__ENABLED: false,
  RULE_ENGINE__ENABLED: false,
  TASK_SCHEDULER__ENABLED: false,
  HISTORY_MANAGER__ENABLED: false,
  SYNC_MANAGER__ENABLED: false,
};

function cause(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, String(error));
  assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
  return error.cause;
}

describe('openctiClusteringMigration (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function run(raw: unknown, mocks: OpenctiMockOptions = {}, during?: (h: WorkflowHandle<typeof openctiClusteringMigration>) => Promise<void>) {
    const m = openctiMocks(mocks);
    return t.withWorker(m.activities, async (taskQueue) => {
      const handle = await t.env.client.workflow.start(openctiClusteringMigration, {
        taskQueue,
        // The ID `runbook start` gives it: a run that changes a release refuses any other.
        workflowId: businessWorkflowId('openctiClusteringMigration', raw) ?? `opencti-${taskQueue}`,
        args: [raw as OpenctiClusteringMigrationInput],
      });
      if (during) await during(handle);
      let result: OpenctiUpgradeResult | undefined;
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

  it('migrates like the guide: generated values and diff approved, helm upgrade --timeout 900s, full verification', async () => {
    let summary = '';
    const { result, error, status, m, handle } = await run(input({ approval: { required: true, fourEyes: true }, requestedBy: 'bob' }), {}, async (h) => {
      const waiting = await waitForStatus(h, (s) => s.pendingApproval !== null);
      summary = waiting.pendingApproval!.summary;
      await assert.rejects(h.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] }), (err: Error) => {
        assert.match(String((err.cause as Error | undefined)?.message), /four-eyes approval is on: bob requested this run/);
        return true;
      });
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    });
    assert.equal(error, undefined, String(error));
    assert.match(summary, /--version 2\.5\.0 -f <generated clustering values>, --wait --timeout 900s \(from revision 3\)/);
    assert.match(summary, /warning \[moved-root-ingress\] the root ingress \(cti\.example\.com\) moved to clustering\.frontend\.ingress/);
    assert.match(summary, /\n- ingress: \{"enabled":true,"className":"nginx"/);
    assert.match(summary, /\n\+ clustering: \{"enabled":true,"frontend":/);
    assert.match(summary, /Generated values \(secrets hidden\):\nreplicaCount: 2\n/);
    assert.match(summary, /password: "\*\*\*"/);
    assert.doesNotMatch(summary, /rabbit-literal-password/);
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['check the release is not locked', 'succeeded'],
        ["read the cluster's version and API versions", 'succeeded'],
        ['prepare clustering configuration', 'succeeded'],
        ['approve the clustering values', 'succeeded'],
        ['check the values are the ones approved', 'succeeded'],
        ['add the updated Helm repository', 'succeeded'],
        ['deploy clustering configuration', 'succeeded'],
        ['verify frontend and ingestion deployments rolled out', 'succeeded'],
        ['verify all cluster components', 'succeeded'],
        ['verify the promised env is live', 'succeeded'],
        ['check frontend and ingestion services', 'succeeded'],
        ['check ingress configuration', 'succeeded'],
        ['verify workers connect to ingestion', 'succeeded'],
        ['test frontend accessibility', 'succeeded'],
        ['test ingestion accessibility', 'succeeded'],
      ],
    );
    const upgrade = m.calls.find((c) => c.name === 'helmUpgrade')!.args as { values: { files: string[] }; timeoutMs: number; version: string; cleanupOnFail?: boolean };
    assert.equal(upgrade.cleanupOnFail, true);
    assert.equal(upgrade.timeoutMs, 900_000);
    assert.equal(upgrade.version, '2.5.0');
    assert.equal(m.calls.find((c) => c.name === 'openctiApplyValues')!.args.expectSha256, status.facts.valuesSha256, 'the values that were approved');
    const values = upgradeValues(upgrade);
    assert.equal(values.ingress, undefined, 'the root ingress moved');
    assert.equal(values.clustering.enabled, true);
    assert.deepEqual(values.clustering.frontend.env, MANAGERS_OFF);
    assert.equal(values.clustering.frontend.ingress.className, 'nginx');
    assert.equal(values.rabbitmq.auth.password, 'rabbit-literal-password', "the operator's values are all there");
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckDeployments')!.args.expect, [
      { name: 'opencti-frontend', role: 'frontend', replicas: 2 },
      { name: 'opencti-ingestion', role: 'ingestion', replicas: 2 },
      { name: 'opencti-worker', role: 'worker', replicas: 3 },
    ]);
    assert.deepEqual(
      (m.calls.find((c) => c.name === 'openctiCheckPromise')!.args.promise as Array<{ path: string; value: string }>).map((p) => `${p.path}=${p.value}`),
      Object.keys(MANAGERS_OFF).map((k) => `clustering.frontend.env.${k}=false`),
    );
    assert.deepEqual(m.calls.find((c) => c.name === 'openctiCheckServices')!.args.services, ['opencti-frontend', 'opencti-ingestion']);
    assert.deepEqual((m.calls.find((c) => c.name === 'openctiCheckIngresses')!.args.ingresses as Array<{ name: string; services: string[] }>).map((i) => [i.name, i.services]), [['opencti-frontend', ['opencti-frontend']]]);
    assert.deepEqual((m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.routes as Array<{ deployment: string; component: string }>).map((r) => [r.deployment, r.component]), [['opencti-worker', 'ingestion']]);
    assert.deepEqual(
      m.calls.filter((c) => c.name === 'openctiCheckHealth').map((c) => (c.args.targets as Array<{ service: string }>).map((t) => t.service)),
      [['opencti-frontend'], ['opencti-ingestion']],
    );
    // The probe trap of the real chart is shown (the Secret is not readable by these mocks, so it warns instead of refusing).
    assert.deepEqual(result!.warnings.map((w) => /\[([a-z-]+)\]/.exec(w)![1]), ['moved-root-ingress', 'probe-health-key', 'probe-health-key']);
    assert.deepEqual(
      (status.facts.topology as { platform: Array<{ deployment: string; service: string; replicas: number }> }).platform.map((p) => [p.deployment, p.service, p.replicas]),
      [
        ['opencti-frontend', 'opencti-frontend', 2],
        ['opencti-ingestion', 'opencti-ingestion', 2],
      ],
    );
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, await handle.fetchHistory(), handle.workflowId);
  });

  it('generates from files and inline values, and checks connectors against the frontend as rendered', async () => {
    const { error, m, status } = await run(input({ values: { files: [valuesFile('connectors-cti')], inline: { connectorsGlobal: { env: { OPENCTI_URL: 'http://opencti-server:80', X: '1' } } } } }));
    assert.equal(error, undefined, String(error));
    assert.ok(status.steps.some((s) => s.name === 'verify workers connect to ingestion and connectors to frontend' && s.outcome === 'succeeded'), JSON.stringify(status.steps.map((s) => s.name)));
    const values = upgradeValues(m.calls.find((c) => c.name === 'helmUpgrade')!.args);
    assert.deepEqual(values.connectorsGlobal, { env: { CONNECTOR_EXPOSE_METRICS: true, X: '1' } }, 'the pinned URL removed, the inline value kept');
    const routes = m.calls.find((c) => c.name === 'openctiCheckRouting')!.args.routes as Array<{ deployment: string; component: string; service: string }>;
    assert.deepEqual(routes.map((r) => [r.deployment, r.service, r.component]).sort(), [
      ['opencti-mitre-connector', 'opencti-frontend', 'frontend'],
      ['opencti-opencti-connector', 'opencti-frontend', 'frontend'],
      ['opencti-worker', 'opencti-ingestion', 'ingestion'],
    ]);
  });

  it('a connector pinned to the server is refused before the gate: the rendered target routes it to a Service that does not exist', async () => {
    const refused = await run(input({ values: { files: [valuesFile('connectors')] }, approval: { required: true } }));
    const failure = cause(refused.error);
    assert.equal(failure.type, FailureType.InvalidValues);
    assert.match(failure.message, /opencti-mitre-connector connects to http:\/\/opencti-server\.opencti\.svc:80, a Service the target does not render/);
    assert.ok(!refused.m.names().includes('helmUpgrade'));
  });

  it('refuses to apply values that changed after they were approved', async () => {
    const dir = await testTempDir('opencti-edit');
    const file = `${dir}/values.yaml`;
    await copyFile(valuesFile('ingress-tls'), file);
    const { error, m } = await run(input({ values: { files: [file] }, approval: { required: true } }), {}, async (h) => {
      await waitForStatus(h, (s) => s.pendingApproval !== null);
      await appendFile(file, 'podLabels:\n  edited-during-the-wait: "yes"\n');
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.InvalidValues);
    assert.match(failure.message, /^the generated values changed since they were approved \(sha256 \w{12} -> \w{12}\): the values files were edited; start a new run; nothing had been changed$/);
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('refuses a blocking warning before the gate (target chart too old), nothing changed', async () => {
    const { error, m } = await run(input({ version: '1.2.0', approval: { required: true } }));
    const failure = cause(error);
    assert.equal(failure.type, FailureType.Incompatible);
    assert.match(failure.message, /older than 2\.0\.0, the first with clustering; nothing had been changed$/);
    assert.deepEqual(m.names(), ['helmAssertNotLocked', 'readClusterCapabilities', 'openctiPlanValues']);
  });

  it('refuses a release that does not exist', async () => {
    const { error } = await run(input(), { missing: true });
    assert.equal(cause(error).type, FailureType.NotFound);
  });

  it('refuses bad input naming the field', async () => {
    const { error } = await run({ ...input(), health: { via: 'url' } });
    assert.match(cause(error).message, /^opencti-clustering-migration: invalid input: health\.baseUrls: via "url" needs baseUrls/);
  });

  for (const [what, script, message] of [
    ['ingestion pods not ready', { openctiCheckPods: verificationFailed('pods not ready in opencti: ingestion: 0 of 2 pods Running and Ready') }, /^pods not ready/],
    ['a rollout short of replicas', { openctiCheckDeployments: verificationFailed('Deployment opencti-ingestion has 1 ready replicas, expected 2') }, /^Deployment opencti-ingestion/],
    ['the ingestion Service without endpoints', { openctiCheckServices: verificationFailed('Service opencti-ingestion has no ready endpoints: it selects no ready pod') }, /^Service opencti-ingestion/],
    ['the frontend Ingress missing', { openctiCheckIngresses: verificationFailed('Ingress opencti-frontend not found in opencti (found: none)') }, /^Ingress opencti-frontend not found/],
    ['workers still on -server', { openctiCheckRouting: verificationFailed('opencti-worker (worker) points at http://opencti-server:80, expected opencti-ingestion') }, /expected opencti-ingestion/],
    ['health 401', { openctiCheckHealth: verificationFailed('frontend health http://x/health answered 401: health access key missing or still the default') }, /health access key missing or still the default/],
    ['health 503', { openctiCheckHealth: verificationFailed('frontend health http://x/health answered 503 Service Unavailable') }, /answered 503/],
  ] as const) {
    it(`compensates ${what} with helm rollback to the pre-upgrade revision`, async () => {
      const { error, status, m } = await run(input(), { script });
      const failure = cause(error);
      assert.equal(failure.type, FailureType.VerificationFailed);
      assert.match(failure.message, message);
      assert.match(failure.message, new RegExp(`; compensated: ${ROLLBACK} \\(rolled back: revision 5 deployed\\)$`));
      assert.deepEqual(m.calls.find((c) => c.name === 'helmRollback')!.args, { release: 'opencti', namespace: 'opencti', kube: {}, toRevision: 3, afterRevision: 3, wait: true, timeoutMs: 900_000 });
      assert.equal(status.phase, 'failed');
    });
  }

  it('compensation "disable-clustering": back to single mode on v2 with the operator values and clustering off', async () => {
    const { error, m } = await run(input({ compensation: 'disable-clustering' }), { script: { openctiCheckHealth: verificationFailed('ingestion health answered 503') } });
    const failure = cause(error);
    assert.match(failure.message, /^ingestion health answered 503; compensated: helm upgrade opencti back to single mode \(clustering\.enabled=false\) \(single mode again: revision 5 deployed\)$/);
    const upgrades = m.calls.filter((c) => c.name === 'helmUpgrade').map((c) => c.args as { values: unknown; fromRevision: number; timeoutMs: number; version: string });
    assert.equal(upgrades.length, 2);
    assert.deepEqual([upgrades[1]!.version, upgrades[1]!.fromRevision, upgrades[1]!.timeoutMs], ['2.5.0', 4, 900_000]);
    const single = upgradeValues(upgrades[1]!);
    assert.equal(single.clustering, undefined, "the operator's single-mode values: clustering stays at the chart default (off)");
    assert.equal(single.ingress.hosts !== undefined, true, 'the root ingress is back');
    assert.equal(m.names().at(-1), 'openctiVerifyLeft', 'and where it left the release is checked');
    assert.ok(!m.names().includes('helmRollback'));
  });

  it('a failed compensation is escalated as manual action', async () => {
    const { error } = await run(input(), {
      script: { openctiCheckPods: verificationFailed('pods not ready'), helmRollback: { fail: { type: FailureType.RolloutTimeout, message: 'timed out waiting for the condition' } } },
    });
    const failure = cause(error);
    assert.equal(failure.type, FailureType.CompensationFailed);
    assert.match(failure.message, /^manual action needed: "helm rollback opencti to revision 3" failed \(timed out waiting for the condition\)/);
  });

  it('abort while preparing the values: nothing changed', async () => {
    const { error, m } = await run(input(), { script: { openctiPlanValues: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('prepare clustering configuration'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'wrong release' }] });
    });
    assert.equal(cause(error).message, 'aborted by carol: wrong release; nothing was changed');
    assert.ok(!m.names().includes('helmUpgrade'));
  });

  it('abort at the approval gate: nothing changed', async () => {
    const { error, status } = await run(input({ approval: { required: true } }), {}, async (h) => {
      await waitForStatus(h, (s) => s.pendingApproval !== null);
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'not now' }] });
    });
    assert.equal(cause(error).type, FailureType.Aborted);
    assert.equal(status.steps.find((s) => s.name === 'approve the clustering values')!.detail, 'aborted by carol');
  });

  it('abort during the clustering upgrade waits for helm, then rolls back', async () => {
    const { error, m } = await run(input(), { script: { helmUpgrade: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, runningStep('deploy clustering configuration'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'stop' }] });
    });
    assert.match(cause(error).message, new RegExp(`^aborted by carol: stop; compensated: ${ROLLBACK}`));
    assert.deepEqual(m.names().slice(-4), ['helmUpgrade', 'helmReleaseState', 'helmRollback', 'openctiVerifyLeft']);
  });

  it('abort during verification rolls back', async () => {
    const { error, m } = await run(input(), { script: { openctiCheckRouting: { delayMs: 1500 } } }, async (h) => {
      await waitForStatus(h, (s) => s.steps.some((x) => x.name.startsWith('verify workers') && x.outcome === 'running'));
      await h.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'connectors broken' }] });
    });
    assert.match(cause(error).message, new RegExp(`^aborted by carol: connectors broken; compensated: ${ROLLBACK}`));
    assert.deepEqual(m.names().slice(-2), ['helmRollback', 'openctiVerifyLeft']);
  });
});
