/**
 * An in-memory RunControl for testing the HTTP service: records every call it receives and
 * answers as told. The real Temporal implementation is exercised in temporal-run-control.test.ts.
 */
import { type ControlOptions, type RunControl, RunControlError } from '../../src/chatops/run-control.js';
import type { DecisionAck } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';

export interface RecordedCall {
  method: keyof RunControl;
  runId: string;
  args?: unknown;
  options?: ControlOptions;
}

export class RecordingRunControl implements RunControl {
  readonly calls: RecordedCall[] = [];
  /** When set, decisions are refused with this reason, as a workflow validator would. */
  refuseWith: string | undefined;
  /** When set, calls throw it (an outage). */
  failWith: Error | undefined;
  /** Delays every answer, to exercise the late-reply path. */
  delayMs = 0;
  statusAnswer: RunStatus = {
    runbook: 'helm-upgrade',
    phase: 'running',
    steps: [],
    pendingApproval: null,
    gate: null,
    decisions: [],
    invalidMessages: [],
    facts: {},
  };

  approve = this.decision('approve');
  reject = this.decision('reject');
  abort = this.decision('abort');
  pause = this.decision('pause');
  resume = this.decision('resume');
  promote = this.decision('promote');

  async status(runId: string): Promise<RunStatus> {
    this.calls.push({ method: 'status', runId });
    await this.settle();
    return this.statusAnswer;
  }

  private decision(method: Exclude<keyof RunControl, 'status'>) {
    return async (runId: string, args: unknown, options?: ControlOptions): Promise<DecisionAck> => {
      this.calls.push({ method, runId, args, ...(options ? { options } : {}) });
      await this.settle();
      if (this.refuseWith) throw new RunControlError('refused', this.refuseWith);
      return { accepted: true, phase: 'upgrading', message: `${method} recorded` };
    };
  }

  private async settle(): Promise<void> {
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failWith) throw this.failWith;
  }
}
