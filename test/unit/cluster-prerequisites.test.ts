import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { servedApiGroups } from '../../src/activities/cluster-prerequisites.js';
import { fixturesDir } from '../helpers/paths.js';

describe('servedApiGroups (kubectl api-resources --output name)', () => {
  it('real output of a Kubernetes 1.36 API server: core as "", groups after the first dot', () => {
    const groups = servedApiGroups(readFileSync(`${fixturesDir}kubectl-json/api-resources-kwok.txt`, 'utf8'));
    for (const g of ['', 'apps', 'batch', 'apiextensions.k8s.io', 'networking.k8s.io', 'snapshot.storage.k8s.io', 'storage.k8s.io', 'kwok.x-k8s.io']) {
      assert.ok(groups.has(g), `expected ${JSON.stringify(g)} to be served`);
    }
    // events.events.k8s.io: the resource name ends at the first dot.
    assert.ok(groups.has('events.k8s.io'));
    assert.ok(!groups.has('k8s.io'));
    assert.ok(!groups.has('cert-manager.io'));
    assert.ok(!groups.has('deployments.apps'));
  });

  it('ignores blank lines, surrounding spaces and CRLF', () => {
    assert.deepEqual([...servedApiGroups('\n  pods  \r\ncertificates.cert-manager.io\r\n\n\nissuers.cert-manager.io\n')].sort(), ['', 'cert-manager.io']);
  });

  it('empty output: nothing served', () => {
    assert.equal(servedApiGroups('').size, 0);
  });
});
