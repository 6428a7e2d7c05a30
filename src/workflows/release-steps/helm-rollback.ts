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
  timeoutMs: number;
  /** false where a database restore follows and waits for the rollout itself (default true). */
  wait?: boolean;
  /**
   * A Job the upgrade applied with the target image. A Job's pod template is immutable, so
   * where the chart owns it as a plain resource helm rollback fails patching it back
   * ("field is immutable"): it is deleted first, and helm recreates the old revision's Job
   * if that revision has one.
   */
  deleteJobFirst?: string;
  /** Say "nothing to roll back" when the release is still deployed at the revision (the upgrade never applied). */
  skipWhenUnchanged?: boolean;
}

export const helmRollbackName = (release: string, toRevision: number) => `helm rollback ${release} to revision ${toRevision}`;

/** Registers the compensation; returns its name (for `compensations.remove`). */
export function pushHelmRollback(run: Run, c: HelmRollbackCompensation): string {
  const name = helmRollbackName(c.ref.release, c.toRevision);
  run.compensations.push(name, async () => {
    if (c.skipWhenUnchanged) {
      const now = await helmReleaseState(c.ref);
      if (now.status && now.status.revision === c.toRevision && now.status.status === 'deployed') return `nothing to roll back: still at revision ${c.toRevision}`;
    }
    if (c.deleteJobFirst) await deleteMigrationJob({ namespace: c.ref.namespace, kube: c.ref.kube, jobName: c.deleteJobFirst });
    const { helmRollback } = proxyActivities<Activities>(longStepProfile(c.timeoutMs));
    const r = await helmRollback({ ...c.ref, toRevision: c.toRevision, afterRevision: c.toRevision, wait: c.wait ?? true, timeoutMs: c.timeoutMs });
    return r.alreadyDone ? `already at revision ${r.revision}` : `now at revision ${r.revision}`;
  });
  return name;
}
