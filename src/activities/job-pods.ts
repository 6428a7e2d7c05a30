/**
 * While a step waits for a Job, what its pods are doing: phase, restarts and the reason a
 * kubelet gives (ImagePullBackOff, CrashLoopBackOff, Unschedulable, Error...). This goes into
 * the activity's heartbeats, so `runbook status` and the Web UI show why a migration is slow
 * instead of only "running". Read from `kubectl get pods -o json`; fields a kubelet has not
 * reported yet are simply absent.
 */
import type { WaitProgress } from './command.js';
import type { KubeObject } from './kube-json.js';

export type JobPod = NonNullable<WaitProgress['pods']>[number];

interface ContainerStatus {
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
}

interface PodStatus {
  phase?: string;
  reason?: string;
  conditions?: { type?: string; status?: string; reason?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** The label selector of a Job's pods: its own spec.selector, else the job-name label every version sets. */
export function jobPodSelector(job: KubeObject): string {
  const matchLabels = (job.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  const pairs = Object.entries(matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(',') : `job-name=${job.metadata.name}`;
}

/** Why a pod is not simply running: a container's waiting or terminated reason, the pod's own reason, or why it is not scheduled. */
function reasonOf(status: PodStatus): string | undefined {
  const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const waiting = containers.map((c) => c.state?.waiting?.reason).find(Boolean);
  if (waiting) return waiting;
  if (status.phase === 'Failed') {
    const terminated = containers.map((c) => c.state?.terminated).find((t) => t && t.exitCode !== 0);
    if (terminated) return `${terminated.reason ?? 'terminated'}, exit code ${terminated.exitCode ?? '?'}`;
  }
  if (status.reason) return status.reason;
  const unscheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  return unscheduled?.reason;
}

/** `kubectl get pods -o json` items of a Job -> one entry per pod, oldest first. */
export function jobPods(items: readonly KubeObject[]): JobPod[] {
  const sorted = [...items].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  return sorted.map((pod) => {
    const status = (pod.status ?? {}) as PodStatus;
    const restarts = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].reduce((n, c) => n + (c.restartCount ?? 0), 0);
    const reason = reasonOf(status);
    return { name: pod.metadata.name, phase: status.phase ?? 'Unknown', restarts, ...(reason ? { reason } : {}) };
  });
}

/** A pod's state for humans: "Running, 2 restarts (CrashLoopBackOff)". */
export function podState(pod: JobPod): string {
  const restarts = pod.restarts ? `, ${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}` : '';
  return `${pod.phase}${restarts}${pod.reason ? ` (${pod.reason})` : ''}`;
}

/** One pod for humans: "soctalk-alembic-x2k: Running, 2 restarts (CrashLoopBackOff)". */
export function podSummary(pod: JobPod): string {
  return `${pod.name}: ${podState(pod)}`;
}
