/**
 * Pre-flight on the live release: `helm status` and `helm history` in one read, refusing a
 * release locked in pending-install/upgrade/rollback (an interrupted helm left it there;
 * the activity says how to clear it) and one that is not installed.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReleaseState } from '../../activities/helm/activities.js';
import type { ReleaseRef } from '../../activities/helm/commands.js';
import { FailureType } from '../../domain/failure-types.js';
import { readProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import type { Run } from '../lib/run.js';

const { helmAssertNotLocked } = proxyActivities<Activities>(readProfile);

export type LiveRelease = ReleaseState & { status: NonNullable<ReleaseState['status']> };

/** Runs the step `name` (as the runbook calls it); throws NotFound when the release is not installed. */
export async function checkLiveRelease(run: Run, name: string, ref: ReleaseRef): Promise<LiveRelease> {
  const live = await run.step(name, () => helmAssertNotLocked(ref), {
    detail: (s) => (s.status ? `revision ${s.status.revision}, ${s.status.status}` : 'not installed'),
  });
  if (!live.exists || !live.status) throw refuse(FailureType.NotFound, `release ${ref.release} is not installed in ${ref.namespace}`);
  return live as LiveRelease;
}
