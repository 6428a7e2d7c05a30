import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FLEET_CAPABILITIES_MAX_AGE_MS, type TenantUpgradeInput } from '../../src/domain/soctalk/tenant-upgrade-input.js';
import { soctalkTenantUpgrade } from '../../src/workflows/soctalk/tenant-upgrade.js';
import { useWorkflowTestEnv } from '../helpers/workflow-harness.js';
import { tenantMocks, upgradeSpec, type TenantMockOptions } from './soctalk-tenant-mocks.js';

describe('soctalkTenantUpgrade (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function runTenant(input: Partial<TenantUpgradeInput>, mocks: TenantMockOptions = {}, record = false) {
    const m = tenantMocks(mocks);
    const { result, error, status, handle } = await t.run(soctalkTenantUpgrade, {
      args: [{ tenant: 'acme', ...upgradeSpec, ...input }],
      activities: m.activities,
      taskQueuePrefix: 'tenant',
      record,
    });
    // Invalid input is refused before the run (and its status query) exists.
    return { result, error, status: status!, m, handle };
  }

  it('upgrades like the runbook: gate, values, helm upgrade, rollout status, 60s settle, heartbeat, alert check', async () => {
    const { result, error, status, m } = await runTenant(
      { heartbeat: { apiUrl: 'http://soctalk-api:8000' }, alertCheck: { kind: 'http', url: 'http://soctalk/api/alerts/{slug}/flow' } },
      { heartbeats: [{ at: '2020-01-01T00:00:00Z', version: '0.2.0' }, { at: new Date(Date.now() + 86_400_000).toISOString(), version: '0.2.1' }] },
      true,
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.toRevision, 4);
    assert.equal(result!.fromRevision, 3);
    // Issue 10: the soctalk-tenant chart's own tag keys.
    assert.deepEqual(result!.imageTags, { 'adapter.image.tag': '0.2.1', 'runsWorker.image.tag': '0.2.1' });
    assert.deepEqual(result!.deployments, ['soctalk-adapter', 'soctalk-runs-worker']);
    assert.equal(result!.heartbeat?.version, '0.2.1');
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['never upgrade tenant charts ahead of soctalk-system', 'succeeded'],
        ['wait for the maintenance window', 'skipped'],
        ['read the tenant release', 'succeeded'],
        ['read the cluster version and API versions', 'succeeded'],
        ['render the target: every SocTalk workload on the target images', 'succeeded'],
        ['approve the tenant upgrade', 'skipped'],
        ['snapshot tenant PVCs', 'skipped'],
        ['helm upgrade --wait', 'succeeded'],
        ['kubectl rollout status deploy/soctalk-adapter', 'succeeded'],
        ['every workload of the release runs the target images, every Service has ready endpoints', 'succeeded'],
        ['let heartbeat settle', 'succeeded'],
        ['adapter heartbeat reports the target version', 'succeeded'],
        ['verify alerts flow end-to-end', 'succeeded'],
      ],
    );
    const upgrade = m.calls.find((c) => c.name === 'tenantHelmUpgrade')!.args;
    assert.equal(upgrade.timeoutMs, 15 * 60_000, "the runbook's --timeout 15m");
    assert.deepEqual(upgrade.setString, { 'adapter.image.tag': '0.2.1', 'runsWorker.image.tag': '0.2.1' });
    assert.deepEqual(upgrade.capabilities, { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] });
    assert.equal(m.calls.find((c) => c.name === 'readClusterCapabilities')!.args.maxAgeMs, undefined, 'a tenant upgrade on its own reads the cluster anew');
    assert.deepEqual(upgrade.valuesSource, { kind: 'current' });
    const verify = m.calls.find((c) => c.name === 'verifyRenderedRelease')!.args as { workloads: { name: string; images: string[] }[] };
    assert.deepEqual(verify.workloads.map((w) => w.images), [['ghcr.io/soctalk/soctalk-adapter:0.2.1'], ['ghcr.io/soctalk/soctalk-orchestrator:0.2.1']]);
    assert.equal(m.calls.filter((c) => c.name === 'adapterHeartbeat').length, 2, 'polled until the heartbeat reported the target version');
    assert.deepEqual(
      m.calls.filter((c) => c.name === 'rolloutStatus').map((c) => c.args.target),
      ['deploy/soctalk-adapter'],
    );
    // Values never reach the history: only their digest.
    assert.equal(JSON.stringify(result).includes('values.yaml'), false);
  });

  it("a fleet's tenant may share this worker's recent capabilities read: the step says how old it is, the render gets the capabilities alone", async () => {
    const { error, status, m } = await runTenant(
      { fleet: 'soctalk-fleet:spring' },
      { overrides: { readClusterCapabilities: async () => Promise.resolve({ kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'], readMsAgo: 12_400 }) } },
    );
    assert.equal(error, undefined, String(error));
    assert.equal(m.calls.find((c) => c.name === 'readClusterCapabilities')!.args.maxAgeMs, FLEET_CAPABILITIES_MAX_AGE_MS);
    assert.equal(
      status.steps.find((s) => s.name === 'read the cluster version and API versions')?.detail,
      'Kubernetes v1.33.1, 2 API versions (read 12s earlier on this worker for another tenant of the fleet)',
    );
    assert.deepEqual(m.calls.find((c) => c.name === 'tenantInspectTarget')!.args.capabilities, { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] });
    assert.deepEqual(m.calls.find((c) => c.name === 'tenantHelmUpgrade')!.args.capabilities, { kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] });
  });

  it('heartbeat.settle 0 skips the settle pause: no timer, the step says why', async () => {
    const { error, status, handle } = await runTenant({ heartbeat: { settle: 0 } });
    assert.equal(error, undefined, String(error));
    const settle = status.steps.find((s) => s.name === 'let heartbeat settle')!;
    assert.equal(settle.outcome, 'skipped');
    assert.equal(settle.detail, 'heartbeat.settle is 0');
    const history = await handle.fetchHistory();
    assert.equal(history.events?.some((e) => e.timerStartedEventAttributes), false, 'no timer was started');
  });

  it('a workload whose tag no override reaches is refused at pre-flight, naming it, before anything changes', async () => {
    const message =
      'the target would leave Deployment/soctalk-runs-worker on ghcr.io/soctalk/soctalk-orchestrator:0.1.0 instead of tag 0.2.1: the image keys overridden (adapter.image.tag) do not reach it; add its tag key to the image tag keys';
    const { error, m } = await runTenant(
      { imageTags: { 'adapter.image.tag': '0.2.1' } },
      { overrides: { tenantInspectTarget: async () => Promise.reject(ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message })) } },
    );
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'InvalidInput');
    assert.match(cause.message, /Deployment\/soctalk-runs-worker on ghcr\.io\/soctalk\/soctalk-orchestrator:0\.1\.0/);
    assert.deepEqual(m.upgraded(), []);
    assert.deepEqual(m.rolledBack(), []);
    assert.deepEqual(m.calls.find((c) => c.name === 'tenantInspectTarget')!.args.setString, { 'adapter.image.tag': '0.2.1' });
  });

  it('refuses to upgrade a tenant ahead of soctalk-system, naming both versions', async () => {
    const { error, m } = await runTenant({ version: '0.2.1' }, { systemVersion: '0.1.0' });
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause as ApplicationFailure;
    assert.equal(cause.type, 'IncompatibleVersions');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /never upgrade tenant charts ahead of soctalk-system: soctalk-system 0\.1\.0 supports soctalk-tenant >=0\.1\.0 <0\.2\.0, not 0\.2\.1/);
    assert.deepEqual(m.upgraded(), []);
  });

  it('rejects invalid input as non-retryable, naming the field', async () => {
    const { error } = await runTenant({ tenant: 'Not_A_Slug', version: 'latest' });
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'InvalidInput');
    assert.match(cause.message, /version: must be a semantic version/);
    assert.match(cause.message, /tenant: a tenant slug/);
  });

  it('on failure rolls back to the previous revision and restores the PVCs from the snapshots (breaking change, policy)', async () => {
    const { error, status, m, handle } = await runTenant({ breakingChange: true, onFailure: { rollback: true, restoreVolumes: true } }, { failing: ['acme'] }, true);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'RolloutTimeout');
    assert.match(cause.message, /deploy\/soctalk-adapter in tenant-acme did not become ready; compensated: helm rollback tenant-acme to revision 3 \(now at revision 5\); restore 1 tenant PVC\(s\) from their pre-upgrade snapshots \(restored soctalk-tenant-data\)/);
    assert.deepEqual(m.rolledBack(), ['acme']);
    assert.equal(m.calls.find((c) => c.name === 'helmRollback')!.args.toRevision, 3);
    const restore = m.calls.find((c) => c.name === 'restoreVolumes')!.args;
    assert.deepEqual(restore.workloads, ['deployment/soctalk-adapter', 'deployment/soctalk-runs-worker']);
    const names = m.calls.map((c) => c.name);
    assert.ok(names.indexOf('snapshotVolumes') < names.indexOf('tenantHelmUpgrade'), 'snapshots first');
    // Per run, as the system backup: the next run on this tenant and version makes its own.
    const { runId } = await handle.describe();
    assert.equal(m.calls.find((c) => c.name === 'snapshotVolumes')!.args.namePrefix, `tenant-acme-pre-0-2-1-${runId}`);
    assert.ok(names.indexOf('helmRollback') < names.indexOf('restoreVolumes'), 'rollback, then restore (LIFO)');
    assert.equal(status.outcome?.phase, 'failed');
  });

  it('on failure without snapshots only rolls back; with rollback off it says nothing was undone', async () => {
    const rolled = await runTenant({}, { failing: ['acme'] });
    assert.match(((rolled.error as WorkflowFailedError).cause as ApplicationFailure).message, /compensated: helm rollback tenant-acme to revision 3/);
    assert.equal(rolled.m.calls.some((c) => c.name === 'restoreVolumes'), false);
    const left = await runTenant({ onFailure: { rollback: false, restoreVolumes: false } }, { failing: ['acme'] });
    assert.match(((left.error as WorkflowFailedError).cause as ApplicationFailure).message, /did not become ready; not compensated \(no compensation applies\): helm upgrade --wait$/);
    assert.deepEqual(left.m.rolledBack(), []);
  });

  it('waits durably for the maintenance window before upgrading', async () => {
    const now = new Date(await t.env.currentTimeMs?.() ?? Date.now());
    const startH = (now.getUTCHours() + 3) % 24;
    const hh = (h: number) => String(h).padStart(2, '0');
    const { result, error, status } = await runTenant({
      maintenanceWindow: { start: `${hh(startH)}:00`, end: `${hh((startH + 2) % 24)}:00`, timeZone: 'UTC', estimatedDuration: '30m' },
    });
    assert.equal(error, undefined, String(error));
    assert.ok(result!.waitedForWindowMs > 2 * 3_600_000 && result!.waitedForWindowMs <= 3 * 3_600_000, `waited ${result!.waitedForWindowMs}ms`);
    const windowStep = status.steps.find((s) => s.name === 'wait for the maintenance window')!;
    assert.match(windowStep.detail!, /^waited /);
    const upgradeStep = status.steps.find((s) => s.name === 'helm upgrade --wait')!;
    assert.ok(Date.parse(upgradeStep.startedAt) >= Date.parse((status.facts.maintenanceWindow as { startAt: string }).startAt));
  });

  it('refuses a maintenance window too short for the upgrade', async () => {
    const { error, m } = await runTenant({ maintenanceWindow: { start: '02:00', end: '02:20', timeZone: 'Europe/Rome', estimatedDuration: '30m' } });
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'InvalidInput');
    assert.match(cause.message, /cannot finish inside a 02:00-02:20 Europe\/Rome window/);
    assert.deepEqual(m.upgraded(), []);
  });

  it('fails the heartbeat check when the adapter never reports the target version in time', async () => {
    const { error, m } = await runTenant({ heartbeat: { apiUrl: 'http://soctalk-api:8000', timeout: '2m', pollInterval: '30s' } }, { heartbeats: [{ at: '2020-01-01T00:00:00Z', version: '0.2.0' }] });
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'VerificationFailed');
    assert.match(cause.message, /did not report 0\.2\.1 with a heartbeat after the rollout within 2m/);
    assert.deepEqual(m.rolledBack(), ['acme']);
  });
});
