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

export function backupStepProfile(timeoutMs: number): ActivityOptions {
  return { ...longStepProfile(timeoutMs), heartbeatTimeout: '5s', cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
}
