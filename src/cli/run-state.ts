/**
 * Where a run stands, from its status query and Temporal's execution status, and the exit
 * code that state maps to (see exit-codes.ts).
 */
import type { RunStatus } from '../workflows/lib/status.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { gateOf } from './gate.js';

export type RunState = 'completed' | 'completed-with-failures' | 'failed' | 'stopped' | 'waiting' | 'running';

/** A fleet that finished with failed, skipped or conflicting tenants (outcome.failures names them). */
export const COMPLETED_WITH_FAILURES = 'completed-with-failures';

/** Phases in which the run waits for a person (besides an open approval gate). */
export const HUMAN_WAIT_PHASES: readonly string[] = ['waiting-approval', 'paused', 'waiting-promotion'];

/** Temporal's execution status name (`describe().status.name`), e.g. RUNNING, COMPLETED, TERMINATED. */
export type ExecutionStatusName = string;

export function runState(execution: ExecutionStatusName, status: RunStatus | undefined): RunState {
  const outcome: string | undefined = status?.outcome?.phase;
  if (outcome) {
    if (outcome === 'completed') return 'completed';
    if (outcome === COMPLETED_WITH_FAILURES) return 'completed-with-failures';
    return outcome === 'failed' ? 'failed' : 'stopped';
  }
  switch (execution) {
    case 'COMPLETED':
      return 'completed';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failed';
    case 'CANCELLED':
    case 'TERMINATED':
      return 'stopped';
    default:
      break;
  }
  if (status && waitsForHuman(status)) return 'waiting';
  return 'running';
}

export function waitsForHuman(status: RunStatus): boolean {
  // The same view the hints come from: a run with a gate waits for a person.
  return gateOf('', status) !== null || HUMAN_WAIT_PHASES.includes(status.phase);
}

export function exitCodeFor(state: RunState): ExitCodeValue {
  switch (state) {
    case 'completed':
      return ExitCode.Ok;
    case 'completed-with-failures':
      return ExitCode.CompletedWithFailures;
    case 'failed':
      return ExitCode.Failed;
    case 'stopped':
      return ExitCode.Stopped;
    case 'waiting':
      return ExitCode.WaitingForHuman;
    case 'running':
      return ExitCode.Running;
  }
}

/** Whether `watch` and `start --wait` stop here: the run ended or needs a person. */
export function isSettled(state: RunState): boolean {
  return state !== 'running';
}
