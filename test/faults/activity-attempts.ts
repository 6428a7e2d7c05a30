// How an activity of a run was finally carried out, read from the run's history. Temporal
// writes a retried activity's started event only for the attempt that ended it, with that
// attempt's number, the worker that ran it and why the attempt before it failed: exactly
// what a test needs to show that a killed worker's step was taken over.
import type { WorkflowHandle } from '@temporalio/client';

export interface FinalAttempt {
  attempt: number;
  /** The worker identity that ran the final attempt. */
  identity: string;
  /** Why the previous attempt failed ("" for a first attempt), e.g. a heartbeat timeout. */
  lastFailure: string;
}

/** The final attempt of the run's (last scheduled) activity of this type. */
export async function finalAttempt(h: WorkflowHandle, activityType: string): Promise<FinalAttempt> {
  const events = (await h.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).at(-1);
  if (!scheduled) throw new Error(`the run ${h.workflowId} scheduled no ${activityType}`);
  const started = events.find((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(scheduled.eventId));
  const attrs = started?.activityTaskStartedEventAttributes;
  if (!attrs) throw new Error(`the run ${h.workflowId}'s ${activityType} has no started event (not ended yet)`);
  const failure = attrs.lastFailure;
  return {
    attempt: attrs.attempt ?? 1,
    identity: attrs.identity ?? '',
    lastFailure: failure?.message ?? '',
  };
}
