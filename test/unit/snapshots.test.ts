import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUN_ID_ANNOTATION, snapshotName, volumeSnapshotManifest, WORKFLOW_ID_ANNOTATION } from '../../src/activities/snapshots.js';

// DNS-1123 subdomain as Kubernetes checks it for VolumeSnapshot names, without dots.
const DNS_LABELISH = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('snapshotName', () => {
  it('prefix and PVC, lowercased, anything else turned into dashes', () => {
    assert.equal(snapshotName('release_tenant-acme_soctalk-tenant-pre-upgrade', 'data-0'), 'release-tenant-acme-soctalk-tenant-pre-upgrade-data-0');
    assert.equal(snapshotName('Release:NS/Rel', 'PVC.data'), 'release-ns-rel-pvc-data');
    // Leading and trailing dashes go; inner runs of dashes are valid DNS-1123 and stay.
    assert.equal(snapshotName('--x--', '__y__'), 'x----y');
  });

  it('is stable for the same inputs (a retry finds its snapshots)', () => {
    const long = 'release:tenant-with-a-very-long-name-indeed/soctalk-tenant-with-a-long-release-name';
    assert.equal(snapshotName(long, 'data-soctalk-adapter-0'), snapshotName(long, 'data-soctalk-adapter-0'));
  });

  it('the system upgrade: a 49-character prefix and the postgres PVC make a shortened name that keeps the start', () => {
    const n = snapshotName('release_soctalk-system_soctalk-system-pre-upgrade', 'data-soctalk-system-postgres-0');
    assert.ok(n.length <= 63);
    assert.match(n, DNS_LABELISH);
    assert.ok(n.startsWith('release-soctalk-system-soctalk-system-pre-upgrade-data'), n);
    assert.notEqual(n, snapshotName('release_soctalk-system_soctalk-system-pre-upgrade', 'data-soctalk-system-postgres-1'));
  });

  it('long names: at most 63 characters, DNS-safe, distinct per PVC even when only the end differs', () => {
    const prefix = 'release_tenant-with-a-very-long-name-indeed_soctalk-tenant-with-a-long-release-name-pre-upgrade';
    const names = ['data-soctalk-adapter-0', 'data-soctalk-adapter-1', 'wazuh-bridge-state', 'x'].map((pvc) => snapshotName(prefix, pvc));
    for (const n of names) {
      assert.ok(n.length <= 63, `${n} is ${n.length} characters`);
      assert.match(n, DNS_LABELISH);
    }
    assert.equal(new Set(names).size, names.length);
  });

  it('exactly 63 characters are kept as they are; 64 are shortened', () => {
    const p = 'a'.repeat(50);
    assert.equal(snapshotName(p, 'b'.repeat(12)), `${p}-${'b'.repeat(12)}`);
    const shortened = snapshotName(p, 'b'.repeat(13));
    assert.ok(shortened.length <= 63);
    assert.match(shortened, DNS_LABELISH);
  });

  it('a cut that lands on a dash does not leave a double dash or a trailing dash', () => {
    for (let i = 40; i < 70; i++) {
      const n = snapshotName(`${'p'.repeat(i)}---`, 'q'.repeat(70 - i));
      assert.match(n, DNS_LABELISH, n);
      assert.ok(n.length <= 63, n);
    }
  });
});

describe('snapshot names belong to one run', () => {
  // What the tenant upgrade passes: release, target version and the run ID (UUIDv7: the
  // first characters of two runs close in time are the same, so the whole ID counts).
  const prefix = (runId: string) => `tenant-acme-pre-0-2-1-${runId}`;
  const run1 = '0199a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b';
  const run2 = '0199a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6c';

  it('two runs on one tenant and version get different names, a retry of one run the same', () => {
    const a = snapshotName(prefix(run1), 'soctalk-tenant-data');
    const b = snapshotName(prefix(run2), 'soctalk-tenant-data');
    assert.notEqual(a, b);
    assert.equal(a, snapshotName(prefix(run1), 'soctalk-tenant-data'));
    for (const n of [a, b]) {
      assert.ok(n.length <= 63, n);
      assert.match(n, DNS_LABELISH);
    }
  });

  it('the manifest records the run that took it', () => {
    const m = JSON.parse(volumeSnapshotManifest('tenant-acme', 'snap-1', 'data-0', undefined, { workflowId: 'release:tenant-acme/tenant-acme', runId: run1 })) as {
      metadata: { annotations: Record<string, string> };
    };
    assert.deepEqual(m.metadata.annotations, { [WORKFLOW_ID_ANNOTATION]: 'release:tenant-acme/tenant-acme', [RUN_ID_ANNOTATION]: run1 });
  });
});

describe('volumeSnapshotManifest', () => {
  it('a snapshot.storage.k8s.io/v1 VolumeSnapshot of the PVC, labelled as ours', () => {
    assert.deepEqual(JSON.parse(volumeSnapshotManifest('tenant-acme', 'snap-1', 'data-0', 'csi-snapclass')), {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'snap-1', namespace: 'tenant-acme', labels: { 'app.kubernetes.io/managed-by': 'upgrade-runbooks' } },
      spec: { volumeSnapshotClassName: 'csi-snapclass', source: { persistentVolumeClaimName: 'data-0' } },
    });
  });

  it('without a class: the cluster default (no volumeSnapshotClassName)', () => {
    assert.deepEqual((JSON.parse(volumeSnapshotManifest('ns', 's', 'p')) as { spec: unknown }).spec, { source: { persistentVolumeClaimName: 'p' } });
  });
});
