import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { soctalkFleetUpgradeRunbook, soctalkTenantUpgradeRunbook } from '../../src/domain/soctalk/tenant-runbooks.js';
import { expectedAdapterVersion, imageTagOverrides, TenantUpgradeInputSchema } from '../../src/domain/soctalk/tenant-upgrade-input.js';
import { findRunbook } from '../../src/runbook-catalog.js';

describe('tenant upgrade input', () => {
  it("defaults to the runbook's figures and its values command", () => {
    const input = TenantUpgradeInputSchema.parse({ tenant: 'acme', version: '0.2.1', compatibility: { url: 'https://soctalk.example/api/compat' } });
    assert.equal(input.chart.ref, 'oci://ghcr.io/gbrigandi/charts/soctalk-tenant');
    assert.equal(input.helmTimeout, 15 * 60_000);
    assert.equal(input.heartbeat.settle, 60_000);
    assert.deepEqual(input.valuesSource, { kind: 'command', argv: ['soctalk-cli', 'render-values', '--tenant', '{slug}'], timeout: 120_000 });
    assert.deepEqual(input.onFailure, { rollback: true, restoreVolumes: false });
    assert.deepEqual(input.system, { release: 'soctalk-system', namespace: 'soctalk-system' });
    assert.equal(input.approval.required, false);
  });

  it('always overrides the image tag: image.tag = the target unless given', () => {
    assert.deepEqual(imageTagOverrides({ version: '0.2.1' }), { 'image.tag': '0.2.1' });
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
