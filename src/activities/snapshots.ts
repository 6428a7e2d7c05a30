/**
 * VolumeSnapshots of PVCs ("Snapshot Postgres + all tenant PVCs", "Snapshot tenant PVCs
 * first") and their restore. Snapshot names derive from the caller's prefix, which names the
 * run (workflow ID and run ID): a retried activity finds the snapshots it already made, and
 * the next run on the release makes its own. Each snapshot records its run in annotations;
 * one made by another run is refused, never adopted. Clusters that do not serve
 * snapshot.storage.k8s.io are reported, not failed: the caller decides.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import type { KubeTarget } from '../domain/kube-target.js';
import type { CommandRunner } from './command.js';
import { getList, getObject } from './kube-json.js';
import {
  kubectlAnnotateArgs,
  kubectlApiResourcesArgs,
  kubectlApplyStdinArgs,
  kubectlDeleteArgs,
  kubectlRolloutStatusArgs,
  kubectlScaleArgs,
  kubectlWaitArgs,
  type Scope,
} from './kubectl/commands.js';
import { currentRun, currentRunContext } from './run-context.js';

export interface SnapshotRef {
  name: string;
  pvc: string;
  /** The run that took it (absent outside an activity and in histories from before). */
  runId?: string;
}

/** Which run made a snapshot: recorded on the VolumeSnapshot itself. */
export const WORKFLOW_ID_ANNOTATION = 'upgrade-runbooks.io/workflow-id';
export const RUN_ID_ANNOTATION = 'upgrade-runbooks.io/run-id';

export interface SnapshotRequest {
  namespace: string;
  kube: KubeTarget;
  /** Label selector of the PVCs to snapshot. */
  selector: string;
  namePrefix: string;
  snapshotClass?: string;
  timeoutMs: number;
}

export interface RestoreRequest {
  namespace: string;
  kube: KubeTarget;
  snapshots: SnapshotRef[];
  /** Workloads using the PVCs ("deployment/soctalk-adapter"): scaled to 0 during the restore. */
  workloads: string[];
  timeoutMs: number;
}

const SNAPSHOT_RESOURCE = 'volumesnapshots.snapshot.storage.k8s.io';
const REPLICAS_ANNOTATION = 'upgrade-runbooks.io/replicas-before-restore';

/** A DNS-1123 name of at most 63 characters, stable for the same inputs. */
export function snapshotName(prefix: string, pvc: string): string {
  const raw = `${prefix}-${pvc}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (raw.length <= 63) return raw;
  let hash = 0;
  for (const ch of raw) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `${raw.slice(0, 54).replace(/-+$/, '')}-${hash.toString(36).padStart(7, '0').slice(0, 8)}`;
}

export function volumeSnapshotManifest(namespace: string, name: string, pvc: string, snapshotClass?: string, run?: { workflowId: string; runId: string }): string {
  return JSON.stringify({
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'upgrade-runbooks' },
      ...(run ? { annotations: { [WORKFLOW_ID_ANNOTATION]: run.workflowId, [RUN_ID_ANNOTATION]: run.runId } } : {}),
    },
    spec: { ...(snapshotClass ? { volumeSnapshotClassName: snapshotClass } : {}), source: { persistentVolumeClaimName: pvc } },
  });
}

export function createSnapshotActivities({ runner }: { runner: CommandRunner }) {
  return {
    async snapshotVolumes(input: SnapshotRequest): Promise<{ snapshots: SnapshotRef[]; unsupported?: string }> {
      const ctx = currentRunContext();
      const resources = await runner.run({ tool: 'kubectl', args: kubectlApiResourcesArgs(input.kube), mutates: false }, ctx);
      if (!resources.stdout.split('\n').some((l) => l.trim() === SNAPSHOT_RESOURCE)) {
        return { snapshots: [], unsupported: 'the cluster does not serve snapshot.storage.k8s.io/v1 VolumeSnapshots' };
      }
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const pvcs = await getList(runner, scope, 'persistentvolumeclaims', input.selector);
      const run = currentRun();
      const snapshots: SnapshotRef[] = [];
      for (const pvc of pvcs) {
        const name = snapshotName(input.namePrefix, pvc.metadata.name);
        const existing = await getObject(runner, scope, 'volumesnapshot', name);
        const owner = existing?.metadata.annotations?.[RUN_ID_ANNOTATION];
        if (run && owner !== undefined && owner !== run.runId) {
          throw ApplicationFailure.create({
            type: FailureType.InvalidInput,
            nonRetryable: true,
            message: `VolumeSnapshot ${input.namespace}/${name} already exists and belongs to run ${owner}, not to this run (${run.runId}); it is not reused`,
          });
        }
        // Existing snapshot of an earlier attempt of this run: keep it (apply is a no-op on an identical spec).
        await runner.run(
          { tool: 'kubectl', args: kubectlApplyStdinArgs(scope), input: volumeSnapshotManifest(input.namespace, name, pvc.metadata.name, input.snapshotClass, run), mutates: true },
          ctx,
        );
        snapshots.push({ name, pvc: pvc.metadata.name, ...(run ? { runId: run.runId } : {}) });
      }
      for (const s of snapshots) {
        await runner.run(
          {
            tool: 'kubectl',
            args: kubectlWaitArgs(scope, `volumesnapshot/${s.name}`, 'jsonpath={.status.readyToUse}=true', input.timeoutMs),
            mutates: false,
            timeoutMs: input.timeoutMs + 30_000,
          },
          ctx,
        );
      }
      return { snapshots };
    },

    /**
     * Recreates each PVC from its snapshot: workloads scaled to 0 (replicas remembered in an
     * annotation for retries), PVC deleted and created again with the snapshot as its
     * dataSource, workloads scaled back and rolled out.
     */
    async restoreVolumes(input: RestoreRequest): Promise<{ restored: string[] }> {
      const ctx = currentRunContext();
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const replicas = new Map<string, number>();
      for (const w of input.workloads) {
        const [kind, name] = w.split('/') as [string, string];
        const obj = await getObject(runner, scope, kind, name);
        if (!obj) continue;
        const remembered = obj.metadata.annotations?.[REPLICAS_ANNOTATION];
        const count = remembered !== undefined ? Number(remembered) : Number((obj.spec as { replicas?: number }).replicas ?? 1);
        replicas.set(w, count);
        await runner.run({ tool: 'kubectl', args: kubectlAnnotateArgs(scope, w, `${REPLICAS_ANNOTATION}=${count}`), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlScaleArgs(scope, w, 0), mutates: true }, ctx);
      }
      const restored: string[] = [];
      for (const s of input.snapshots) {
        const pvc = await getObject(runner, scope, 'persistentvolumeclaim', s.pvc);
        const snapshot = await getObject(runner, scope, 'volumesnapshot', s.name);
        if (!snapshot) {
          throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `VolumeSnapshot ${input.namespace}/${s.name} does not exist` });
        }
        const dataSource = (pvc?.spec as { dataSource?: { name?: string } } | undefined)?.dataSource;
        if (pvc && dataSource?.name === s.name) {
          restored.push(s.pvc); // restored by an earlier attempt
          continue;
        }
        const spec = (pvc?.spec ?? {}) as { accessModes?: string[]; resources?: unknown; storageClassName?: string; volumeMode?: string };
        const restoredSize = (snapshot.status as { restoreSize?: string } | undefined)?.restoreSize;
        const manifest = JSON.stringify({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: s.pvc, namespace: input.namespace, labels: pvc?.metadata.labels ?? {}, annotations: pvc?.metadata.annotations ?? {} },
          spec: {
            accessModes: spec.accessModes ?? ['ReadWriteOnce'],
            resources: spec.resources ?? { requests: { storage: restoredSize ?? '1Gi' } },
            ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
            ...(spec.volumeMode ? { volumeMode: spec.volumeMode } : {}),
            dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: s.name },
          },
        });
        await runner.run({ tool: 'kubectl', args: kubectlDeleteArgs(scope, 'persistentvolumeclaim', s.pvc), mutates: true, timeoutMs: input.timeoutMs }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlApplyStdinArgs(scope), input: manifest, mutates: true }, ctx);
        restored.push(s.pvc);
      }
      for (const [w, count] of replicas) {
        await runner.run({ tool: 'kubectl', args: kubectlScaleArgs(scope, w, count), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlAnnotateArgs(scope, w, `${REPLICAS_ANNOTATION}-`), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlRolloutStatusArgs(scope, w, input.timeoutMs), mutates: false, timeoutMs: input.timeoutMs + 30_000 }, ctx);
      }
      return { restored };
    },
  };
}
