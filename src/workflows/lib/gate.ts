/**
 * One primitive for every human wait: an approval, a fleet's promotion, a paused fleet.
 * A gate knows which messages it accepts, so the hint shown to operators (status, Web UI,
 * chat) and the refusal of a message sent at the wrong moment come from the same place and
 * cannot disagree: a refusal names the message that IS accepted now, with its command.
 */
import { condition } from '@temporalio/workflow';
import { approvalRefusal, rejectionRefusal, type ApprovalPolicy } from '../../domain/approval-policy.js';
import type { SignatureContext } from '../../domain/signatures/verify-decision.js';
import { humanDuration } from '../../domain/duration.js';
import { approvalTimedOut } from './errors.js';
import {
  approveSignal,
  approveUpdate,
  promoteSignal,
  promoteUpdate,
  rejectSignal,
  rejectUpdate,
  type DecisionAck,
  type DecisionArgs,
} from './messages.js';
import { GATE_ACCEPTS, gateCommand, gateTimerSummary, type DecidingMessage, type GateKind, type GateMessage } from './gate-commands.js';
import type { DecisionRecord, GateView } from './status.js';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';

// The commands and what each gate accepts are plain data, shared with the CLI's fallback for older runs.
export { GATE_ACCEPTS, gateCommand, shellQuote, type DecidingMessage, type GateKind, type GateMessage } from './gate-commands.js';

/**
 * The Update/Signal pair of each message that decides a gate. Resume is the fleet's own
 * message (a fleet can be paused mid-wave, with no gate to decide), so it is not here.
 */
export const GATE_MESSAGES: Record<DecidingMessage, { update: UpdateDefinition<DecisionAck, [DecisionArgs]>; signal: SignalDefinition<[DecisionArgs]> }> = {
  approve: { update: approveUpdate, signal: approveSignal },
  reject: { update: rejectUpdate, signal: rejectSignal },
  promote: { update: promoteUpdate, signal: promoteSignal },
};

/** What a message sent with no matching gate is told (the first half of every refusal). */
const NOT_WAITING: Record<GateMessage, string> = {
  approve: 'the run is not waiting for approval',
  reject: 'the run is not waiting for approval',
  promote: 'the fleet is not waiting for promotion',
  resume: 'the fleet is not paused',
};

export interface GateSpec {
  kind: GateKind;
  /** The step name ("approve soctalk-system 0.1.0 -> 0.2.0", "promote to wave 1"). */
  name: string;
  /** What the humans are asked to decide. */
  summary: string;
  /** How long to wait; none for a pause (it waits for resume or abort). */
  timeout?: number;
  /** Approving needs acknowledgeSchemaChanges: true (and the CLI's --ack-schema-changes). */
  requiresSchemaAck?: boolean;
  /** Who may send which message: the policy's refusals (allowed approvers, four-eyes...). */
  refusals?: Partial<Record<DecidingMessage, (args: DecisionArgs) => string | undefined>>;
  /** What an accepted message answers; default "approved "<name>"" and the like. */
  ack?: (message: DecidingMessage) => string | undefined;
}

export interface GateDecision {
  message: DecidingMessage;
  record: DecisionRecord;
}

interface OpenGate {
  spec: GateSpec;
  view: GateView;
  decision?: GateDecision;
}

/** An approval gate judged by the run's policy (allowed approvers, four-eyes, schema acknowledgement). */
export function approvalGate(
  name: string,
  summary: string,
  policy: ApprovalPolicy,
  requestedBy: string | undefined,
  requiresSchemaAck: boolean,
  signatures: () => SignatureContext | undefined,
): GateSpec {
  // Judged when a decision arrives: the keyring (signed decisions) loads after the start.
  const state = () => ({ waiting: true, requiresSchemaAck, ...(requestedBy ? { requestedBy } : {}), signatures: signatures() });
  return {
    kind: 'approval',
    name,
    summary,
    timeout: policy.timeout,
    requiresSchemaAck,
    refusals: { approve: (args) => approvalRefusal(policy, state(), args), reject: (args) => rejectionRefusal(policy, state(), args) },
  };
}

export interface GateHost {
  workflowId: () => string;
  /** Records an accepted decision (with its signature, where the policy requires one). */
  recordDecision: (kind: DecidingMessage, args: DecisionArgs) => DecisionRecord;
  abortRequested: () => boolean;
  /** The gate opened, was decided or closed: the view must be refreshed. */
  changed: () => void;
}

/** The run's gates: at most one is open at a time. */
export class Gates {
  private current: OpenGate | undefined;

  constructor(private readonly host: GateHost) {}

  get view(): GateView | null {
    return this.current?.view ?? null;
  }

  get openSpec(): GateSpec | undefined {
    return this.current?.spec;
  }

  /** Why `message` cannot be taken now; undefined when the open gate accepts it from `args.by`. */
  refusal(message: DecidingMessage, args: DecisionArgs): string | undefined {
    const gate = this.current;
    if (!gate || gate.decision || this.host.abortRequested() || !GATE_ACCEPTS[gate.spec.kind].includes(message)) {
      if (!gate || gate.decision || this.host.abortRequested()) return NOT_WAITING[message];
      const accepted = GATE_ACCEPTS[gate.spec.kind].filter((m) => m !== 'reject');
      const how = accepted.map((m) => `${m} (${gateCommand(m, this.host.workflowId(), gate.spec)})`).join(' or ');
      return `${NOT_WAITING[message]}: it waits at "${gate.spec.name}" and accepts ${how}, or abort`;
    }
    return gate.spec.refusals?.[message]?.(args);
  }

  /** Takes a message the validator accepted: the open gate is decided. */
  decide(message: DecidingMessage, args: DecisionArgs): string {
    const gate = this.current!;
    gate.decision = { message, record: this.host.recordDecision(message, args) };
    this.host.changed();
    const ack = gate.spec.ack?.(message);
    if (ack) return ack;
    if (message === 'reject') return `rejected "${gate.spec.name}"; the run ends with nothing further changed`;
    return `${message === 'approve' ? 'approved' : 'promoted'} "${gate.spec.name}"`;
  }

  /** Opens a gate without waiting on it (a pause, which the loop waits out its own way). */
  open(spec: GateSpec): void {
    const since = new Date();
    const workflowId = this.host.workflowId();
    const accepts = [...GATE_ACCEPTS[spec.kind], 'abort'];
    this.current = {
      spec,
      view: {
        kind: spec.kind,
        name: spec.name,
        summary: spec.summary,
        since: since.toISOString(),
        ...(spec.timeout !== undefined ? { timeoutAt: new Date(since.getTime() + spec.timeout).toISOString() } : {}),
        accepts,
        commands: accepts.map((m) => gateCommand(m as GateMessage | 'abort', workflowId, spec)),
      },
    };
    this.host.changed();
  }

  close(): GateDecision | undefined {
    const decision = this.current?.decision;
    this.current = undefined;
    this.host.changed();
    return decision;
  }

  /**
   * Waits until the open gate is decided. An abort returns undefined (the caller throws
   * it); running out of time throws approval-timed-out. The gate is closed either way.
   */
  async waitForDecision(): Promise<GateDecision | undefined> {
    const gate = this.current!;
    const done = () => gate.decision !== undefined || this.host.abortRequested();
    try {
      const decided = gate.spec.timeout === undefined ? await condition(done) : await condition(done, gate.spec.timeout, { summary: gateTimerSummary(gate.view) });
      if (this.host.abortRequested()) return undefined;
      // Without a timeout condition() resolves to nothing; only a decision ends that wait.
      if (decided === false || !gate.decision) throw approvalTimedOut(gate.spec.name, humanDuration(gate.spec.timeout ?? 0));
      return gate.decision;
    } finally {
      if (this.current === gate) this.close();
    }
  }
}
