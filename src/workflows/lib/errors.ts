/**
 * Why a run stops early. These are thrown inside the workflow and turned into one
 * non-retryable ApplicationFailure (with a stable `type`) after compensation ran.
 */
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { FailureType, type FailureTypeName } from '../../domain/failure-types.js';
import type { TerminalPhase } from './status.js';

export class RunStopped extends Error {
  constructor(
    readonly phase: TerminalPhase,
    readonly failureType: FailureTypeName,
    message: string,
  ) {
    super(message);
    this.name = 'RunStopped';
  }
}

export const aborted = (by: string, reason: string) => new RunStopped('aborted', FailureType.Aborted, `aborted by ${by}: ${reason}`);
export const rejected = (by: string, comment?: string) =>
  new RunStopped('rejected', FailureType.Rejected, `rejected by ${by}${comment ? `: ${comment}` : ''}`);
export const approvalTimedOut = (gate: string, after: string) =>
  new RunStopped('approval-timed-out', FailureType.ApprovalTimedOut, `nobody decided on "${gate}" within ${after}`);

/** A refusal decided by the workflow itself (bad input, incompatible versions...). */
export function refuse(type: FailureTypeName, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export interface StopCause {
  phase: TerminalPhase;
  type: string;
  message: string;
  cancelled: boolean;
}

/** Unwraps ActivityFailure/ChildWorkflowFailure to the failure a human needs to read. */
export function describeStop(err: unknown): StopCause {
  if (err instanceof RunStopped) return { phase: err.phase, type: err.failureType, message: err.message, cancelled: false };
  if (isCancellation(err)) return { phase: 'aborted', type: FailureType.Aborted, message: 'the workflow was cancelled', cancelled: true };
  let root: unknown = err;
  while (root instanceof Error && root.cause instanceof Error && !(root instanceof ApplicationFailure)) root = root.cause;
  if (root instanceof ApplicationFailure) {
    return { phase: 'failed', type: root.type ?? FailureType.CommandFailed, message: root.message, cancelled: false };
  }
  return { phase: 'failed', type: FailureType.CommandFailed, message: root instanceof Error ? root.message : String(root), cancelled: false };
}
