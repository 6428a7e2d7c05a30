import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { backupNameOf, backupNameStem } from '../../src/domain/backup-name.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { SystemRollbackInputSchema } from '../../src/domain/soctalk/system-rollback-input.js';
import { SystemUpgradeInputSchema } from '../../src/domain/soctalk/system-upgrade-input.js';
import { formatIssues, parseRunInput } from '../../src/domain/validate.js';
import { fleetWorkflowId, releaseWorkflowId } from '../../src/domain/workflow-ids.js';

const minimal = { targetVersion: '0.2.0', imageTag: '0.2.0', backup: { database: { mode: 'exec' } } };

/** The "path: message" lines a bad input produces. */
function problems(schema: z.ZodType, raw: unknown): string[] {
  const r = schema.safeParse(raw);
  assert.equal(r.success, false, 'expected the input to be refused');
  return formatIssues(r.error);
}

describe('formatIssues', () => {
  it('"path.to.field: message", array indexes included, "(input)" for the root', () => {
    const Schema = z.object({ a: z.object({ b: z.array(z.string()) }), n: z.number() });
    const r = Schema.safeParse({ a: { b: ['ok', 5] }, n: 'x' });
    assert.deepEqual(
      formatIssues(r.error!).map((l) => l.split(':')[0]),
      ['a.b.1', 'n'],
    );
    assert.match(formatIssues(z.string().safeParse(1).error!)[0] ?? '', /^\(input\): /);
  });
});

describe('parseRunInput', () => {
  it('returns the parsed input, treating a missing input as {}', () => {
    const Schema = z.object({ x: z.number().default(1) });
    assert.deepEqual(parseRunInput(Schema, undefined, 'demo'), { x: 1 });
    assert.deepEqual(parseRunInput(Schema, null, 'demo'), { x: 1 });
  });

  it('a bad input is a non-retryable InvalidInput naming every field', () => {
    try {
      parseRunInput(SystemUpgradeInputSchema, { targetVersion: 'latest', backup: { database: { mode: 'exec' } } }, 'soctalk-system upgrade');
      assert.fail('expected a failure');
    } catch (err) {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, FailureType.InvalidInput);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /^soctalk-system upgrade: invalid input: targetVersion: must be a semantic version such as 0\.2\.0; imageTag: required: set imageTag/);
    }
  });
});

describe('SystemUpgradeInputSchema', () => {
  it("the runbook's defaults: 10m migration and upgrade timeouts, names derived from the release", () => {
    const input = SystemUpgradeInputSchema.parse(minimal);
    assert.equal(input.release, 'soctalk-system');
    assert.equal(input.namespace, 'soctalk-system');
    assert.deepEqual(input.kube, {});
    assert.deepEqual(input.chart, { ref: 'oci://ghcr.io/soctalk/charts/soctalk-system' });
    assert.deepEqual(input.timeouts, { migration: 600_000, upgrade: 600_000, rollback: 600_000, backup: 1_800_000, verify: 300_000 });
    // Issue 10: how the target migrates is detected from the rendered chart unless named.
    assert.deepEqual(input.migration, {
      mechanism: 'detect',
      template: 'templates/jobs/alembic-upgrade.yaml',
      command: 'alembic upgrade',
      onFailure: 'restore',
      jobName: 'soctalk-system-alembic-upgrade',
    });
    assert.deepEqual(input.imageTagKeys, ['image.tag']);
    // Issue 10: the API health is checked on the chart's real Service and port.
    assert.deepEqual(input.api, { deployment: 'soctalk-system-api', service: { name: 'soctalk-system-api', port: 8000, path: '/health/ready' } });
    assert.deepEqual(input.values, { files: [], set: {} });
    assert.equal(input.schemaChanges, true);
    assert.deepEqual(input.prerequisites, { apiGroups: [], crds: [] });
    assert.deepEqual(input.tenants, { selector: 'tenant=true,managed-by=soctalk', chartName: 'soctalk-tenant' });
    assert.deepEqual(input.backup, {
      database: { mode: 'exec', podSelector: 'app.kubernetes.io/component=postgres', database: 'soctalk', user: 'soctalk_admin' },
      verifyQuery: 'SELECT version_num FROM alembic_version',
    });
    assert.deepEqual(input.approval, { required: true, approvers: [], fourEyes: false, timeout: 86_400_000 });
    assert.deepEqual(input.verify, { imagePattern: 'soctalk' });
    assert.equal(input.compatibility, undefined);
    assert.equal(input.dryRun, false);
    assert.equal(input.searchAttributes, true);
  });

  it('a custom release renames the Job and the API deployment; explicit names win', () => {
    const renamed = SystemUpgradeInputSchema.parse({ ...minimal, release: 'soc-eu' });
    assert.equal(renamed.migration.jobName, 'soc-eu-alembic-upgrade');
    assert.equal(renamed.api.deployment, 'soc-eu-api');
    const explicit = SystemUpgradeInputSchema.parse({ ...minimal, release: 'soc-eu', migration: { jobName: 'migrate' }, api: { deployment: 'api' } });
    assert.equal(explicit.migration.jobName, 'migrate');
    assert.equal(explicit.api.deployment, 'api');
  });

  it('timeouts as "10m"-style strings; a partial timeouts object keeps the other defaults', () => {
    const input = SystemUpgradeInputSchema.parse({ ...minimal, timeouts: { migration: '15m', upgrade: 1_200_000 } });
    assert.deepEqual(input.timeouts, { migration: 900_000, upgrade: 1_200_000, rollback: 600_000, backup: 1_800_000, verify: 300_000 });
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, timeouts: { upgrade: 'forever' } }), [
      'timeouts.upgrade: "forever" is not a duration: use a number with a unit, such as 90s, 10m, 24h or 1h30m',
    ]);
  });

  it('targetVersion and imageTag are required, with messages that say why', () => {
    assert.deepEqual(problems(SystemUpgradeInputSchema, { backup: minimal.backup }), [
      'targetVersion: required: a semantic version such as 0.2.0',
      'imageTag: required: set imageTag to the new version (a values file pinning image.tag keeps the old image otherwise)',
    ]);
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, imageTag: '' }), [
      'imageTag: set imageTag to the new version: a values file pinning image.tag keeps the old image otherwise',
    ]);
  });

  it('unknown keys are refused, at every level', () => {
    const top = problems(SystemUpgradeInputSchema, { ...minimal, targetVerison: '0.2.0' });
    assert.equal(top.length, 1);
    assert.match(top[0]!, /^\(input\): Unrecognized key: "targetVerison"/);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, timeouts: { migrate: '5m' } })[0]!, /^timeouts: Unrecognized key: "migrate"/);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, kube: { cluster: 'x' } })[0]!, /^kube: Unrecognized key: "cluster"/);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, backup: { database: { mode: 'exec', password: 'x' } } })[0]!, /^backup\.database: Unrecognized key: "password"/);
  });

  it('names must be Kubernetes names', () => {
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, release: 'SocTalk_System' }), ['release: a release name is DNS-1123: lowercase letters, digits, dashes and dots, starting and ending with a letter or digit']);
  });

  it('a direct database backup takes a Secret or env reference, never a literal URL', () => {
    const fromSecret = SystemUpgradeInputSchema.parse({ ...minimal, backup: { database: { mode: 'direct', urlFrom: { secretRef: { name: 'soctalk-db', key: 'url' } } } } });
    assert.deepEqual(fromSecret.backup.database, { mode: 'direct', urlFrom: { secretRef: { name: 'soctalk-db', key: 'url' } } });
    const fromEnv = SystemUpgradeInputSchema.parse({ ...minimal, backup: { database: { mode: 'direct', urlFrom: { env: 'SOCTALK_DATABASE_URL' } } } });
    assert.deepEqual(fromEnv.backup.database, { mode: 'direct', urlFrom: { env: 'SOCTALK_DATABASE_URL' } });

    const literal = 'postgres://soctalk:hunter2@db:5432/soctalk';
    for (const database of [
      { mode: 'direct', urlFrom: literal },
      { mode: 'direct', url: literal },
      { mode: 'direct', urlFrom: { value: literal } },
      { mode: 'direct', urlFrom: { env: literal } },
      { mode: 'direct', urlFrom: { secretRef: { name: 'soctalk-db', key: 'url' }, env: 'X' } },
    ]) {
      const lines = problems(SystemUpgradeInputSchema, { ...minimal, backup: { database } });
      assert.ok(lines.every((l) => l.startsWith('backup.database')), lines.join('; '));
    }
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, backup: { database: { mode: 'direct', urlFrom: { env: 'lower_case' } } } }).join(), /environment variable name/);
  });

  it('no backup is an explicit, reasoned decision; an unknown mode is refused', () => {
    assert.deepEqual(SystemUpgradeInputSchema.parse({ ...minimal, backup: { database: { mode: 'none', reason: 'staging, data is disposable' } } }).backup.database, {
      mode: 'none',
      reason: 'staging, data is disposable',
    });
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, backup: { database: { mode: 'none', reason: '' } } }), ['backup.database.reason: say why no backup is taken']);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, backup: { database: { mode: 'tape' } } })[0]!, /^backup\.database\.mode: /);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, backup: undefined }).join(), /^backup: /);
  });

  it('compatibility: exactly one of file or url', () => {
    assert.deepEqual(SystemUpgradeInputSchema.parse({ ...minimal, compatibility: { file: '/etc/soctalk/matrix.json' } }).compatibility, { file: '/etc/soctalk/matrix.json' });
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, compatibility: {} }), ['compatibility: set exactly one of file or url']);
    assert.deepEqual(problems(SystemUpgradeInputSchema, { ...minimal, compatibility: { file: '/m.json', url: 'https://example.com/m.json' } }), [
      'compatibility: set exactly one of file or url',
    ]);
  });

  it('values: files, inline values and dotted-path pairs (scalars only)', () => {
    const set = { 'image.pullPolicy': 'Always', 'api.replicas': 2, 'migration.hook': false, 'api.podLabels': null };
    const input = SystemUpgradeInputSchema.parse({ ...minimal, values: { files: ['/v.yaml'], inline: { api: { replicas: 2 } }, set } });
    assert.deepEqual(input.values, { files: ['/v.yaml'], inline: { api: { replicas: 2 } }, set });
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, values: { set: { 'api.podLabels': { team: 'soc' } } } })[0]!, /^values\.set\.api\.podLabels: /);
    assert.match(problems(SystemUpgradeInputSchema, { ...minimal, values: { file: ['/v.yaml'] } })[0]!, /^values: Unrecognized key: "file"/);
  });
});

describe('SystemRollbackInputSchema', () => {
  it('defaults: the previous revision, no restore, 10m timeout, approval required', () => {
    assert.deepEqual(SystemRollbackInputSchema.parse({}), {
      release: 'soctalk-system',
      namespace: 'soctalk-system',
      kube: {},
      timeout: 600_000,
      approval: { required: true, approvers: [], fourEyes: false, timeout: 86_400_000 },
      searchAttributes: true,
    });
  });

  it('a revision and a restore of a named backup', () => {
    const input = SystemRollbackInputSchema.parse({ toRevision: 3, timeout: '5m', restore: { backupName: 'release_soctalk-system_soctalk-system-pre-upgrade', database: { mode: 'exec' } } });
    assert.equal(input.toRevision, 3);
    assert.equal(input.timeout, 300_000);
    assert.deepEqual(input.restore, {
      backupName: 'release_soctalk-system_soctalk-system-pre-upgrade',
      database: { mode: 'exec', podSelector: 'app.kubernetes.io/component=postgres', database: 'soctalk', user: 'soctalk_admin' },
      verifyQuery: 'SELECT version_num FROM alembic_version',
    });
  });

  it('refuses revision 0 or fractions, a restore without a database mode, and unknown keys', () => {
    assert.match(problems(SystemRollbackInputSchema, { toRevision: 0 })[0]!, /^toRevision: /);
    assert.match(problems(SystemRollbackInputSchema, { toRevision: 1.5 })[0]!, /^toRevision: /);
    assert.deepEqual(problems(SystemRollbackInputSchema, { restore: { backupName: 'b', database: { mode: 'none', reason: 'x' } } }), [
      'restore.database: a restore needs mode exec or direct',
    ]);
    assert.match(problems(SystemRollbackInputSchema, { restore: { database: { mode: 'exec' } } })[0]!, /^restore\.backupName: /);
    assert.match(problems(SystemRollbackInputSchema, { revision: 2 })[0]!, /Unrecognized key: "revision"/);
    assert.match(problems(SystemRollbackInputSchema, { restore: { backupName: 'b', database: { mode: 'direct', urlFrom: 'postgres://u:p@h/d' } } })[0]!, /^restore\.database/);
  });
});

describe('workflow IDs', () => {
  it('one ID per namespace and release, shared by every runbook that changes it', () => {
    assert.equal(releaseWorkflowId('soctalk-system', 'soctalk-system'), 'release:soctalk-system/soctalk-system');
    assert.equal(releaseWorkflowId('tenant-acme', 'soctalk-tenant'), 'release:tenant-acme/soctalk-tenant');
    assert.notEqual(releaseWorkflowId('a', 'b-c'), releaseWorkflowId('a-b', 'c'));
    assert.equal(fleetWorkflowId('wave-2026-11'), 'fleet:wave-2026-11');
  });
});

describe('backupNameOf', () => {
  const RUN = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  it('derives from the workflow ID (file-name safe), the purpose and the run ID', () => {
    assert.equal(backupNameOf('release:soctalk-system/soctalk-system', RUN), `release_soctalk-system_soctalk-system-pre-upgrade-run-${RUN}`);
    assert.equal(backupNameOf('release:tenant-acme/soctalk-tenant', RUN, 'pre-rollback'), `release_tenant-acme_soctalk-tenant-pre-rollback-run-${RUN}`);
    assert.equal(backupNameOf('a b//c..d', RUN), `a_b_c..d-pre-upgrade-run-${RUN}`);
  });

  it('is stable within a run (every attempt finds the same backup) and differs between runs', () => {
    assert.equal(backupNameOf('release:ns/r', RUN), backupNameOf('release:ns/r', RUN));
    assert.notEqual(backupNameOf('release:ns/r', RUN), backupNameOf('release:ns/r', '0199a1b2-0000-7e5f-8a9b-0c1d2e3f4a5b'));
  });

  it('runs of one release share a stem (for retention), other names have none', () => {
    const stem = backupNameStem(backupNameOf('release:ns/r', RUN));
    assert.equal(stem, 'release_ns_r-pre-upgrade-run-');
    assert.equal(backupNameStem(backupNameOf('release:ns/r', 'other-run')), stem);
    assert.equal(backupNameStem('release_ns_r-pre-upgrade'), undefined);
  });

  it('never contains a path separator', () => {
    for (const id of ['../../etc/passwd', 'release:ns/r', 'x\\y', 'a\0b']) assert.doesNotMatch(backupNameOf(id, '../x/y'), /[/\\\0]/);
  });
});
