import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompatibilityMatrixSchema, systemUpgradeProblems, tenantOrderingProblem, type InstalledTenant } from '../../src/domain/soctalk/compatibility.js';

const matrix = CompatibilityMatrixSchema.parse({
  systemVersions: {
    '0.1.0': { tenantChart: '>=0.1.0 <0.2.0' },
    '0.2.0': { tenantChart: '>=0.1.0 <0.3.0', upgradeFrom: '>=0.1.0 <0.2.0' },
    '0.3.0': { tenantChart: '>=0.2.0 <0.4.0', upgradeFrom: '>=0.2.0 <0.3.0' },
    '0.4.0-rc.1': { tenantChart: '>=0.3.0-0 <0.5.0' },
  },
});

const tenant = (release: string, chartVersion: string): InstalledTenant => ({ release, namespace: release, chartVersion });

describe('CompatibilityMatrixSchema', () => {
  it('refuses keys that are not versions, bad ranges and unknown fields, at their path', () => {
    assert.deepEqual(CompatibilityMatrixSchema.safeParse({ systemVersions: { latest: { tenantChart: '*' } } }).error?.issues[0]?.path, ['systemVersions', 'latest']);
    const badRange = CompatibilityMatrixSchema.safeParse({ systemVersions: { '0.1.0': { tenantChart: 'not a range!' } } });
    assert.deepEqual(badRange.error?.issues[0]?.path, ['systemVersions', '0.1.0', 'tenantChart']);
    assert.equal(CompatibilityMatrixSchema.safeParse({ systemVersions: { '0.1.0': { tenantChart: '*', tenants: '*' } } }).success, false);
  });
});

describe('systemUpgradeProblems', () => {
  it('an allowed upgrade with every tenant in range: no problems', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.1.0', '0.2.0', [tenant('tenant-acme', '0.1.0'), tenant('tenant-globex', '0.2.5')]), []);
  });

  it('an unknown target lists the known versions', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.1.0', '9.9.9', []), [
      'soctalk-system 9.9.9 is not in the compatibility matrix (known: 0.1.0, 0.2.0, 0.3.0, 0.4.0-rc.1)',
    ]);
    assert.deepEqual(systemUpgradeProblems({ systemVersions: {} }, undefined, '0.1.0', []), ['soctalk-system 0.1.0 is not in the compatibility matrix (known: none)']);
  });

  it('outside upgradeFrom: a skipped version', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.1.0', '0.3.0', []), ['soctalk-system 0.3.0 cannot be upgraded to from 0.1.0 (allowed from: >=0.2.0 <0.3.0)']);
  });

  it('a downgrade is refused and points at the rollback runbook', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.3.0', '0.2.0', []), ['soctalk-system 0.3.0 -> 0.2.0 is a downgrade; use the rollback runbook']);
  });

  it('re-running the same version is not a downgrade', () => {
    const problems = systemUpgradeProblems(matrix, '0.1.0', '0.1.0', []);
    assert.equal(problems.some((p) => p.includes('downgrade')), false);
    assert.deepEqual(problems, []);
  });

  it('no upgradeFrom: any older version may upgrade', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.1.0', '0.4.0-rc.1', [tenant('t', '0.3.0')]), []);
  });

  it('prerelease versions are compared with prereleases included', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.2.0', '0.3.0', [tenant('t', '0.2.1-rc.1')]), []);
    // 0.3.0-rc.1 sorts below 0.3.0, so a release candidate may upgrade to its release.
    assert.deepEqual(systemUpgradeProblems(matrix, '0.3.0-rc.1', '0.3.0', []), []);
    assert.deepEqual(systemUpgradeProblems(matrix, '0.3.0-rc.1', '0.2.0', []), ['soctalk-system 0.3.0-rc.1 -> 0.2.0 is a downgrade; use the rollback runbook']);
  });

  it('no installed version (first install): only the tenants are checked', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, undefined, '0.3.0', [tenant('tenant-acme', '0.1.0')]), [
      'tenant-acme in tenant-acme runs soctalk-tenant 0.1.0, which soctalk-system 0.3.0 does not support (supported: >=0.2.0 <0.4.0)',
    ]);
  });

  it('every tenant out of range is named, after the path problem', () => {
    assert.deepEqual(systemUpgradeProblems(matrix, '0.1.0', '0.3.0', [tenant('tenant-a', '0.1.0'), tenant('tenant-b', '0.2.0'), tenant('tenant-c', '0.1.9')]), [
      'soctalk-system 0.3.0 cannot be upgraded to from 0.1.0 (allowed from: >=0.2.0 <0.3.0)',
      'tenant-a in tenant-a runs soctalk-tenant 0.1.0, which soctalk-system 0.3.0 does not support (supported: >=0.2.0 <0.4.0)',
      'tenant-c in tenant-c runs soctalk-tenant 0.1.9, which soctalk-system 0.3.0 does not support (supported: >=0.2.0 <0.4.0)',
    ]);
  });

  it('a tenant whose chart version is unknown ("") is out of range, not silently accepted', () => {
    assert.equal(systemUpgradeProblems(matrix, '0.1.0', '0.2.0', [tenant('tenant-x', '')]).length, 1);
  });
});

describe('tenantOrderingProblem', () => {
  it('a tenant version the running system supports', () => {
    assert.equal(tenantOrderingProblem(matrix, '0.2.0', '0.2.0'), undefined);
  });

  it('never ahead of soctalk-system', () => {
    assert.equal(
      tenantOrderingProblem(matrix, '0.1.0', '0.2.0'),
      'never upgrade tenant charts ahead of soctalk-system: soctalk-system 0.1.0 supports soctalk-tenant >=0.1.0 <0.2.0, not 0.2.0; upgrade soctalk-system first',
    );
  });

  it('a running system missing from the matrix cannot vouch for anything', () => {
    assert.equal(
      tenantOrderingProblem(matrix, '0.0.9', '0.1.0'),
      'the running soctalk-system 0.0.9 is not in the compatibility matrix, so soctalk-tenant 0.1.0 cannot be checked against it',
    );
  });

  it('prerelease tenant targets are checked with prereleases included', () => {
    assert.equal(tenantOrderingProblem(matrix, '0.4.0-rc.1', '0.3.0-rc.2'), undefined);
  });
});
