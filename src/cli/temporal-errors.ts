/**
 * The client's errors as operators should read them, with the exit code for each. The
 * mapping follows the chat-ops service's (src/chatops/run-control.ts): a validator's
 * refusal is shown as its reason, a finished or unknown run as not found.
 */
import {
  type Client,
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
} from '@temporalio/client';
import { CliError, ExitCode } from './exit-codes.js';

export function toCliError(err: unknown, runId: string, timeoutMs: number): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    // The validator's error is the cause; its message is the reason to show.
    const reason = err.cause?.message || err.message;
    const unhandled = /^No registered handler for update: (.+)$/.exec(reason);
    if (unhandled) return new CliError(ExitCode.Refused, `refused: run ${runId} does not take "${unhandled[1]}" (its runbook has no such decision)`);
    return new CliError(ExitCode.Refused, `refused: ${reason}`);
  }
  if (err instanceof WorkflowNotFoundError) {
    return new CliError(ExitCode.NotFoundOrConflict, `run ${runId} was not found, or it has already finished`);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new CliError(ExitCode.NotFoundOrConflict, `a run with ID ${runId} is already running: see \`runbook status ${runId}\``);
  }
  if (err instanceof QueryNotRegisteredError) {
    return new CliError(ExitCode.NotFoundOrConflict, `run ${runId} does not answer the status query: is it a runbook workflow?`);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
    return new CliError(
      ExitCode.Failed,
      `run ${runId} did not answer within ${Math.round(timeoutMs / 1000)}s (is a worker running on its task queue?); a decision may still be applied: check \`runbook status ${runId}\``,
    );
  }
  return new CliError(ExitCode.Failed, err instanceof Error ? err.message : String(err));
}

/** Runs one call against a run with a deadline, translating the client's errors. */
export async function callRun<T>(client: Client, runId: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await client.withDeadline(Date.now() + timeoutMs, call);
  } catch (err) {
    throw toCliError(err, runId, timeoutMs);
  }
}
