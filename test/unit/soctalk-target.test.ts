import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ApplicationFailure } from '@temporalio/common';
import { inspectRenderedTarget } from '../../src/activities/soctalk/target.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { renderedObjects, renderedServices, renderedWorkloads, workloadsOffTag } from '../../src/domain/rendered-release.js';
import { decideMigration, type MigrationSpec } from '../../src/domain/soctalk/migration-mechanism.js';

// What `helm template` prints for a chart shaped like the real soctalk-system: the API
// Deployment migrates in its db-init initContainer; no Job template.
const IN_INIT = `---
# Source: soctalk-system/templates/30-api.yaml
apiVersion: v1
kind: Service
metadata:
  name: soctalk-system-api
spec:
  selector:
    app.kubernetes.io/component: api
  ports:
    - name: http
      port: 8000
---
# Source: soctalk-system/templates/30-api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: soctalk-system-api
spec:
  template:
    spec:
      initContainers:
        - name: db-init
          image: ghcr.io/soctalk/soctalk-api:0.2.1
          command: ["/bin/sh", "-c"]
          args:
            - |
              set -e
              echo "running alembic upgrade head"
              alembic upgrade head
      containers:
        - name: api
          image: ghcr.io/soctalk/soctalk-api:0.2.1
---
# Source: soctalk-system/templates/20-postgres.yaml
apiVersion: v1
kind: Service
metadata:
  name: soctalk-system-postgres
spec:
  clusterIP: None
  selector:
    app.kubernetes.io/component: postgres
---
# Source: soctalk-system/templates/20-postgres.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: soctalk-system-postgres
spec:
  template:
    spec:
      containers:
        - name: postgres
          image: postgres:16
`;

const JOB = `---
# Source: soctalk-system/templates/jobs/alembic-upgrade.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: soctalk-system-alembic-upgrade
spec:
  template:
    spec:
      containers:
        - name: alembic
          image: ghcr.io/soctalk/soctalk-api:0.2.1
          command: ["alembic", "upgrade", "head"]
`;

const spec = (over: Partial<MigrationSpec> = {}): MigrationSpec => ({
  mechanism: 'detect',
  template: 'templates/jobs/alembic-upgrade.yaml',
  jobName: 'soctalk-system-alembic-upgrade',
  command: 'alembic upgrade',
  ...over,
});

describe('reading a rendered release', () => {
  it('objects with the template that rendered them; workloads with every image, initContainers first; Services that select pods', () => {
    const objects = renderedObjects(IN_INIT);
    assert.deepEqual(
      objects.map((o) => [o.kind, o.name, o.source]),
      [
        ['Service', 'soctalk-system-api', 'soctalk-system/templates/30-api.yaml'],
        ['Deployment', 'soctalk-system-api', 'soctalk-system/templates/30-api.yaml'],
        ['Service', 'soctalk-system-postgres', 'soctalk-system/templates/20-postgres.yaml'],
        ['StatefulSet', 'soctalk-system-postgres', 'soctalk-system/templates/20-postgres.yaml'],
      ],
    );
    assert.deepEqual(renderedWorkloads(objects), [
      { kind: 'Deployment', name: 'soctalk-system-api', images: ['ghcr.io/soctalk/soctalk-api:0.2.1', 'ghcr.io/soctalk/soctalk-api:0.2.1'] },
      { kind: 'StatefulSet', name: 'soctalk-system-postgres', images: ['postgres:16'] },
    ]);
    assert.deepEqual(renderedServices(objects), ['soctalk-system-api', 'soctalk-system-postgres']);
  });

  it('a workload whose SocTalk image is not on the target tag is named with its images', () => {
    const workloads = [
      { kind: 'Deployment' as const, name: 'soctalk-adapter', images: ['ghcr.io/soctalk/soctalk-adapter:0.2.1'] },
      { kind: 'Deployment' as const, name: 'soctalk-runs-worker', images: ['ghcr.io/soctalk/soctalk-runs-worker:0.2.0'] },
      { kind: 'StatefulSet' as const, name: 'wazuh-indexer', images: ['wazuh/wazuh-indexer:4.9.0'] },
    ];
    assert.deepEqual(workloadsOffTag(workloads, /soctalk/, ['0.2.1']), [{ workload: 'Deployment/soctalk-runs-worker', images: ['ghcr.io/soctalk/soctalk-runs-worker:0.2.0'] }]);
  });
});

describe('how the target migrates', () => {
  it('detect: the real chart migrates inside helm upgrade, in the db-init initContainer', () => {
    assert.deepEqual(decideMigration(renderedObjects(IN_INIT), spec()), { ok: true, plan: { kind: 'in-upgrade', where: ['Deployment/soctalk-system-api initContainer db-init'] } });
  });

  it('detect: a chart shipping the runbook Job takes the runbook path', () => {
    assert.deepEqual(decideMigration(renderedObjects(JOB), spec()), { ok: true, plan: { kind: 'job', template: 'templates/jobs/alembic-upgrade.yaml', jobName: 'soctalk-system-alembic-upgrade' } });
  });

  it('an upgrade hook running alembic is a migration inside helm upgrade; a post-install-only hook is not', () => {
    const hook = (when: string) =>
      JOB.replace('templates/jobs/alembic-upgrade.yaml', 'templates/hooks/migrate.yaml').replace('  name: soctalk-system-alembic-upgrade', `  name: migrate\n  annotations:\n    helm.sh/hook: ${when}`);
    assert.deepEqual(decideMigration(renderedObjects(hook('pre-upgrade,post-install')), spec()), { ok: true, plan: { kind: 'in-upgrade', where: ['Job/migrate (helm hook pre-upgrade,post-install)'] } });
    assert.deepEqual(decideMigration(renderedObjects(hook('post-install')), spec()), { ok: true, plan: { kind: 'none' } });
  });

  it('refuses a Job the chart does not render, naming where it migrates instead and the fix', () => {
    const d = decideMigration(renderedObjects(IN_INIT), spec({ mechanism: 'job' }));
    assert.equal(d.ok, false);
    assert.match(
      (d as { reason: string }).reason,
      /^migration\.template: the target chart does not render templates\/jobs\/alembic-upgrade\.yaml \(it migrates inside helm upgrade: Deployment\/soctalk-system-api initContainer db-init; set migration\.mechanism to "in-upgrade" or "detect"\)$/,
    );
  });

  it('refuses a template that renders a Deployment, not a Job (parsed, not matched on name: lines)', () => {
    const d = decideMigration(renderedObjects(IN_INIT), spec({ mechanism: 'job', template: 'templates/30-api.yaml', jobName: 'soctalk-system-api' }));
    assert.equal(d.ok, false);
    assert.match((d as { reason: string }).reason, /renders Service\/soctalk-system-api, Deployment\/soctalk-system-api, not Job soctalk-system-api/);
    // detect refuses it too: the input named a template.
    assert.equal(decideMigration(renderedObjects(IN_INIT), spec({ template: 'templates/30-api.yaml' })).ok, false);
  });

  it('refuses "none" for a chart that migrates in the upgrade, and "in-upgrade" for one that does not', () => {
    assert.match((decideMigration(renderedObjects(IN_INIT), spec({ mechanism: 'none' })) as { reason: string }).reason, /^migration\.mechanism: "none", but the target migrates inside helm upgrade/);
    assert.match((decideMigration(renderedObjects(JOB), spec({ mechanism: 'in-upgrade' })) as { reason: string }).reason, /^migration\.mechanism: "in-upgrade", but no initContainer/);
    assert.deepEqual(decideMigration(renderedObjects(IN_INIT.split('---\n# Source: soctalk-system/templates/20-postgres.yaml')[0]!.replace(/alembic/g, 'echo')), spec({ mechanism: 'none' })), { ok: true, plan: { kind: 'none' } });
  });

  it('pre-flight inspection throws the refusals as non-retryable InvalidInput', () => {
    assert.throws(
      () => inspectRenderedTarget(IN_INIT, { images: { tags: ['0.2.1'], repositoryPattern: 'soctalk', keys: ['image.tag'] }, migration: spec({ mechanism: 'job' }) }),
      (err: ApplicationFailure) => err.type === FailureType.InvalidInput && err.nonRetryable && /does not render/.test(err.message),
    );
    assert.throws(
      () => inspectRenderedTarget(IN_INIT, { images: { tags: ['0.3.0'], repositoryPattern: 'soctalk', keys: ['image.tag'] } }),
      (err: ApplicationFailure) =>
        err.type === FailureType.InvalidInput &&
        err.message.startsWith('the target would leave Deployment/soctalk-system-api on ghcr.io/soctalk/soctalk-api:0.2.1, ghcr.io/soctalk/soctalk-api:0.2.1 instead of tag 0.3.0'),
    );
    const ok = inspectRenderedTarget(IN_INIT, { images: { tags: ['0.2.1'], repositoryPattern: 'soctalk', keys: ['image.tag'] }, migration: spec() });
    assert.deepEqual(ok.migration, { kind: 'in-upgrade', where: ['Deployment/soctalk-system-api initContainer db-init'] });
    assert.deepEqual(ok.services, ['soctalk-system-api', 'soctalk-system-postgres']);
  });
});
