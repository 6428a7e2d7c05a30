/**
 * Pre-flight on the live release: `helm status` and `helm history` in one read, refusing a
 * release locked in pending-install/upgrade/rollback (an interrupted helm left it there;
 * the activity says how to clear it) and one that is not installed.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ReleaseState } from '../../activities/helm/activities.js';
import type { ReleaseRef } from '../../activities/helm/commands.js';
import { FailureType } from '../../domain/failure-types.js';
import { localReadProfile, readProfile } from '../lib/activity-profiles.js';
import { refuse } from '../lib/errors.js';
import type { Run } from '../lib/run.js';

const remote = proxyActivities<Activities>(readProfile);
const local = proxyLocalActivities<Activities>(localReadProfile);

export type LiveRelease = ReleaseState & { status: NonNullable<ReleaseState['status']> };

export interface LiveReleaseOptions {
  /** What the operator does about a missing release, appended to the refusal ("install it before upgrading"). */
  whenMissing?: string;
  /** Read as a local activity (localReadProfile): for a runbook run many times over, like a fleet's tenant upgrade. */
  local?: boolean;
}

/** The journal line: what helm reports for the release, or that it is not installed. */
export function describeLiveRelease(state: ReleaseState): string {
  const s = state.status;
  if (!s) return 'not installed';
  const chart = s.chartName || s.chartVersion ? `, chart ${[s.chartName, s.chartVersion].filter(Boolean).join('-')}` : '';
  return `revision ${s.revision}, ${s.status}${chart}`;
}

/** Runs the step `name` (as the runbook calls it); throws NotFound when the release is not installed. */
export async function checkLiveRelease(run: Run, name: string, ref: ReleaseRef, options: LiveReleaseOptions = {}): Promise<LiveRelease> {
  const read = options.local ? local : remote;
  const live = await run.step(name, () => read.helmAssertNotLocked(ref), { detail: describeLiveRelease });
  if (!live.exists || !live.status) {
    throw refuse(FailureType.NotFound, `release ${ref.release} is not installed in ${ref.namespace}${options.whenMissing ? `: ${options.whenMissing}` : ''}`);
  }
  return live as LiveRelease;
}
