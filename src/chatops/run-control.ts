/**
 * What the chat-ops service may do to a run, behind an interface so the HTTP layer can be
 * tested without a Temporal server, and one implementation over @temporalio/client.
 *
 * Decisions go through Updates (not Signals) because the caller must hear the validator's
 * refusal ("schema changes not acknowledged", "nothing waits for approval") in chat.
 */
import { randomUUID } from 'node:crypto';
import {
  type Client,
  type UpdateDefinition,
  QueryNotRegisteredError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcDeadlineError,
} from '@temporalio/client';
import {
  type AbortArgs,
  type DecisionAck,
  type DecisionArgs,
  type PauseArgs,
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  promoteUpdate,
  rejectUpdate,
  resumeUpdate,
  statusQuery,
} from '../workflows/lib/messages.js';
import type { RunStatus } from '../workflows/lib/status.js';

export interface ControlOptions {
  /**
   * Deduplicates the decision on the Temporal side (the Update ID). The service derives it
   * from the signed request, so a replay that reaches another replica, or this one after a
   * restart (when the in-memory replay memory is gone), is not applied twice, and only the
   * attempt that was applied is answered as the decision.
   */
  idempotencyKey?: string;
  /** Who asked, as the chat system names them ("slack:U123"); a relay signs for them. */
  chatUser?: string;
}

/**
 * The run's answer; `alreadyHandled` when this very request (its Update ID) was carried out
 * before, or by another replica's attempt at the same moment: the answer is that attempt's.
 */
export type ControlAck = DecisionAck & { alreadyHandled?: true };

export interface RunControl {
  approve(runId: string, args: DecisionArgs, options?: ControlOptions): Promise<ControlAck>;
  reject(runId: string, args: DecisionArgs, options?: ControlOptions): Promise<ControlAck>;
  abort(runId: string, args: AbortArgs, options?: ControlOptions): Promise<ControlAck>;
  pause(runId: string, args: PauseArgs, options?: ControlOptions): Promise<ControlAck>;
  resume(runId: string, args: PauseArgs, options?: ControlOptions): Promise<ControlAck>;
  promote(runId: string, args: DecisionArgs, options?: ControlOptions): Promise<ControlAck>;
  status(runId: string): Promise<RunStatus>;
}

export type RunControlErrorKind =
  /** The workflow's validator (or handler) refused: the message is its reason, for humans. */
  | 'refused'
  /** No such run, or it has finished and takes no more decisions. */
  | 'not-found'
  /** Temporal did not answer in time; the decision may still be applied later. */
  | 'timeout';

/** A failure a chat user should read as is. Anything else is an outage, logged and answered generically. */
export class RunControlError extends Error {
  constructor(
    readonly kind: RunControlErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'RunControlError';
  }
}

/** Turns the client's errors into RunControlError where a human can act on them; rethrows the rest. */
export function toRunControlError(err: unknown, runId: string, timeoutMs: number): never {
  if (err instanceof RunControlError) throw err;
  if (err instanceof WorkflowUpdateFailedError) {
    // The validator's ApplicationFailure is the cause; its message is the reason to show.
    throw new RunControlError('refused', err.cause?.message || err.message);
  }
  if (err instanceof WorkflowNotFoundError) {
    throw new RunControlError('not-found', `run ${runId} was not found, or it has already finished`);
  }
  if (err instanceof QueryNotRegisteredError) {
    throw new RunControlError('refused', `run ${runId} does not answer the status query: is it a runbook workflow?`);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
    throw new RunControlError(
      'timeout',
      `run ${runId} did not answer within ${Math.round(timeoutMs / 1000)}s (is a worker running on its task queue?); the request may still be applied: check status`,
    );
  }
  throw err;
}

export interface TemporalRunControlOptions {
  /** Upper bound for one decision or query, including the worker's turn to run the handler. */
  timeoutMs?: number;
}

export function createTemporalRunControl(client: Client, options: TemporalRunControlOptions = {}): RunControl {
  const timeoutMs = options.timeoutMs ?? 60_000;

  const bounded = async <T>(runId: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, call);
    } catch (err) {
      return toRunControlError(err, runId, timeoutMs);
    }
  };

  /**
   * The outcome of an Update this request already made, or undefined. Asking first is what
   * lets the reply to a replay (after a restart, when the in-process window is gone) say
   * "already handled" even once the run has ended and takes no more Updates.
   */
  const earlierOutcome = async (runId: string, updateId: string): Promise<DecisionAck | undefined> => {
    try {
      return await client.workflow.getHandle(runId).getUpdateHandle<DecisionAck>(updateId).result();
    } catch (err) {
      // NOT_FOUND: no such Update (or no such run, which executeUpdate reports properly).
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };

  /**
   * Sends the Update under the request's ID, tagged with a name for this one attempt.
   * Two replicas racing on one request both find no earlier outcome and both send it;
   * Temporal applies it once and answers both with the first attempt's result, whose
   * echoed tag tells each replica whether the decision it announces is its own.
   */
  const sendOnce = async <A>(runId: string, def: UpdateDefinition<DecisionAck, [A]>, args: A, updateId: string): Promise<ControlAck> => {
    const earlier = await earlierOutcome(runId, updateId);
    if (earlier) return { ...earlier, alreadyHandled: true as const };
    const requestId = randomUUID();
    let ack: DecisionAck;
    try {
      ack = await client.workflow.getHandle(runId).executeUpdate(def, { args: [{ ...args, requestId }], updateId });
    } catch (err) {
      // The other replica's attempt may have ended the run between the look and the send.
      const raced = err instanceof WorkflowNotFoundError ? await earlierOutcome(runId, updateId) : undefined;
      if (raced) return { ...raced, alreadyHandled: true as const };
      throw err;
    }
    // A workflow that does not echo the tag cannot tell; then the answer is taken as ours.
    return ack.requestId !== undefined && ack.requestId !== requestId ? { ...ack, alreadyHandled: true as const } : ack;
  };

  const update =
    <A>(def: UpdateDefinition<DecisionAck, [A]>) =>
    (runId: string, args: A, opts?: ControlOptions): Promise<ControlAck> =>
      bounded(runId, () => {
        const updateId = opts?.idempotencyKey;
        return updateId ? sendOnce(runId, def, args, updateId) : client.workflow.getHandle(runId).executeUpdate(def, { args: [args] });
      });

  return {
    approve: update(approveUpdate),
    reject: update(rejectUpdate),
    abort: update(abortUpdate),
    pause: update(pauseUpdate),
    resume: update(resumeUpdate),
    promote: update(promoteUpdate),
    status: (runId) => bounded(runId, () => client.workflow.getHandle(runId).query(statusQuery)),
  };
}
