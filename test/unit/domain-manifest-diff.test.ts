import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { diffManifests, manifestObjects, summarizeDiff } from '../../src/domain/manifest-diff.js';
import { fixturesDir } from '../helpers/paths.js';

const deployment = (name: string, containers: Record<string, string>, init: Record<string, string> = {}, replicas = 1) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  template:
    spec:
${Object.keys(init).length ? `      initContainers:\n${Object.entries(init).map(([n, i]) => `        - name: ${n}\n          image: ${i}`).join('\n')}\n` : ''}      containers:
${Object.entries(containers).map(([n, i]) => `        - name: ${n}\n          image: ${i}`).join('\n')}
`;

const service = (name: string, port = 80) => `
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  ports:
    - port: ${port}
`;

const cronJob = (name: string, image: string) => `
apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: report
              image: ${image}
`;

const docs = (...d: string[]) => d.join('\n---\n');

describe('manifestObjects', () => {
  it('keys objects "Kind/name" and skips empty documents, comments-only documents and nameless objects', () => {
    const manifest = ['---', '# Source: chart/templates/empty.yaml', '---', service('api'), '---', '', '---', 'kind: ConfigMap\nmetadata: {}', '---', 'null', '---', service('db')].join('\n');
    assert.deepEqual([...manifestObjects(manifest).keys()], ['Service/api', 'Service/db']);
    assert.deepEqual([...manifestObjects('').keys()], []);
  });
});

describe('diffManifests', () => {
  it('added, changed, removed and unchanged objects', () => {
    const live = docs(service('api'), service('old'), deployment('api', { api: 'soctalk-api:0.1.0' }), service('same', 5432));
    const target = docs(service('api', 8080), service('new'), deployment('api', { api: 'soctalk-api:0.1.0' }, {}, 2), service('same', 5432));
    const diff = diffManifests(live, target);
    assert.deepEqual(diff, {
      added: ['Service/new'],
      removed: ['Service/old'],
      changed: ['Service/api', 'Deployment/api'],
      unchanged: 1,
      imageChanges: [],
    });
  });

  it('image changes of containers and init containers; new and dropped containers', () => {
    const live = deployment('api', { api: 'soctalk-api:0.1.0', sidecar: 'envoy:1.30' }, { 'wait-db': 'busybox:1.36' });
    const target = deployment('api', { api: 'soctalk-api:0.2.0', metrics: 'exporter:2.0' }, { 'wait-db': 'busybox:1.37' });
    assert.deepEqual(diffManifests(live, target).imageChanges, [
      { object: 'Deployment/api', container: 'wait-db', from: 'busybox:1.36', to: 'busybox:1.37' },
      { object: 'Deployment/api', container: 'api', from: 'soctalk-api:0.1.0', to: 'soctalk-api:0.2.0' },
      { object: 'Deployment/api', container: 'metrics', to: 'exporter:2.0' },
      { object: 'Deployment/api', container: 'sidecar', from: 'envoy:1.30' },
    ]);
  });

  it('a new workload reports its images as new', () => {
    assert.deepEqual(diffManifests('', deployment('worker', { worker: 'w:1' })).imageChanges, [{ object: 'Deployment/worker', container: 'worker', to: 'w:1' }]);
  });

  it('CronJob images are found in jobTemplate', () => {
    const diff = diffManifests(cronJob('report', 'reporter:1.0'), cronJob('report', 'reporter:1.1'));
    assert.deepEqual(diff.changed, ['CronJob/report']);
    assert.deepEqual(diff.imageChanges, [{ object: 'CronJob/report', container: 'report', from: 'reporter:1.0', to: 'reporter:1.1' }]);
  });

  it('multi-document manifests with empty documents and leading separators', () => {
    const live = `---\n${service('a')}\n---\n---\n${deployment('d', { c: 'i:1' })}\n---\n`;
    const target = `\n---\n\n---\n${service('a')}\n---\n${deployment('d', { c: 'i:2' })}`;
    const diff = diffManifests(live, target);
    assert.deepEqual([diff.added, diff.removed, diff.changed, diff.unchanged], [[], [], ['Deployment/d'], 1]);
  });

  it('helm hooks (in helm template, never in helm get manifest) are not reported as added', () => {
    const hookJob = `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: m\n          image: api:2`;
    const diff = diffManifests(service('a'), docs(service('a'), hookJob));
    assert.deepEqual(diff, { added: [], removed: [], changed: [], unchanged: 1, imageChanges: [] });
  });

  it('real helm output: get manifest of revision 2 against the template of 0.3.0-rc.1', () => {
    const live = readFileSync(`${fixturesDir}helm-json/manifest-rev2.yaml`, 'utf8');
    const target = readFileSync(`${fixturesDir}helm-json/template-0.3.0-rc.1.yaml`, 'utf8');
    const diff = diffManifests(live, target);
    // helm.sh/chart labels change with the chart version, so every object is "changed".
    assert.deepEqual(diff.added, []);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.changed, ['Service/soctalk-system-api', 'Service/soctalk-system-postgres', 'Deployment/soctalk-system-api', 'StatefulSet/soctalk-system-postgres']);
    assert.deepEqual(diff.imageChanges, [
      { object: 'Deployment/soctalk-system-api', container: 'api', from: 'ghcr.io/gbrigandi/soctalk-api:0.2.0', to: 'ghcr.io/gbrigandi/soctalk-api:0.3.0-rc.1' },
    ]);
    assert.deepEqual(diffManifests(live, live), { added: [], removed: [], changed: [], unchanged: 4, imageChanges: [] });
  });
});

describe('summarizeDiff', () => {
  it('counts, then the names, then one line per image change', () => {
    const summary = summarizeDiff({
      added: ['Service/new'],
      removed: ['Service/old'],
      changed: ['Deployment/api'],
      unchanged: 3,
      imageChanges: [
        { object: 'Deployment/api', container: 'api', from: 'a:1', to: 'a:2' },
        { object: 'Deployment/api', container: 'metrics', to: 'm:1' },
        { object: 'Deployment/api', container: 'sidecar', from: 's:1' },
      ],
    });
    assert.equal(
      summary,
      [
        '1 added, 1 changed, 1 removed, 3 unchanged',
        'added: Service/new',
        'removed: Service/old',
        'changed: Deployment/api',
        'Deployment/api api: a:1 -> a:2',
        'Deployment/api metrics: (new) -> m:1',
        'Deployment/api sidecar: s:1 -> (none)',
      ].join('\n'),
    );
  });

  it('no changes: just the counts', () => {
    assert.equal(summarizeDiff({ added: [], removed: [], changed: [], unchanged: 4, imageChanges: [] }), '0 added, 0 changed, 0 removed, 4 unchanged');
  });
});
