/**
 * Where a workflow's time went, read from its history's event times: the activities' own
 * run time, how long activity tasks and workflow tasks waited in their queues for a worker,
 * and how long the worker held each workflow task. The overhead benchmark prints it for a
 * sample of tenants, so a missed target says which of the four grew.
 */
import type proto from '@temporalio/proto';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

export interface HistoryTiming {
  /** First event to last. */
  wallMs: number;
  /** Activity started to completed, summed. */
  activityRunMs: number;
  /** Activity scheduled to started (waiting for an activity poller), summed. */
  activityQueueMs: number;
  /** Workflow task scheduled to started (waiting for a workflow poller), summed. */
  workflowTaskQueueMs: number;
  /** Workflow task started to completed (the worker running workflow code), summed. */
  workflowTaskRunMs: number;
  workflowTasks: number;
  /** Timer started to fired (a sleep's own length plus how late the server fired it), summed. */
  timerMs: number;
  /** Child workflow start initiated to started, summed. */
  childStartMs: number;
}

const ms = (ev: HistoryEvent | undefined): number => {
  const t = ev?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0;
};

/** How many events of each type a history holds ("WorkflowTaskCompleted": 5, ...), most first. */
export function eventTypes(events: HistoryEvent[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const ev of events) {
    const key = Object.keys(ev).find((k) => k.endsWith('EventAttributes') && ev[k as keyof HistoryEvent]);
    const name = key ? key.replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase()) : 'Unknown';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

export function historyTiming(events: HistoryEvent[]): HistoryTiming {
  const byId = new Map(events.map((ev) => [Number(ev.eventId), ev]));
  const timing: HistoryTiming = { wallMs: ms(events.at(-1)) - ms(events[0]), activityRunMs: 0, activityQueueMs: 0, workflowTaskQueueMs: 0, workflowTaskRunMs: 0, workflowTasks: 0, timerMs: 0, childStartMs: 0 };
  for (const ev of events) {
    const activityStarted = ev.activityTaskStartedEventAttributes;
    if (activityStarted) timing.activityQueueMs += ms(ev) - ms(byId.get(Number(activityStarted.scheduledEventId)));
    const activityCompleted = ev.activityTaskCompletedEventAttributes;
    if (activityCompleted) timing.activityRunMs += ms(ev) - ms(byId.get(Number(activityCompleted.startedEventId)));
    const taskStarted = ev.workflowTaskStartedEventAttributes;
    if (taskStarted) timing.workflowTaskQueueMs += ms(ev) - ms(byId.get(Number(taskStarted.scheduledEventId)));
    const taskCompleted = ev.workflowTaskCompletedEventAttributes;
    if (taskCompleted) {
      timing.workflowTaskRunMs += ms(ev) - ms(byId.get(Number(taskCompleted.startedEventId)));
      timing.workflowTasks += 1;
    }
    const timerFired = ev.timerFiredEventAttributes;
    if (timerFired) timing.timerMs += ms(ev) - ms(byId.get(Number(timerFired.startedEventId)));
    const childStarted = ev.childWorkflowExecutionStartedEventAttributes;
    if (childStarted) timing.childStartMs += ms(ev) - ms(byId.get(Number(childStarted.initiatedEventId)));
  }
  return timing;
}

const KEYS = ['wallMs', 'activityRunMs', 'activityQueueMs', 'workflowTaskQueueMs', 'workflowTaskRunMs', 'workflowTasks', 'timerMs', 'childStartMs'] as const;

/** Each figure summed over several histories (a workflow's generations, say). */
export function sumTiming(timings: HistoryTiming[]): HistoryTiming {
  return Object.fromEntries(KEYS.map((k) => [k, timings.reduce((n, t) => n + t[k], 0)])) as Record<(typeof KEYS)[number], number>;
}

/** The mean of each figure over several histories. */
export function meanTiming(timings: HistoryTiming[]): HistoryTiming {
  const sum = sumTiming(timings);
  return Object.fromEntries(KEYS.map((k) => [k, sum[k] / Math.max(1, timings.length)])) as Record<(typeof KEYS)[number], number>;
}
