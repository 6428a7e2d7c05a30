/**
 * While `helm upgrade --wait` blocks, what it waits for: the release's workloads and their
 * ready/desired replicas, read in parallel with kubectl and merged into the activity's
 * heartbeats (so `runbook status` and the Web UI can show it). The release's workloads are
 * the ones helm annotates as its own (meta.helm.sh/release-name and -namespace), so nothing
 * is assumed about the chart's names.
 *
 * A workload's own ready count includes the old pods: during a rolling update of one replica
 * a Deployment says 1/1 while helm still waits for the new pod. So `ready` counts new pods
 * only: a Deployment's is that of its current ReplicaSet (the one at its revision); a
 * StatefulSet or DaemonSet reports no per-revision ready count, so theirs is a lower bound
 * (newReadyAtLeast), never more than the new pods that are really ready.
 */
import type { CommandRunner, WaitProgress } from '../command.js';
import { kubectlGetJsonArgs } from '../kubectl/commands.js';
import type { ReleaseRef } from './commands.js';

type Workload = NonNullable<WaitProgress['workloads']>[number];

interface KubeObject {
  kind?: string;
  metadata?: { name?: string; uid?: string; generation?: number; annotations?: Record<string, string>; ownerReferences?: { kind?: string; uid?: string }[] };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    numberReady?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** The release's workload kinds, and the ReplicaSets that tell a Deployment's new pods from its old ones. */
export const WORKLOAD_KINDS = 'deployments,statefulsets,daemonsets,replicasets';

const REVISION = 'deployment.kubernetes.io/revision';

/** The controller has not seen the latest spec yet: its counts are of the previous one. */
const staleStatus = (o: KubeObject): boolean => o.metadata?.generation !== undefined && (o.status?.observedGeneration ?? 0) < o.metadata.generation;

/**
 * Ready pods of the Deployment's current revision. Before its controller has seen the new
 * spec (observedGeneration behind) no new pod exists yet: 0. Without a ReplicaSet at its
 * revision (an API server without the controller's annotations), the Deployment's own count.
 */
function newPodsReady(deployment: KubeObject, replicaSets: readonly KubeObject[]): number {
  const m = deployment.metadata ?? {};
  if (staleStatus(deployment)) return 0;
  const revision = m.annotations?.[REVISION];
  const current =
    revision === undefined
      ? undefined
      : replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION] === revision && rs.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.uid === m.uid));
  return current ? (current.status?.readyReplicas ?? 0) : (deployment.status?.readyReplicas ?? 0);
}

/**
 * New pods ready, at least: of `ready` pods (old and new), as many as could be old (every pod
 * not yet updated) are taken off. Exact once the rollout has replaced every pod; during it,
 * an old pod that is not ready makes it count low, never high.
 */
export function newReadyAtLeast(ready: number, desired: number, updated: number): number {
  const notUpdated = Math.max(0, desired - updated);
  return Math.max(0, Math.min(updated, ready - notUpdated));
}

/** `kubectl get deployments,statefulsets,daemonsets,replicasets -o json` -> the release's workloads. */
export function releaseWorkloads(json: string, ref: Pick<ReleaseRef, 'release' | 'namespace'>): Workload[] {
  let list: { items?: KubeObject[] };
  try {
    list = JSON.parse(json) as { items?: KubeObject[] };
  } catch {
    return [];
  }
  const out: Workload[] = [];
  const replicaSets = (list.items ?? []).filter((o) => o.kind === 'ReplicaSet');
  for (const o of list.items ?? []) {
    const a = o.metadata?.annotations ?? {};
    if (a['meta.helm.sh/release-name'] !== ref.release || (a['meta.helm.sh/release-namespace'] ?? ref.namespace) !== ref.namespace) continue;
    const name = o.metadata?.name ?? '?';
    const s = o.status ?? {};
    if (o.kind === 'DaemonSet') {
      const [desired, updated] = [s.desiredNumberScheduled ?? 0, staleStatus(o) ? 0 : (s.updatedNumberScheduled ?? 0)];
      out.push({ kind: o.kind, name, ready: newReadyAtLeast(s.numberReady ?? 0, desired, updated), desired, updated });
    } else if (o.kind === 'Deployment') {
      out.push({ kind: o.kind, name, ready: newPodsReady(o, replicaSets), desired: o.spec?.replicas ?? 1, updated: s.updatedReplicas ?? 0 });
    } else if (o.kind === 'StatefulSet') {
      const [desired, updated] = [o.spec?.replicas ?? 1, staleStatus(o) ? 0 : (s.updatedReplicas ?? 0)];
      // Every pod on the update revision (the controller says so): all ready pods are new.
      const done = !staleStatus(o) && s.updateRevision !== undefined && s.currentRevision === s.updateRevision;
      out.push({ kind: o.kind, name, ready: done ? Math.min(s.readyReplicas ?? 0, desired) : newReadyAtLeast(s.readyReplicas ?? 0, desired, updated), desired, updated });
    }
  }
  return out.sort((x, y) => `${x.kind}/${x.name}`.localeCompare(`${y.kind}/${y.name}`));
}

export interface ProgressWatch {
  progress(): WaitProgress;
  stop(): Promise<void>;
}

/**
 * Polls the release's workloads every `intervalMs` until stopped. A failed read keeps the
 * last good one: progress is informative, it never fails the upgrade.
 */
export function watchReleaseWorkloads(runner: CommandRunner, ref: ReleaseRef, waitingFor: string, intervalMs = 5_000): ProgressWatch {
  let latest: Workload[] | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const read = async () => {
    try {
      const out = await runner.run({ tool: 'kubectl', args: kubectlGetJsonArgs({ namespace: ref.namespace, kube: ref.kube }, WORKLOAD_KINDS), mutates: false, timeoutMs: 30_000, quiet: true });
      if (out.exitCode === 0) latest = releaseWorkloads(out.stdout, ref);
    } catch {
      // Keep the last reading.
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await read();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
    }
  })();
  return {
    progress: () => ({ waitingFor, ...(latest ? { workloads: latest } : {}) }),
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
