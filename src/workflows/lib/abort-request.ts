/**
 * The abort a human asks for: accepted once, in every phase, as an Update and a Signal.
 * The run does not stop mid-step: steps and gates ask `requested` and throw `stop()`,
 * then compensation runs.
 */
import { abortRefusal, type ApprovalPolicy } from '../../domain/approval-policy.js';
import { acceptMessage } from './accept.js';
import { aborted, type RunStopped } from './errors.js';
import type { StepJournal } from './journal.js';
import { abortSignal, abortUpdate, type AbortArgs } from './messages.js';
import type { DecisionSignatures } from './signed-decisions.js';
import type { RunStatus } from './status.js';

export interface AbortHost {
  status: RunStatus;
  policy: ApprovalPolicy;
  requestedBy: string | undefined;
  signatures: DecisionSignatures;
  journal: StepJournal;
  /** The abort was recorded: the view must be refreshed. */
  changed: () => void;
}

export class AbortRequest {
  private request: { by: string; reason: string } | undefined;

  constructor(private readonly host: AbortHost) {
    acceptMessage<AbortArgs>(host.status, {
      kind: 'abort',
      update: abortUpdate,
      signal: abortSignal,
      refusal: (args) =>
        this.request
          ? `an abort was already requested by ${this.request.by}`
          : abortRefusal(host.policy, host.requestedBy, args, host.status.outcome !== undefined, host.signatures.context()),
      apply: (args) => this.take(args),
    });
  }

  get requested(): boolean {
    return this.request !== undefined;
  }

  /** Who asked; only meaningful once `requested`. */
  get by(): string {
    return this.request?.by ?? '';
  }

  /** What a step or gate throws once an abort was requested: the outcome names who and why. */
  stop(): RunStopped {
    return aborted(this.by, this.request?.reason ?? '');
  }

  private take(args: AbortArgs): string {
    this.request = { by: args.by.trim(), reason: args.reason };
    this.host.status.abortRequested = { ...this.request, at: new Date().toISOString(), ...this.host.signatures.accept(args, 'abort') };
    const current = this.host.journal.current();
    this.host.changed();
    return current ? `abort accepted; it takes effect when "${current.name}" returns, then compensation runs` : 'abort accepted';
  }
}
