import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { soctalkFleetUpgradeRunbook, soctalkTenantUpgradeRunbook } from '../../src/domain/soctalk/tenant-runbooks.js';
import { expectedAdapterVersion, imageTagOverrides, TenantUpgradeInputSchema } from '../../src/domain/soctalk/tenant-upgrade-input.js';
import { findRunbook } from '../../src/runbook-catalog.js';

describe('tenant upgrade input', () => {
  it("defaults to the runbook's figures and the release's own values (helm get values -a)", () => {
    const input = TenantUpgradeInputSchema.parse({ tenant: 'acme', version: '0.2.1', compatibility: { url: 'https://soctalk.example/api/compat' } });
    assert.equal(input.chart.ref, 'oci://ghcr.io/soctalk/charts/soctalk-tenant');
    assert.equal(input.helmTimeout, 15 * 60_000);
    assert.equal(input.heartbeat.settle, 60_000);
    // Issue 10: `soctalk-cli render-values` does not exist; the SocTalk docs say `helm get values -a`.
    assert.deepEqual(input.valuesSource, { kind: 'current' });
    assert.deepEqual(input.heartbeat, { settle: 60_000, timeout: 600_000, pollInterval: 15_000 });
    assert.deepEqual(input.onFailure, { rollback: true, restoreVolumes: false });
    assert.deepEqual(input.system, { release: 'soctalk-system', namespace: 'soctalk-system' });
    assert.equal(input.approval.required, false);
  });

  it("always overrides the image tags: the chart's tag keys at the target unless given", () => {
    // Issue 10: the real soctalk-tenant chart has one tag per workload.
    assert.deepEqual(imageTagOverrides({ version: '0.2.1' }), { 'adapter.image.tag': '0.2.1', 'runsWorker.image.tag': '0.2.1' });
    assert.deepEqual(imageTagOverrides({ version: '0.2.1', chart: { ref: '/charts/soctalk-tenant-0.2.1.tgz' } }), { 'adapter.image.tag': '0.2.1', 'runsWorker.image.tag': '0.2.1' });
    assert.deepEqual(imageTagOverrides({ version: '0.2.1', chart: { ref: 'oci://r/other-chart' } }), { 'adapter.image.tag': '0.2.1', 'runsWorker.image.tag': '0.2.1' });
    assert.deepEqual(imageTagOverrides({ version: '0.2.1', imageTagKeys: ['adapter.image.tag'] }), { 'adapter.image.tag': '0.2.1' });
    assert.equal(expectedAdapterVersion({ version: '0.2.1', imageTags: { 'adapter.image.tag': '0.2.1-hotfix', 'runsWorker.image.tag': '0.2.1' } }), '0.2.1-hotfix');
    assert.deepEqual(imageTagOverrides({ version: '0.2.1', imageTags: { 'image.tag': '0.2.1-hotfix', 'wazuhBridge.image.tag': '4.9.0' } }), {
      'image.tag': '0.2.1-hotfix',
      'wazuhBridge.image.tag': '4.9.0',
    });
    assert.equal(expectedAdapterVersion({ version: '0.2.1', imageTags: { 'image.tag': '0.2.1-hotfix' } }), '0.2.1-hotfix');
  });

  it('names the field of every problem', () => {
    const bad = TenantUpgradeInputSchema.safeParse({ tenant: 'ACME', version: '2', compatibility: {}, valuesSource: { kind: 'http', url: 'nope' } });
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['compatibility', 'tenant', 'valuesSource.url', 'version']);
  });

  it('one business ID per tenant release, shared by standalone runs and fleet children', () => {
    const input = TenantUpgradeInputSchema.parse({ tenant: 'acme', version: '0.2.1', compatibility: { file: '/m' } });
    assert.equal(soctalkTenantUpgradeRunbook.workflowId(input), 'release:tenant-acme/tenant-acme');
    assert.equal(findRunbook('soctalk-fleet-upgrade'), soctalkFleetUpgradeRunbook);
    assert.equal(findRunbook('soctalk-tenant-upgrade').workflowType, 'soctalkTenantUpgrade');
  });
});
