/**
 * Activity options for the backup step. An abort must stop pg_dump within seconds, and the
 * run may report "nothing was changed" only once the dump has really stopped and its
 * partial output is gone: a short heartbeat timeout (cancellation reaches an activity on
 * its heartbeats, which the SDK sends at most every 0.8 x this timeout; the dump heartbeats
 * every second) and WAIT_CANCELLATION_COMPLETED (the workflow waits for the activity to
 * acknowledge the cancellation instead of moving on at once).
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { longStepProfile } from '../lib/activity-profiles.js';

/**
 * How long the run may still restore the backup it takes: every wait and step that can come
 * after it, each at its own timeout. Retention keeps the backup at least that long.
 */
export function backupHoldMs(input: { approval: { timeout: number }; timeouts: { migration: number; upgrade: number; rollback: number; backup: number; verify: number } }): number {
  const t = input.timeouts;
  // The restore itself runs under the backup timeout; a second one covers its retries.
  return input.approval.timeout + t.migration + t.upgrade + t.verify + t.rollback + 2 * t.backup;
}

export function backupStepProfile(timeoutMs: number): ActivityOptions {
  return { ...longStepProfile(timeoutMs), heartbeatTimeout: '5s', cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
}
