/**
 * The operational contract every runbook workflow shares: steps recorded in a journal,
 * human decisions through validated Updates and Signals, abort in every phase, approval
 * gates with timeouts, compensation on failure or abort, and visibility (status query,
 * search attributes, current details for the Web UI).
 *
 * A runbook workflow reads as: `const run = new Run(...); return run.execute(async () => {
 * await run.step('...', ...); ... })`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { abortRefusal, approvalRefusal, rejectionRefusal, type ApprovalPolicy } from '../../domain/approval-policy.js';
import { humanDuration } from '../../domain/duration.js';
import { FailureType } from '../../domain/failure-types.js';
import type { RunNotification } from '../../domain/notification.js';
import { NamespaceKey, PhaseKey, ReleaseKey, RunbookKey, TargetVersionKey } from '../../domain/search-attributes.js';
import { CompensationStack } from './compensation.js';
import { aborted, approvalTimedOut, describeStop, rejected, RunStopped } from './errors.js';
import { StepJournal } from './journal.js';
import { DecisionSignatures } from './signed-decisions.js';
import {
  abortSignal,
  abortUpdate,
  approveSignal,
  approveUpdate,
  rejectSignal,
  rejectUpdate,
  statusQuery,
  type AbortArgs,
  type DecisionAck,
  type DecisionArgs,
} from './messages.js';
import type { DecisionRecord, RunStatus, SignedFields, TerminalPhase } from './status.js';

export interface RunOptions {
  runbook: string;
  release?: string;
  namespace?: string;
  targetVersion?: string;
  requestedBy?: string;
  approval: ApprovalPolicy;
  /** Off only where the server has not registered the custom search attributes. */
  searchAttributes?: boolean;
  /** The notify activity; best effort, never blocks the runbook. */
  notify?: (event: RunNotification) => Promise<unknown>;
  /** How an operator approves, shown in the Web UI's current details. */
  approveHint?: string;
}

export interface StepOptions<T> {
  /**
   * The step must not be interrupted (helm upgrade, the migration Job): an abort or a
   * cancellation takes effect when it returns, so nothing is left in pending-upgrade.
   */
  uninterruptible?: boolean;
  /**
   * The step changes the cluster or a database. Uninterruptible steps always do. When such
   * a step ran and no compensation undid it, the run's outcome says so instead of claiming
   * that nothing changed.
   */
  mutates?: boolean;
  /** One line for the journal from the step's result. */
  detail?: (result: T) => string | undefined;
}

interface OpenGate {
  name: string;
  requiresSchemaAck: boolean;
  decision?: { approved: boolean; record: DecisionRecord };
}

export class Run {
  readonly journal = new StepJournal();
  readonly compensations = new CompensationStack();
  readonly status: RunStatus;
  private gate: OpenGate | undefined;
  private abortRequest: { by: string; reason: string } | undefined;
  private readonly pendingNotifications: Promise<unknown>[] = [];
  /** Steps that changed (or may have changed) something, in order. */
  private readonly changedBy: string[] = [];
  /** Keyring, spent nonces and the start's signer, for policies that require signed decisions. */
  readonly signatures: DecisionSignatures;

  constructor(private readonly options: RunOptions) {
    this.signatures = new DecisionSignatures(options.approval, options.requestedBy);
    this.status = {
      runbook: options.runbook,
      ...(options.release ? { release: options.release } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      phase: 'starting',
      steps: this.journal.steps,
      pendingApproval: null,
      decisions: [],
      invalidMessages: [],
      facts: {},
    };
    setHandler(statusQuery, () => this.status);
    this.accept({
      kind: 'approve',
      update: approveUpdate,
      signal: approveSignal,
      refusal: (args) => approvalRefusal(options.approval, this.gateState(), args),
      apply: (args) => this.decide(true, args),
    });
    this.accept({
      kind: 'reject',
      update: rejectUpdate,
      signal: rejectSignal,
      refusal: (args) => rejectionRefusal(options.approval, this.gateState(), args),
      apply: (args) => this.decide(false, args),
    });
    this.accept<AbortArgs>({
      kind: 'abort',
      update: abortUpdate,
      signal: abortSignal,
      refusal: (args) =>
        this.abortRequest
          ? `an abort was already requested by ${this.abortRequest.by}`
          : abortRefusal(options.approval, options.requestedBy, args, this.status.outcome !== undefined, this.signatures.context()),
      apply: (args) => {
        this.abortRequest = { by: args.by.trim(), reason: args.reason };
        this.status.abortRequested = { ...this.abortRequest, at: now(), ...this.signatures.accept(args, 'abort') };
        const current = this.journal.current();
        this.refreshDetails();
        return current
          ? `abort accepted; it takes effect when "${current.name}" returns, then compensation runs`
          : 'abort accepted';
      },
    });
    if (options.searchAttributes !== false) {
      const pairs: SearchAttributeUpdatePair[] = [{ key: RunbookKey, value: options.runbook }];
      if (options.release) pairs.push({ key: ReleaseKey, value: options.release });
      if (options.namespace) pairs.push({ key: NamespaceKey, value: options.namespace });
      if (options.targetVersion) pairs.push({ key: TargetVersionKey, value: options.targetVersion });
      upsertSearchAttributes(pairs);
    }
  }

  /**
   * Installs a human message as an Update (the caller hears a refusal) and a Signal of the
   * same name (refusals are recorded in the status and ignored). Both share one validator.
   */
  accept<A extends { by: string }>(handler: {
    kind: string;
    update: UpdateDefinition<DecisionAck, [A]>;
    signal: SignalDefinition<[A]>;
    refusal: (args: A) => string | undefined;
    apply: (args: A) => string;
  }): void {
    const check = (args: A): string | undefined => {
      if (typeof args !== 'object' || args === null) return `${handler.kind} expects an object such as {"by": "alice"}`;
      return handler.refusal(args);
    };
    const applyAndAck = (args: A): DecisionAck => {
      const message = handler.apply(args);
      return { accepted: true, phase: this.status.phase, message };
    };
    setHandler(handler.update, applyAndAck, {
      validator: (args: A) => {
        const reason = check(args);
        if (reason) throw new Error(reason);
      },
    });
    setHandler(handler.signal, (args: A) => {
      const reason = check(args);
      if (reason) {
        const by = typeof args === 'object' && args !== null && typeof args.by === 'string' ? args.by : 'unknown';
        this.status.invalidMessages.push({ at: now(), kind: handler.kind, by, reason });
        log.warn('ignored an invalid signal', { kind: handler.kind, by, reason });
        return;
      }
      applyAndAck(args);
    });
  }

  /** Records a decision taken through `accept` (for runbook-specific messages). */
  recordDecision(kind: string, by: string, comment?: string, signed?: SignedFields): DecisionRecord {
    const record: DecisionRecord = { at: now(), kind, by: by.trim(), ...(comment ? { comment } : {}), ...signed };
    this.status.decisions.push(record);
    return record;
  }

  get requestedBy(): string | undefined {
    return this.options.requestedBy;
  }

  get approvalPolicy(): ApprovalPolicy {
    return this.options.approval;
  }

  get abortRequested(): boolean {
    return this.abortRequest !== undefined;
  }

  setPhase(phase: string): void {
    this.status.phase = phase;
    if (this.options.searchAttributes !== false) upsertSearchAttributes([{ key: PhaseKey, value: phase }]);
    this.refreshDetails();
  }

  fact(key: string, value: unknown): void {
    this.status.facts[key] = value;
  }

  /** Throws when an abort was requested: call between steps. */
  checkpoint(): void {
    if (this.abortRequest) throw aborted(this.abortRequest.by, this.abortRequest.reason);
  }

  async step<T>(name: string, body: () => Promise<T>, options: StepOptions<T> = {}): Promise<T> {
    this.checkpoint();
    const record = this.journal.start(name);
    // Counted from the start: a helm upgrade that failed may still have changed things.
    if (options.uninterruptible || options.mutates) this.changedBy.push(name);
    this.refreshDetails();
    try {
      const result = options.uninterruptible ? await CancellationScope.nonCancellable(body) : await this.abortable(body);
      this.journal.end(record, 'succeeded', options.detail?.(result));
      this.refreshDetails();
      if (options.uninterruptible) this.checkpoint();
      return result;
    } catch (err) {
      if (record.outcome === 'running') {
        this.journal.end(record, 'failed', this.abortRequest ? `interrupted by abort` : describeStop(err).message);
      }
      this.refreshDetails();
      // An abort cancels the step's scope; report it as the abort, not as a cancellation.
      if (this.abortRequest) throw aborted(this.abortRequest.by, this.abortRequest.reason);
      throw err;
    }
  }

  skip(name: string, reason: string): void {
    this.journal.skip(name, reason);
  }

  /** Runs `body` in a scope that an abort cancels, so long interruptible waits stop promptly. */
  private async abortable<T>(body: () => Promise<T>): Promise<T> {
    return CancellationScope.cancellable(async () => {
      const scope = CancellationScope.current();
      let done = false;
      // Resolves when an abort arrives or the body finished; cancels only in the first case.
      condition(() => done || this.abortRequest !== undefined)
        .then(() => {
          if (!done) scope.cancel();
        })
        .catch(() => undefined);
      try {
        return await body();
      } finally {
        done = true;
      }
    });
  }

  /**
   * Waits for a human to approve. Rejection, abort and the policy's timeout end the run
   * (compensation runs for whatever was done before). With `required: false` it returns
   * at once.
   */
  async awaitApproval(gateName: string, summary: string, opts: { requiresSchemaAck?: boolean } = {}): Promise<DecisionRecord | undefined> {
    this.checkpoint();
    const policy = this.options.approval;
    if (!policy.required) {
      this.skip(gateName, 'approval not required by the policy');
      return undefined;
    }
    const record = this.journal.start(gateName);
    const since = new Date();
    this.gate = { name: gateName, requiresSchemaAck: opts.requiresSchemaAck ?? false };
    this.status.pendingApproval = {
      gate: gateName,
      since: since.toISOString(),
      timeoutAt: new Date(since.getTime() + policy.timeout).toISOString(),
      ...(this.options.requestedBy ? { requestedBy: this.options.requestedBy } : {}),
      ...(policy.approvers.length ? { allowedApprovers: policy.approvers } : {}),
      fourEyes: policy.fourEyes,
      requiresSchemaAck: this.gate.requiresSchemaAck,
      summary,
    };
    const previousPhase = this.status.phase;
    this.setPhase('waiting-approval');
    this.notify('waiting-approval', `${gateName}: ${summary}`);
    const gate = this.gate;
    const decided = await condition(() => gate.decision !== undefined || this.abortRequest !== undefined, policy.timeout);
    this.gate = undefined;
    this.status.pendingApproval = null;
    if (this.abortRequest) {
      this.journal.end(record, 'failed', `aborted by ${this.abortRequest.by}`);
      throw aborted(this.abortRequest.by, this.abortRequest.reason);
    }
    if (!decided || !gate.decision) {
      this.journal.end(record, 'failed', `timed out after ${humanDuration(policy.timeout)}`);
      throw approvalTimedOut(gateName, humanDuration(policy.timeout));
    }
    const { approved, record: decision } = gate.decision;
    if (!approved) {
      this.journal.end(record, 'failed', `rejected by ${decision.by}`);
      throw rejected(decision.by, decision.comment);
    }
    this.journal.end(record, 'succeeded', `approved by ${decision.by}${decision.comment ? `: ${decision.comment}` : ''}`);
    this.setPhase(previousPhase);
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
      this.end('completed', 'completed', []);
      await this.flushNotifications();
      return result;
    } catch (err) {
      // Continue-as-new is how a long run keeps its history bounded, not a failure.
      if (err instanceof ContinueAsNew) throw err;
      const cause = describeStop(err);
      const hadCompensations = this.compensations.size > 0;
      if (hadCompensations) this.setPhase('compensating');
      const report = await this.compensations.unwind(this.journal);
      if (report.failed) {
        const remaining = report.notRun.length ? `; then, still to do: ${report.notRun.join('; ')}` : '';
        const message =
          `manual action needed: "${report.failed.name}" failed (${report.failed.error})${remaining}. ` +
          `The run stopped because: ${cause.message}` +
          (report.done.length ? `. Already compensated: ${report.done.join('; ')}` : '');
        this.end('failed', message, report.done);
        this.notify('failed', message);
        await this.flushNotifications();
        throw ApplicationFailure.create({ type: FailureType.CompensationFailed, message, nonRetryable: true });
      }
      const untouched = cause.phase === 'failed' ? '; nothing had been changed' : '; nothing was changed';
      const compensated = report.done.length
        ? `; compensated: ${report.done.join('; ')}`
        : this.changedBy.length
          ? `; not compensated (no compensation applies): ${this.changedBy.join('; ')}`
          : untouched;
      const message = `${cause.message}${compensated}`;
      this.end(cause.phase, message, report.done);
      this.notify(report.done.length ? 'rolled-back' : cause.phase === 'failed' ? 'failed' : 'aborted', message);
      await this.flushNotifications();
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
    this.status.outcome = { phase, message, compensations };
    this.setPhase(phase);
    if (phase === 'completed') this.notify('completed', `${this.options.runbook} completed`);
  }

  private gateState() {
    return {
      waiting: this.gate !== undefined && this.gate.decision === undefined && this.abortRequest === undefined,
      requiresSchemaAck: this.gate?.requiresSchemaAck ?? false,
      ...(this.options.requestedBy ? { requestedBy: this.options.requestedBy } : {}),
      signatures: this.signatures.context(),
    };
  }

  private decide(approved: boolean, args: DecisionArgs): string {
    const kind = approved ? 'approve' : 'reject';
    const record = this.recordDecision(kind, args.by, args.comment, this.signatures.accept(args, kind));
    this.gate!.decision = { approved, record };
    return approved ? `approved "${this.gate!.name}"` : `rejected "${this.gate!.name}"; the run ends with nothing further changed`;
  }

  private notify(kind: RunNotification['kind'], summary: string): void {
    const send = this.options.notify;
    if (!send) return;
    const event: RunNotification = {
      kind,
      runbook: this.options.runbook,
      ...(this.options.release ? { release: this.options.release } : {}),
      ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
      summary,
      ...(kind === 'waiting-approval' && this.options.approveHint ? { approveCommand: this.options.approveHint } : {}),
    };
    // Detached from the step's scope so an abort does not cancel the message about it.
    const sent = CancellationScope.nonCancellable(() => send(event)).catch((err: unknown) =>
      log.warn('notification failed; the runbook goes on', { kind, error: String(err) }),
    );
    this.pendingNotifications.push(sent);
  }

  private async flushNotifications(): Promise<void> {
    if (this.pendingNotifications.length === 0) return;
    await Promise.race([Promise.allSettled(this.pendingNotifications), sleep('2m')]);
  }

  /**
   * The Web UI's "current details": what the run is doing and what it waits for. The UI
   * renders Markdown, so every line is its own paragraph (single newlines would run the
   * lines together) and commands are code spans (the renderer turns `--` into a dash).
   */
  private refreshDetails(): void {
    const s = this.status;
    const lines = [`**${s.runbook}**${s.release ? ` · release \`${s.release}\`` : ''}${s.namespace ? ` in \`${s.namespace}\`` : ''}`, '', `Phase: **${s.phase}**`];
    const current = this.journal.current();
    if (current) lines.push('', `Step: ${current.name} (since ${current.startedAt})`);
    if (s.pendingApproval) {
      const ack = s.pendingApproval.requiresSchemaAck ? ', "acknowledgeSchemaChanges": true' : '';
      // How to approve comes before the (long) summary: the UI sizes its frame a little
      // short, so whatever is last may be cut off.
      lines.push(
        '',
        `Waiting for approval: ${s.pendingApproval.gate} (until ${s.pendingApproval.timeoutAt})`,
        '',
        (this.options.approveHint ? `Approve: \`${this.options.approveHint}\`, or send` : 'Approve: send') +
          ` the Update or Signal \`approve\` with \`{"by": "<your name>"${ack}${this.signatures.required ? ', "statement": "…", "signature": "…"' : ''}}\`; reject with \`reject\`, ` +
          'abort with `abort` and `{"by": "...", "reason": "..."}`.' +
          (this.signatures.required ? ' Decisions must be signed: `ssh-keygen -Y sign -n upgrade-runbooks` over the statement (see the README).' : ''),
        '',
        // Markdown hard line breaks keep the summary's lines apart.
        s.pendingApproval.summary.split('\n').join('  \n'),
      );
    }
    if (s.abortRequested) lines.push('', `Abort requested by ${s.abortRequested.by}: ${s.abortRequested.reason}`);
    if (s.outcome) lines.push('', `Outcome: ${s.outcome.message}`);
    setCurrentDetails(lines.join('\n'));
  }
}

function now(): string {
  return new Date().toISOString();
}
