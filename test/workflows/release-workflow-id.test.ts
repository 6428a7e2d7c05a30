// "One run per release, whatever the workflow ID" (issue 12): every runbook that changes a
// release refuses, before any activity runs, to start under any workflow ID but the
// release's business ID, whoever starts it (the CLI, a client, the Web UI).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workflow } from '@temporalio/common';
import { FailureType } from '../../src/domain/failure-types.js';
import { openctiClusteringMigration } from '../../src/workflows/opencti/opencti-clustering-migration.js';
import { openctiRollback } from '../../src/workflows/opencti/opencti-rollback.js';
import { openctiUpgradeV2 } from '../../src/workflows/opencti/opencti-upgrade-v2.js';
import { soctalkSystemRollback } from '../../src/workflows/soctalk/system-rollback.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { soctalkTenantUpgrade } from '../../src/workflows/soctalk/tenant-upgrade.js';
import { businessWorkflowId, failureOf, useWorkflowTestEnv } from '../helpers/workflow-harness.js';
import { common, noApproval, openctiMocks, valuesFile } from './opencti-mocks.js';
import { systemActivities } from './soctalk-system-mocks.js';
import { tenantMocks, upgradeSpec } from './soctalk-tenant-mocks.js';

const systemInput = {
  targetVersion: '0.2.0',
  imageTag: '0.2.0',
  requestedBy: 'ria',
  backup: { database: { mode: 'exec' } },
  api: { healthUrl: 'http://soctalk-system-api.soctalk-system.svc/health/ready' },
};
const opencti = { ...common, version: '2.5.0', values: { files: [valuesFile('ingress-tls')] }, ...noApproval };

/** Each release-changing runbook, a valid input and mocks that record every activity call. */
const CASES: { workflow: Workflow; input: Record<string, unknown>; calls: () => { calls: unknown[]; activities: object } }[] = [
  { workflow: soctalkSystemUpgrade, input: systemInput, calls: () => systemActivities() },
  { workflow: soctalkSystemRollback, input: { requestedBy: 'ria' }, calls: () => systemActivities() },
  { workflow: soctalkTenantUpgrade, input: { tenant: 'acme', ...upgradeSpec }, calls: () => tenantMocks() },
  { workflow: openctiUpgradeV2, input: opencti, calls: () => openctiMocks({ chartVersion: '1.13.8' }) },
  { workflow: openctiClusteringMigration, input: opencti, calls: () => openctiMocks() },
  { workflow: openctiRollback, input: { ...common, ...noApproval, mode: 'helm-rollback' }, calls: () => openctiMocks() },
];

describe('a run that changes a release runs only under the release business ID', () => {
  const t = useWorkflowTestEnv();

  for (const c of CASES) {
    it(`${c.workflow.name} refuses another workflow ID before any activity runs`, async () => {
      const businessId = businessWorkflowId(c.workflow.name, c.input);
      assert.ok(businessId?.startsWith('release:'), `the test input is valid and has a release ID: ${businessId}`);
      const mocks = c.calls();
      // What `runbook start --id` or a client starting the workflow directly would use.
      const customId = `${businessId}-second-run`;
      const { error } = await t.run(c.workflow, { args: [c.input] as never, activities: mocks.activities, workflowId: () => customId });
      const failure = failureOf(error);
      assert.equal(failure.type, FailureType.InvalidInput);
      assert.equal(failure.nonRetryable, true);
      assert.ok(failure.message.includes(`workflow ID ${customId} is refused`), failure.message);
      assert.ok(failure.message.includes(`runs only under its business ID ${businessId} (one run per release at a time)`), failure.message);
      assert.deepEqual(mocks.calls, [], 'nothing ran: no activity was scheduled');
    });
  }

  it('the same input under the business ID runs (the check is not a blanket refusal)', async () => {
    const mocks = systemActivities();
    const { error, handle } = await t.run(soctalkSystemUpgrade, { args: [{ ...systemInput, approval: { required: false } }], activities: mocks.activities });
    assert.equal(error, undefined, String(error));
    assert.equal(handle.workflowId, 'release:soctalk-system/soctalk-system');
    assert.ok(mocks.names().includes('helmUpgrade'), mocks.names().join(', '));
  });

  it('a dry run (plan) changes nothing and may run under another ID, as `runbook plan --id` allows', async () => {
    const mocks = systemActivities();
    const { result, error } = await t.run(soctalkSystemUpgrade, {
      args: [{ ...systemInput, dryRun: true }],
      activities: mocks.activities,
      workflowId: (q) => `plan-${q}`,
    });
    assert.equal(error, undefined, String(error));
    assert.equal(result?.dryRun, true);
    assert.ok(!mocks.names().includes('backupDatabase') && !mocks.names().includes('helmUpgrade'), mocks.names().join(', '));
  });
});
