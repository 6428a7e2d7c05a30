/**
 * The operational contract every runbook workflow shares, and the one job of this class:
 * run the runbook's steps in order (journal, abort checkpoints, uninterruptible steps),
 * wait at its gates, and end it (compensation LIFO on failure or abort, one outcome).
 * What it delegates: the view (status query, search attributes, Web UI details,
 * notifications) to view.ts, the gate primitive to gate.ts, the abort to abort-request.ts,
 * signed decisions to signed-decisions.ts.
 *
 * A runbook workflow reads as: `const run = new Run(...); return run.execute(async () => {
 * await run.step('...', ...); ... })`.
 */
import { ApplicationFailure, CancellationScope, ContinueAsNew, workflowInfo } from '@temporalio/workflow';
import { InterruptibleSteps } from './interruptible-steps.js';
import { AbortRequest } from './abort-request.js';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import { acceptMessage, type MessageHandler } from './accept.js';
import { CompensationStack } from './compensation.js';
import { describeStop, rejected, RunStopped } from './errors.js';
import { approvalGate, GATE_MESSAGES, Gates, type DecidingMessage, type GateDecision, type GateSpec } from './gate.js';
import { StepJournal } from './journal.js';
import { DecisionSignatures } from './signed-decisions.js';
import type { DecisionArgs } from './messages.js';
import { completedWithFailuresMessage, manualActionMessage, stoppedMessage } from './outcome.js';
import type { DecisionRecord, OutcomeFailure, RunStatus, SignedFields, TerminalPhase } from './status.js';
import type { RunOptions, StepOptions } from './run-options.js';
import { pendingApprovalOf, RunView } from './view.js';

export type { RunOptions, StepOptions } from './run-options.js';

export class Run {
  readonly journal = new StepJournal();
  readonly compensations = new CompensationStack();
  readonly view: RunView;
  readonly gates: Gates;
  private readonly abort: AbortRequest;
  private readonly interruptible: InterruptibleSteps;
  /** Steps that changed (or may have changed) something, in order. */
  private readonly changedBy: string[] = [];
  /** What the run could not do although it completes (a fleet's failed tenants). */
  private failures: OutcomeFailure[] = [];

  /** Keyring, spent nonces and the start's signer, for policies that require signed decisions. */
  readonly signatures: DecisionSignatures;

  constructor(private readonly options: RunOptions) {
    this.signatures = new DecisionSignatures(options.approval, options.requestedBy);
    this.view = new RunView(options, this.journal, () => this.signatures.required);
    this.gates = new Gates({
      workflowId: () => workflowInfo().workflowId,
      recordDecision: (kind, args) => this.recordDecision(kind, args.by, args.comment, this.signatures.accept(args, kind)),
      abortRequested: () => this.abort.requested,
      changed: () => {
        this.status.gate = this.gates.view;
        this.view.refresh();
      },
    });
    const messages: DecidingMessage[] = ['approve', 'reject', ...(options.promotion ? (['promote'] as const) : [])];
    for (const message of messages) {
      this.accept<DecisionArgs>({
        kind: message,
        ...GATE_MESSAGES[message],
        refusal: (args) => this.gates.refusal(message, args),
        apply: (args) => this.gates.decide(message, args),
      });
    }
    this.abort = new AbortRequest({
      status: this.status,
      policy: options.approval,
      requestedBy: options.requestedBy,
      signatures: this.signatures,
      journal: this.journal,
      changed: () => this.view.refresh(),
    });
    this.interruptible = new InterruptibleSteps(() => this.abort.requested);
  }

  get status(): RunStatus {
    return this.view.status;
  }

  /** Installs a runbook-specific human message (pause, skipTenant...) as an Update and a Signal. */
  accept<A extends { by: string }>(handler: MessageHandler<A>): void {
    acceptMessage(this.status, handler);
  }

  /** Records a decision taken through `accept` (for runbook-specific messages). */
  recordDecision(kind: string, by: string, comment?: string, signed?: SignedFields): DecisionRecord {
    const record: DecisionRecord = { at: now(), kind, by: by.trim(), ...(comment ? { comment } : {}), ...signed };
    this.status.decisions.push(record);
    return record;
  }

  get abortRequested(): boolean {
    return this.abort.requested;
  }

  setPhase(phase: string): void {
    this.view.setPhase(phase);
  }

  /** Names what the run could not do; a run that then completes ends as completed-with-failures. */
  reportFailures(failures: OutcomeFailure[]): void {
    this.failures = failures;
  }

  fact(key: string, value: unknown): void {
    this.status.facts[key] = value;
  }

  /** Throws when an abort was requested: call between steps. */
  checkpoint(): void {
    if (this.abort.requested) throw this.abort.stop();
  }

  async step<T>(name: string, body: () => Promise<T>, options: StepOptions<T> = {}): Promise<T> {
    this.checkpoint();
    const record = this.journal.start(name);
    // Counted from the start: a helm upgrade that failed may still have changed things.
    if (options.uninterruptible || options.mutates) this.changedBy.push(name);
    this.view.refresh();
    try {
      const result = options.uninterruptible ? await CancellationScope.nonCancellable(body) : await this.interruptible.run(body);
      this.journal.end(record, 'succeeded', options.detail?.(result));
      this.view.refresh();
      if (options.uninterruptible) this.checkpoint();
      return result;
    } catch (err) {
      if (record.outcome === 'running') {
        this.journal.end(record, 'failed', this.abort.requested ? 'interrupted by abort' : describeStop(err).message);
      }
      this.view.refresh();
      // An abort cancels the step's scope; report it as the abort, not as a cancellation.
      if (this.abort.requested) throw this.abort.stop();
      throw err;
    }
  }

  skip(name: string, reason: string): void {
    this.journal.skip(name, reason);
  }

  /**
   * Waits for a human to approve. Rejection, abort and the policy's timeout end the run
   * (compensation runs for whatever was done before). With `required: false` it returns
   * at once.
   */
  async awaitApproval(gateName: string, summary: string, opts: { requiresSchemaAck?: boolean } = {}): Promise<DecisionRecord | undefined> {
    const policy = this.options.approval;
    if (!policy.required) {
      this.checkpoint();
      this.skip(gateName, 'approval not required by the policy');
      return undefined;
    }
    const decision = await this.awaitGate(
      approvalGate(gateName, summary, policy, this.options.requestedBy, opts.requiresSchemaAck ?? false, () => this.signatures.context()),
      'waiting-approval',
    );
    return decision.record;
  }

  /**
   * Waits at a gate as a step of its own (approval, promotion): the status shows what it
   * accepts, an abort or the timeout ends the run. Returns the deciding message.
   */
  async awaitGate(spec: GateSpec, phase: string, opts: { restorePhase?: boolean } = {}): Promise<GateDecision> {
    this.checkpoint();
    const record = this.journal.start(spec.name);
    const previousPhase = this.status.phase;
    this.status.pendingApproval = pendingApprovalOf(spec, this.options.approval, this.options.requestedBy);
    let decision: GateDecision | undefined;
    try {
      this.gates.open(spec);
      this.setPhase(phase);
      if (spec.kind === 'approval') this.view.notify('waiting-approval', `${spec.name}: ${spec.summary}`);
      decision = await this.gates.waitForDecision();
    } catch (err) {
      const timedOut = err instanceof RunStopped && err.phase === 'approval-timed-out';
      this.journal.end(record, 'failed', timedOut ? `timed out after ${humanDuration(spec.timeout ?? 0)}` : describeStop(err).message);
      throw err;
    } finally {
      this.status.pendingApproval = null;
    }
    if (!decision) {
      this.journal.end(record, 'failed', `aborted by ${this.abort.by}`);
      throw this.abort.stop();
    }
    const { by, comment } = decision.record;
    if (decision.message === 'reject') {
      this.journal.end(record, 'failed', `rejected by ${by}`);
      throw rejected(by, comment);
    }
    this.journal.end(record, 'succeeded', `${decision.message === 'approve' ? 'approved' : 'promoted'} by ${by}${comment ? `: ${comment}` : ''}`);
    if (opts.restorePhase !== false) this.setPhase(previousPhase);
    return decision;
  }

  /**
   * Runs the runbook body. On success the result is returned; on any failure, abort,
   * rejection or cancellation the compensations unwind first, then the run fails with one
   * non-retryable ApplicationFailure saying what happened and what compensation did.
   */
  async execute<T>(body: () => Promise<T>): Promise<T> {
    try {
      await this.signatures.prepare(this.status);
      const result = await body();
      if (this.failures.length) this.end('completed-with-failures', completedWithFailuresMessage(this.failures), []);
      else this.end('completed', 'completed', []);
      await this.view.flushNotifications();
      return result;
    } catch (err) {
      // Continue-as-new is how a long run keeps its history bounded, not a failure.
      if (err instanceof ContinueAsNew) throw err;
      const cause = describeStop(err);
      const hadCompensations = this.compensations.size > 0;
      if (hadCompensations) this.setPhase('compensating');
      const report = await this.compensations.unwind(this.journal);
      if (report.failed) {
        const message = manualActionMessage({ ...report, failed: report.failed }, cause);
        this.end('failed', message, report.done);
        this.view.notify('failed', message);
        await this.view.flushNotifications();
        throw ApplicationFailure.create({ type: FailureType.CompensationFailed, message, nonRetryable: true });
      }
      const message = stoppedMessage(report, cause, this.changedBy);
      this.end(cause.phase, message, report.done);
      this.view.notify(report.done.length ? 'rolled-back' : cause.phase === 'failed' ? 'failed' : 'aborted', message);
      await this.view.flushNotifications();
      if (cause.cancelled) throw err;
      throw ApplicationFailure.create({
        type: cause.type,
        message,
        nonRetryable: true,
        ...(err instanceof Error && !(err instanceof RunStopped) ? { cause: err } : {}),
      });
    }
  }

  private end(phase: TerminalPhase, message: string, compensations: string[]): void {
    if (this.gates.view) this.gates.close();
    this.status.outcome = { phase, message, compensations, ...(this.failures.length ? { failures: this.failures } : {}) };
    this.setPhase(phase);
    if (phase === 'completed') this.view.notify('completed', `${this.options.runbook} completed`);
    if (phase === 'completed-with-failures') this.view.notify('completed', `${this.options.runbook} ${message}`);
  }
}

function now(): string {
  return new Date().toISOString();
}
