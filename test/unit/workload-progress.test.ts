import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseWorkloads } from '../../src/activities/helm/workload-progress.js';

const ref = { release: 'soctalk-system', namespace: 'sys' };
const owned = { 'meta.helm.sh/release-name': 'soctalk-system', 'meta.helm.sh/release-namespace': 'sys' };
const REVISION = 'deployment.kubernetes.io/revision';

/** A one-replica Deployment in the middle of a rolling update: the old pod still Ready, the new one not yet. */
function rollingUpdate(opts: { newReady: number; generation?: number; observedGeneration?: number }) {
  const generation = opts.generation ?? 2;
  return {
    items: [
      {
        kind: 'Deployment',
        metadata: { name: 'soctalk-system-api', uid: 'd-1', generation, annotations: { ...owned, [REVISION]: '2' } },
        spec: { replicas: 1 },
        status: { observedGeneration: opts.observedGeneration ?? generation, replicas: 2, readyReplicas: 1 + opts.newReady, updatedReplicas: 1 },
      },
      rs('soctalk-system-api-old', 'd-1', '1', 1),
      rs('soctalk-system-api-new', 'd-1', '2', opts.newReady),
      // Another Deployment's ReplicaSet at the same revision number: not this one's.
      rs('other-api-new', 'd-2', '2', 1),
    ],
  };
}

function rs(name: string, owner: string, revision: string, ready: number) {
  return { kind: 'ReplicaSet', metadata: { name, annotations: { [REVISION]: revision }, ownerReferences: [{ kind: 'Deployment', uid: owner }] }, status: { readyReplicas: ready } };
}

describe('releaseWorkloads: what helm upgrade --wait waits for', () => {
  it("a Deployment's ready count is its new pods', not the old pod that still serves", () => {
    assert.deepEqual(releaseWorkloads(JSON.stringify(rollingUpdate({ newReady: 0 })), ref), [{ kind: 'Deployment', name: 'soctalk-system-api', ready: 0, desired: 1, updated: 1 }]);
    assert.deepEqual(releaseWorkloads(JSON.stringify(rollingUpdate({ newReady: 1 })), ref), [{ kind: 'Deployment', name: 'soctalk-system-api', ready: 1, desired: 1, updated: 1 }]);
  });

  it('before the controller has seen the new spec, no new pod is ready', () => {
    assert.equal(releaseWorkloads(JSON.stringify(rollingUpdate({ newReady: 1, generation: 3, observedGeneration: 2 })), ref)[0]?.ready, 0);
  });

  it("without the controller's revision annotation, the Deployment's own count", () => {
    const list = { items: [{ kind: 'Deployment', metadata: { name: 'web', annotations: owned }, spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3 } }, rs('web-x', 'd-9', '1', 0)] };
    assert.deepEqual(releaseWorkloads(JSON.stringify(list), ref), [{ kind: 'Deployment', name: 'web', ready: 2, desired: 3, updated: 3 }]);
  });

  it("only the release's own workloads; ReplicaSets and StatefulSets and DaemonSets as they report", () => {
    const list = {
      items: [
        { kind: 'StatefulSet', metadata: { name: 'db', annotations: owned }, spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1 } },
        { kind: 'DaemonSet', metadata: { name: 'agent', annotations: owned }, status: { numberReady: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3 } },
        { kind: 'Deployment', metadata: { name: 'theirs', annotations: { 'meta.helm.sh/release-name': 'other' } }, spec: { replicas: 1 }, status: {} },
        { kind: 'ReplicaSet', metadata: { name: 'rs', annotations: owned }, status: { readyReplicas: 1 } },
      ],
    };
    assert.deepEqual(releaseWorkloads(JSON.stringify(list), ref), [
      { kind: 'DaemonSet', name: 'agent', ready: 2, desired: 3, updated: 3 },
      { kind: 'StatefulSet', name: 'db', ready: 1, desired: 1, updated: 1 },
    ]);
    assert.deepEqual(releaseWorkloads('not json', ref), []);
  });
});
