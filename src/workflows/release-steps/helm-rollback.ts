/**
 * The helm-rollback compensation every runbook registers before its helm upgrade: back to
 * the revision the run found, run LIFO and uninterruptible by the Run's compensation stack.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReleaseRef } from '../../activities/helm/commands.js';
import { longStepProfile, readProfile, writeProfile } from '../lib/activity-profiles.js';
import type { Run } from '../lib/run.js';

const { helmReleaseState } = proxyActivities<Activities>(readProfile);
const { deleteMigrationJob } = proxyActivities<Activities>(writeProfile);

export interface HelmRollbackCompensation {
  ref: ReleaseRef;
  /** The revision the run found before it changed anything. */
  toRevision: number;
  /** helm's --timeout for the rollback. */
  timeoutMs: number;
  /** false where a database restore follows and waits for the rollout itself (default true). */
  wait?: boolean;
  /**
   * How long the rollback waits for an upgrade still pending (its helm outlived its worker)
   * before it gives up; it never rolls back under one. Added to the activity's budget.
   */
  pendingWaitMs?: number;
  /**
   * A Job the upgrade applied with the target image. A Job's pod template is immutable, so
   * where the chart owns it as a plain resource helm rollback fails patching it back
   * ("field is immutable"): it is deleted first, and helm recreates the old revision's Job
   * if that revision has one.
   */
  deleteJobFirst?: string;
  /** Say "nothing to roll back" when the release is still deployed at the revision (the upgrade never applied). */
  skipWhenUnchanged?: boolean;
  /** Checks where the compensation left the release; its answer is the compensation's report. */
  checkWhereItLeft?: () => Promise<string>;
}

export const helmRollbackName = (release: string, toRevision: number) => `helm rollback ${release} to revision ${toRevision}`;

/** Registers the compensation; returns its name (for `compensations.remove`). */
export function pushHelmRollback(run: Run, c: HelmRollbackCompensation): string {
  const name = helmRollbackName(c.ref.release, c.toRevision);
  run.compensations.push(name, () => rollBack(c));
  return name;
}

async function rollBack(c: HelmRollbackCompensation): Promise<string> {
  // Only the reference: a caller's input object may carry more than the activities take.
  const ref: ReleaseRef = { release: c.ref.release, namespace: c.ref.namespace, kube: c.ref.kube };
  if (c.skipWhenUnchanged) {
    // A step that failed before helm changed anything leaves the release as the run found it.
    const now = await helmReleaseState(ref);
    if (now.status?.revision === c.toRevision && now.status.status === 'deployed') {
      return c.checkWhereItLeft ? `nothing to roll back (still revision ${c.toRevision}): ${await c.checkWhereItLeft()}` : `nothing to roll back: still at revision ${c.toRevision}`;
    }
  }
  if (c.deleteJobFirst) await deleteMigrationJob({ namespace: ref.namespace, kube: ref.kube, jobName: c.deleteJobFirst });
  const pendingWaitMs = c.pendingWaitMs ?? 0;
  const { helmRollback } = proxyActivities<Activities>(longStepProfile(c.timeoutMs + pendingWaitMs));
  const r = await helmRollback({
    ...ref,
    toRevision: c.toRevision,
    afterRevision: c.toRevision,
    wait: c.wait ?? true,
    timeoutMs: c.timeoutMs,
    ...(c.pendingWaitMs !== undefined ? { pendingWaitMs } : {}),
  });
  if (!c.checkWhereItLeft) return `now at revision ${r.revision}`;
  return `${r.alreadyDone ? 'already rolled back' : 'rolled back'}: ${await c.checkWhereItLeft()}`;
}
