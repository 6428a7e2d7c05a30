/**
 * Named activity-option profiles. Reads are cheap and retried often; long steps (helm
 * --wait, Job waits) heartbeat so a lost worker is noticed in a minute, and get a
 * start-to-close budget just above their own timeout.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { FailureType } from '../../domain/failure-types.js';

/** Failures that retrying cannot fix, whatever the activity thought. */
const PERMANENT = [FailureType.InvalidInput, FailureType.CommandNotFound, FailureType.NotFound, FailureType.InvalidValues, FailureType.Forbidden];

export const readProfile = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: PERMANENT },
} as const satisfies ActivityOptions;

/**
 * Short reads (helm status, the compatibility matrix, the cluster's API versions) as local
 * activities: the worker runs them inside the workflow task that asks, so a run of reads
 * costs one workflow task and one marker event each instead of a task and three events
 * each. The same retries as a read; no heartbeat, so only for reads that take seconds (a
 * local activity holds its workflow task while it runs).
 */
export const localReadProfile = {
  startToCloseTimeout: '1m',
  retry: readProfile.retry,
} as const satisfies LocalActivityOptions;

export const notifyProfile = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/** For a step bounded by its own timeout (helm --timeout, Job wait): budget = timeout + 2m. */
export function longStepProfile(timeoutMs: number): ActivityOptions {
  return {
    startToCloseTimeout: timeoutMs + 2 * 60_000,
    heartbeatTimeout: '1m',
    retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 3, nonRetryableErrorTypes: PERMANENT },
  };
}

/** Writes that must not repeat blindly (the activity itself checks state first). */
export const writeProfile = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 4, nonRetryableErrorTypes: PERMANENT },
} as const satisfies ActivityOptions;
