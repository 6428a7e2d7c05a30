// The simulated storage driver of the KWOK bench cluster. KWOK has no kubelet and no CSI
// driver, yet the runbooks snapshot PVCs and `helm --wait` waits for PVCs to be Bound. This
// controller stands in for the CSI external-provisioner and snapshotter of one fake driver
// (the class in test/fixtures/crds/storage-classes.yaml):
//   - a Pending PVC of its StorageClass gets a PV (the PV controller then binds it); a PV
//     it provisioned is deleted once Released, as the reclaim policy says;
//   - a VolumeSnapshot of its class gets a VolumeSnapshotContent and both are marked
//     readyToUse through the status subresource; a snapshot of a missing PVC gets
//     status.error instead; contents of deleted snapshots are removed.
// It polls (every 500 ms) rather than watches: simpler, and cheap at bench scale.
//
// Run by scripts/kwok-cluster.sh:  node --import tsx test/helpers/snapshot-controller.ts <kubeconfig>
// It exits on its own when the API server has been unreachable for a minute, so a cluster
// that disappears without `delete` does not leave it behind.
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeClient, type KubeRequest } from './kube-api.js';

export const SIMULATED_DRIVER = 'simulated.upgrade-runbooks.test';
const SNAP = '/apis/snapshot.storage.k8s.io/v1';
const MERGE = 'application/merge-patch+json';

interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}
interface Obj<S = Record<string, unknown>, T = Record<string, unknown>> {
  metadata: Meta;
  spec: S;
  status?: T;
}
type Pvc = Obj<
  {
    storageClassName?: string;
    volumeName?: string;
    accessModes?: string[];
    resources?: { requests?: { storage?: string } };
    dataSource?: { kind?: string; name?: string };
  },
  { phase?: string }
>;
type Snapshot = Obj<
  { volumeSnapshotClassName?: string; source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string } },
  { readyToUse?: boolean; error?: unknown }
>;
interface List<T> {
  items: T[];
}

/** Binary quantity ("1Gi", "500Mi", "1G") to bytes, for restoreSize. */
function bytes(quantity = '0'): number {
  const m = /^(\d+(?:\.\d+)?)([KMGTP]i?)?$/.exec(quantity);
  if (!m) return 0;
  const powers: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
  return Math.round(Number(m[1]) * (m[2] ? (powers[m[2]] ?? 1) : 1));
}

async function list<T>(kube: KubeRequest, path: string): Promise<T[]> {
  const res = await kube<List<T>>('GET', path);
  if (res.status === 404) return []; // CRDs not installed yet
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.body.items;
}

async function ensureOk(res: Promise<{ status: number; body: unknown }>, what: string, okStatuses = [200, 201, 409]) {
  const r = await res;
  if (!okStatuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

/** One pass over PVCs and PVs. */
async function reconcileVolumes(kube: KubeRequest): Promise<void> {
  const classes = await list<{ metadata: Meta; provisioner: string }>(kube, '/apis/storage.k8s.io/v1/storageclasses');
  const ours = new Set(classes.filter((c) => c.provisioner === SIMULATED_DRIVER).map((c) => c.metadata.name));
  const snapshots = new Map(
    (await list<Snapshot>(kube, `${SNAP}/volumesnapshots`)).map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]),
  );
  for (const pvc of await list<Pvc>(kube, '/api/v1/persistentvolumeclaims')) {
    const { spec, metadata: m } = pvc;
    if (pvc.status?.phase !== 'Pending' || spec.volumeName || !spec.storageClassName || !ours.has(spec.storageClassName)) continue;
    // A PVC restored from a snapshot waits for the snapshot, as a real provisioner does.
    if (spec.dataSource?.kind === 'VolumeSnapshot' && !snapshots.get(`${m.namespace}/${spec.dataSource.name}`)?.status?.readyToUse) continue;
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pvc-${m.uid}`, annotations: { 'pv.kubernetes.io/provisioned-by': SIMULATED_DRIVER } },
      spec: {
        capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
        accessModes: spec.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: spec.storageClassName,
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid },
        csi: { driver: SIMULATED_DRIVER, volumeHandle: `vol-${m.uid}` },
      },
    };
    await ensureOk(kube('POST', '/api/v1/persistentvolumes', pv), `create PV for ${m.namespace}/${m.name}`);
  }
  type Pv = Obj<Record<string, unknown>, { phase?: string }>;
  for (const pv of await list<Pv>(kube, '/api/v1/persistentvolumes')) {
    if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] === SIMULATED_DRIVER && pv.status?.phase === 'Released') {
      await ensureOk(kube('DELETE', `/api/v1/persistentvolumes/${pv.metadata.name}`), `delete PV ${pv.metadata.name}`, [200, 202, 404]);
    }
  }
}

/** One pass over VolumeSnapshots and VolumeSnapshotContents. */
async function reconcileSnapshots(kube: KubeRequest): Promise<void> {
  const classes = await list<{ metadata: Meta; driver: string; deletionPolicy: string }>(kube, `${SNAP}/volumesnapshotclasses`);
  const byName = new Map(classes.map((c) => [c.metadata.name, c]));
  const defaultClass = classes.find(
    (c) => c.driver === SIMULATED_DRIVER && c.metadata.annotations?.['snapshot.storage.kubernetes.io/is-default-class'] === 'true',
  );
  const snapshots = await list<Snapshot>(kube, `${SNAP}/volumesnapshots`);
  const now = new Date();
  for (const vs of snapshots) {
    const m = vs.metadata;
    const cls = vs.spec.volumeSnapshotClassName ? byName.get(vs.spec.volumeSnapshotClassName) : defaultClass;
    if (vs.status?.readyToUse || !cls || cls.driver !== SIMULATED_DRIVER) continue;
    const statusPath = `${SNAP}/namespaces/${m.namespace}/volumesnapshots/${m.name}/status`;
    const source = vs.spec.source;
    let contentName = source.volumeSnapshotContentName;
    let size = 0;
    if (source.persistentVolumeClaimName) {
      const pvc = await kube<Pvc>('GET', `/api/v1/namespaces/${m.namespace}/persistentvolumeclaims/${source.persistentVolumeClaimName}`);
      if (pvc.status !== 200 || pvc.body.status?.phase !== 'Bound') {
        const message = `PVC ${source.persistentVolumeClaimName} is ${pvc.status === 404 ? 'missing' : 'not bound'}`;
        if ((vs.status?.error as { message?: string } | undefined)?.message === message) continue; // already said so
        await ensureOk(kube('PATCH', statusPath, { status: { readyToUse: false, error: { message, time: now.toISOString() } } }, MERGE), `error ${m.name}`, [200]);
        continue;
      }
      size = bytes(pvc.body.spec.resources?.requests?.storage);
      contentName = `snapcontent-${m.uid}`;
      const content = {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotContent',
        metadata: { name: contentName },
        spec: {
          deletionPolicy: cls.deletionPolicy,
          driver: SIMULATED_DRIVER,
          volumeSnapshotClassName: cls.metadata.name,
          source: { volumeHandle: pvc.body.spec.volumeName ?? `vol-${pvc.body.metadata.uid}` },
          volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', namespace: m.namespace, name: m.name, uid: m.uid },
        },
      };
      await ensureOk(kube('POST', `${SNAP}/volumesnapshotcontents`, content), `create ${contentName}`);
      const contentStatus = { readyToUse: true, creationTime: now.getTime() * 1e6, restoreSize: size, snapshotHandle: `snap-${m.uid}` };
      await ensureOk(kube('PATCH', `${SNAP}/volumesnapshotcontents/${contentName}/status`, { status: contentStatus }, MERGE), `ready ${contentName}`, [200]);
    }
    const status = { boundVolumeSnapshotContentName: contentName, creationTime: now.toISOString(), readyToUse: true, restoreSize: String(size), error: null };
    await ensureOk(kube('PATCH', statusPath, { status }, MERGE), `ready ${m.namespace}/${m.name}`, [200]);
  }
  // Contents whose dynamic snapshot is gone follow their deletion policy.
  const live = new Set(snapshots.map((s) => s.metadata.uid));
  type Content = Obj<{ deletionPolicy: string; driver: string; volumeSnapshotRef: { uid?: string } }>;
  for (const c of await list<Content>(kube, `${SNAP}/volumesnapshotcontents`)) {
    const ref = c.spec.volumeSnapshotRef.uid;
    if (c.spec.driver === SIMULATED_DRIVER && c.spec.deletionPolicy === 'Delete' && ref && !live.has(ref) && c.metadata.name === `snapcontent-${ref}`) {
      await ensureOk(kube('DELETE', `${SNAP}/volumesnapshotcontents/${c.metadata.name}`), `delete ${c.metadata.name}`, [200, 202, 404]);
    }
  }
}

export interface SnapshotController {
  stop(): Promise<void>;
}

/** Runs the reconcile loop in this process until stop(); errors are logged and retried. */
export function startSnapshotController(
  kubeconfig: string,
  { intervalMs = 500, giveUpAfterMs = 60_000, log = (msg: string) => console.error(msg) } = {},
): SnapshotController & { done: Promise<void> } {
  const kube = kubeClient(kubeconfig);
  let stopped = false;
  const done = (async () => {
    let failingSince: number | undefined;
    while (!stopped) {
      try {
        await reconcileVolumes(kube);
        await reconcileSnapshots(kube);
        failingSince = undefined;
      } catch (err) {
        failingSince ??= Date.now();
        log(`[snapshot-controller] ${(err as Error).message}`);
        if (Date.now() - failingSince > giveUpAfterMs) throw new Error('API server unreachable for too long; giving up');
      }
      await sleep(intervalMs);
    }
  })();
  return {
    done,
    async stop() {
      stopped = true;
      await done.catch(() => undefined);
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) {
    console.error('usage: snapshot-controller.ts <kubeconfig>');
    process.exit(2);
  }
  const controller = startSnapshotController(kubeconfig);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void controller.stop().then(() => process.exit(0)));
  controller.done.then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`[snapshot-controller] ${err.message}`);
      process.exit(1);
    },
  );
}
