import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newReadyAtLeast, releaseWorkloads } from '../../src/activities/helm/workload-progress.js';

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
        { kind: 'StatefulSet', metadata: { name: 'db', annotations: owned }, spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1, currentRevision: 'db-2', updateRevision: 'db-2' } },
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

  /** A StatefulSet of three mid-rollout (the controller replaces pods from the highest ordinal down). */
  const statefulSet = (status: Record<string, unknown>, generation = 2) => ({
    items: [{ kind: 'StatefulSet', metadata: { name: 'db', generation, annotations: owned }, spec: { replicas: 3 }, status: { observedGeneration: 2, currentRevision: 'db-1', updateRevision: 'db-2', ...status } }],
  });

  it('a StatefulSet mid-rollout counts only new pods as ready: its old pods, all ready, do not make it 3/3', () => {
    // db-2 replaced and not ready yet; db-0 and db-1 old and ready.
    assert.deepEqual(releaseWorkloads(JSON.stringify(statefulSet({ readyReplicas: 2, updatedReplicas: 1 })), ref), [{ kind: 'StatefulSet', name: 'db', ready: 0, desired: 3, updated: 1 }]);
    // db-2 replaced and ready, db-1 being replaced.
    assert.equal(releaseWorkloads(JSON.stringify(statefulSet({ readyReplicas: 2, updatedReplicas: 2 })), ref)[0]?.ready, 1);
    // Every pod on the update revision: the ready ones are all new.
    assert.equal(releaseWorkloads(JSON.stringify(statefulSet({ readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-2' })), ref)[0]?.ready, 3);
    // The controller has not seen the new spec: nothing is updated yet, whatever the old counts say.
    assert.deepEqual(releaseWorkloads(JSON.stringify(statefulSet({ readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-2', updateRevision: 'db-2' }, 3)), ref)[0], { kind: 'StatefulSet', name: 'db', ready: 0, desired: 3, updated: 0 });
  });

  it('a DaemonSet mid-rollout: ready nodes minus the ones still on the old pod', () => {
    const ds = (numberReady: number, updatedNumberScheduled: number) =>
      JSON.stringify({ items: [{ kind: 'DaemonSet', metadata: { name: 'agent', generation: 4, annotations: owned }, status: { observedGeneration: 4, numberReady, desiredNumberScheduled: 4, updatedNumberScheduled } }] });
    assert.deepEqual(releaseWorkloads(ds(3, 1), ref), [{ kind: 'DaemonSet', name: 'agent', ready: 0, desired: 4, updated: 1 }]);
    assert.equal(releaseWorkloads(ds(4, 2), ref)[0]?.ready, 2);
    assert.equal(releaseWorkloads(ds(4, 4), ref)[0]?.ready, 4);
  });

  it('newReadyAtLeast never counts more new pods than were updated, nor fewer than zero', () => {
    assert.equal(newReadyAtLeast(0, 3, 3), 0);
    assert.equal(newReadyAtLeast(3, 3, 0), 0);
    assert.equal(newReadyAtLeast(5, 3, 3), 3, 'surge pods ready do not exceed the updated ones');
    assert.equal(newReadyAtLeast(1, 3, 2), 0, 'an old pod not ready: low, never high');
  });
});
