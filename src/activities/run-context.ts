import { Context } from '@temporalio/activity';
import type { RunContext } from './command.js';

/**
 * The running activity's cancellation signal and heartbeat, or nothing when called
 * outside an activity (scripts, unit tests).
 */
export function currentRunContext(): RunContext {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return {};
  }
  return { signal: context.cancellationSignal, heartbeat: (details) => context.heartbeat(details) };
}

/** The run this activity works for, or nothing outside an activity (scripts, unit tests). */
export function currentRun(): { workflowId: string; runId: string } | undefined {
  try {
    const execution = Context.current().info.workflowExecution;
    return execution ? { workflowId: execution.workflowId, runId: execution.runId } : undefined;
  } catch {
    return undefined;
  }
}
