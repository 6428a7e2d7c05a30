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
