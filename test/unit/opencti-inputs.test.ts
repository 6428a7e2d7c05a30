import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssues } from '../../src/domain/validate.js';
import {
  OpenctiClusteringMigrationInputSchema,
  OpenctiRollbackInputSchema,
  OpenctiUpgradeV2InputSchema,
} from '../../src/domain/opencti/inputs.js';
import { openctiClusteringMigrationRunbook, openctiRollbackRunbook, openctiUpgradeV2Runbook } from '../../src/domain/opencti/runbooks.js';
import { findRunbook } from '../../src/runbook-catalog.js';

// The inputs an operator pastes into the Temporal Web UI (also the README examples).
const examples = {
  upgrade: {
    release: 'opencti',
    namespace: 'opencti',
    version: '2.0.0',
    values: { files: ['/etc/upgrade-runbooks/opencti/values.yaml'] },
    health: { accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } } },
    approval: { approvers: ['alice', 'bob'], fourEyes: true, timeout: '4h' },
    requestedBy: 'carol',
  },
  clustering: {
    release: 'opencti',
    namespace: 'opencti',
    version: '2.0.0',
    timeout: '900s',
    values: { files: ['/etc/upgrade-runbooks/opencti/values.yaml'] },
    frontend: { replicaCount: 2 },
    ingestion: { replicaCount: 3, autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 15 } },
    health: { accessKey: { env: 'OPENCTI_HEALTH_ACCESS_KEY' }, via: 'port-forward' },
    compensation: 'helm-rollback',
    requestedBy: 'carol',
  },
  rollback: { release: 'opencti', namespace: 'opencti', mode: 'helm-rollback', toRevision: 3, requestedBy: 'carol' },
  partial: {
    release: 'opencti',
    namespace: 'opencti',
    mode: 'disable-frontend',
    version: '2.0.0',
    values: { files: ['/etc/upgrade-runbooks/opencti/clustering-values.yaml'] },
    health: { accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } }, via: 'url', baseUrls: { ingestion: 'https://cti.example.com' } },
  },
};

describe('OpenCTI runbook inputs', () => {
  it('accepts the documented examples, with the guide timeouts as defaults', () => {
    const upgrade = OpenctiUpgradeV2InputSchema.parse(examples.upgrade);
    assert.equal(upgrade.timeout, 600_000);
    assert.equal(upgrade.approval.timeout, 4 * 3_600_000);
    assert.deepEqual(upgrade.chart, { ref: 'opencti/opencti', repository: { name: 'opencti', url: 'https://devops-ia.github.io/helm-opencti' } });
    assert.equal(upgrade.health.via, 'service');
    assert.equal(upgrade.searchAttributes, true);
    const clustering = OpenctiClusteringMigrationInputSchema.parse(examples.clustering);
    assert.equal(clustering.timeout, 900_000);
    assert.equal(OpenctiClusteringMigrationInputSchema.parse({ ...examples.clustering, timeout: undefined }).timeout, 900_000);
    assert.equal(OpenctiRollbackInputSchema.parse(examples.rollback).mode, 'helm-rollback');
    assert.equal(OpenctiRollbackInputSchema.parse(examples.partial).health.via, 'url');
  });

  it('parsing is idempotent: the workflow re-validates what the CLI already parsed', () => {
    for (const [schema, example] of [
      [OpenctiUpgradeV2InputSchema, examples.upgrade],
      [OpenctiClusteringMigrationInputSchema, examples.clustering],
      [OpenctiRollbackInputSchema, examples.rollback],
      [OpenctiRollbackInputSchema, examples.partial],
    ] as const) {
      const once = schema.parse(example);
      assert.deepEqual(schema.parse(JSON.parse(JSON.stringify(once))), once);
    }
  });

  it('names the field of a bad input', () => {
    const issue = (schema: { safeParse: (x: unknown) => { success: boolean; error?: unknown } }, input: unknown) => {
      const r = schema.safeParse(input);
      assert.equal(r.success, false);
      return formatIssues(r.error as Parameters<typeof formatIssues>[0])[0] ?? '';
    };
    assert.equal(issue(OpenctiUpgradeV2InputSchema, { ...examples.upgrade, namespace: 'Bad NS' }), 'namespace: a namespace is a DNS-1123 label: lowercase letters, digits and dashes, starting and ending with a letter or digit');
    assert.equal(issue(OpenctiUpgradeV2InputSchema, { ...examples.upgrade, timeout: '10 minutes' }), 'timeout: "10 minutes" is not a duration: use a number with a unit, such as 90s, 10m, 24h or 1h30m');
    assert.match(issue(OpenctiUpgradeV2InputSchema, { ...examples.upgrade, health: { accessKey: { value: 'the-key' } } }), /^health\.accessKey: /);
    assert.match(issue(OpenctiUpgradeV2InputSchema, { ...examples.upgrade, healthKey: 'x' }), /Unrecognized key: "healthKey"/);
    assert.equal(issue(OpenctiRollbackInputSchema, { ...examples.rollback, values: { files: ['/x.yaml'] } }), 'values: helm-rollback restores a revision with its own values: values are not used');
    assert.equal(issue(OpenctiRollbackInputSchema, { ...examples.rollback, mode: 'disable-ingestion' }), 'version: mode disable-ingestion upgrades the release: set the chart version it runs (2.x)');
  });

  it('every OpenCTI runbook is one run per release, found by name in the catalog', () => {
    const ids = [
      openctiUpgradeV2Runbook.workflowId(OpenctiUpgradeV2InputSchema.parse(examples.upgrade)),
      openctiClusteringMigrationRunbook.workflowId(OpenctiClusteringMigrationInputSchema.parse(examples.clustering)),
      openctiRollbackRunbook.workflowId(OpenctiRollbackInputSchema.parse(examples.rollback)),
    ];
    assert.deepEqual(ids, ['release:opencti/opencti', 'release:opencti/opencti', 'release:opencti/opencti']);
    assert.equal(findRunbook('opencti-clustering-migration').workflowType, 'openctiClusteringMigration');
    assert.equal(findRunbook('opencti-upgrade-v2').workflowType, 'openctiUpgradeV2');
    assert.equal(
      openctiRollbackRunbook.summary(OpenctiRollbackInputSchema.parse(examples.rollback)),
      'OpenCTI opencti in opencti: rollback (helm-rollback to revision 3)',
    );
  });
});
