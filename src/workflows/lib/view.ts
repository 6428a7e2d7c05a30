/**
 * What a run shows the outside world: the status query, search attributes, the Web UI's
 * current details and chat notifications. The Run decides; this module only reports, so
 * every surface reads the same state (the gate's commands, the outcome's failures).
 */
import { CancellationScope, log, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RunNotification } from '../../domain/notification.js';
import { identityAttributes, PhaseKey } from '../../domain/search-attributes.js';
import type { StepJournal } from './journal.js';
import { statusQuery } from './messages.js';
import type { ApprovalPolicy } from '../../domain/approval-policy.js';
import type { GateSpec } from './gate.js';
import { GATE_HEADLINE } from './gate-commands.js';
import type { PendingApproval, RunStatus } from './status.js';

export interface ViewOptions {
  runbook: string;
  release?: string;
  namespace?: string;
  targetVersion?: string;
  /** Off only where the server has not registered the custom search attributes. */
  searchAttributes?: boolean;
  /** The notify activity; best effort, never blocks the runbook. */
  notify?: (event: RunNotification) => Promise<unknown>;
}

/** A runbook's own lines in the Web UI details (a fleet's waves and failed tenants), as Markdown paragraphs. */
export type DetailsSection = (status: RunStatus) => string[];

export class RunView {
  readonly status: RunStatus;
  private readonly pendingNotifications: Promise<unknown>[] = [];
  private readonly sections: DetailsSection[] = [];

  constructor(
    private readonly options: ViewOptions,
    private readonly journal: StepJournal,
    /** The policy requires signed decisions: the details say how to sign. */
    private readonly signed: () => boolean = () => false,
  ) {
    this.status = {
      runbook: options.runbook,
      ...(options.release ? { release: options.release } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      phase: 'starting',
      steps: journal.steps,
      pendingApproval: null,
      gate: null,
      decisions: [],
      invalidMessages: [],
      facts: {},
    };
    setHandler(statusQuery, () => this.status);
    if (options.searchAttributes !== false) {
      // A fleet starts its tenants with their identity already set (fleet/tenants.ts): then
      // there is nothing to upsert, one history event and one visibility write fewer a tenant.
      // Only what the starter set counts: a run continued as new (or retried) inherits the
      // attributes of the run before and has always upserted them again, as its saved
      // histories expect. Start attributes are in history, so a replay decides the same way.
      const info = workflowInfo();
      const setAtStart = info.continuedFromExecutionRunId === undefined ? info.typedSearchAttributes : undefined;
      const pairs = identityAttributes(options).filter((pair) => setAtStart?.get(pair.key) !== pair.value);
      if (pairs.length) upsertSearchAttributes(pairs);
    }
  }

  setPhase(phase: string): void {
    this.status.phase = phase;
    if (this.options.searchAttributes !== false) upsertSearchAttributes([{ key: PhaseKey, value: phase }]);
    this.refresh();
  }

  notify(kind: RunNotification['kind'], summary: string): void {
    const send = this.options.notify;
    if (!send) return;
    const command = this.status.gate?.commands[0];
    const event: RunNotification = {
      kind,
      runbook: this.options.runbook,
      ...(this.options.release ? { release: this.options.release } : {}),
      ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
      summary,
      ...(kind === 'waiting-approval' && command ? { approveCommand: command } : {}),
    };
    // Detached from the step's scope so an abort does not cancel the message about it.
    const sent = CancellationScope.nonCancellable(() => send(event)).catch((err: unknown) =>
      log.warn('notification failed; the runbook goes on', { kind, error: String(err) }),
    );
    this.pendingNotifications.push(sent);
  }

  async flushNotifications(): Promise<void> {
    if (this.pendingNotifications.length === 0) return;
    await Promise.race([Promise.allSettled(this.pendingNotifications), sleep('2m')]);
  }

  /**
   * The Web UI's "current details": what the run is doing and what it waits for. The UI
   * renders Markdown, so every line is its own paragraph (single newlines would run the
   * lines together) and commands are code spans (the renderer turns `--` into a dash).
   */
  refresh(): void {
    setCurrentDetails(currentDetails(this.status, this.journal, this.signed(), this.sections.flatMap((section) => section(this.status))));
  }

  /** Adds a runbook's own section to the details, shown after what the run waits for. */
  addSection(section: DetailsSection): void {
    this.sections.push(section);
    this.refresh();
  }
}

/** The Markdown of the current details, from the status (and the runbook's own section lines). */
export function currentDetails(s: RunStatus, journal: StepJournal, signed = false, section: readonly string[] = []): string {
  const lines = [`**${s.runbook}**${s.release ? ` · release \`${s.release}\`` : ''}${s.namespace ? ` in \`${s.namespace}\`` : ''}`, '', `Phase: **${s.phase}**`];
  const current = journal.current();
  if (current) lines.push('', `Step: ${current.name} (since ${current.startedAt})`);
  const gate = s.gate;
  if (gate) {
    const ack = gate.kind === 'approval' && s.pendingApproval?.requiresSchemaAck ? ', "acknowledgeSchemaChanges": true' : '';
    const [first, ...others] = gate.accepts.filter((m) => m !== 'abort');
    // How to decide comes before the (long) summary: the UI sizes its frame a little short,
    // so whatever is last may be cut off.
    lines.push(
      '',
      `${GATE_HEADLINE[gate.kind]}: ${gate.name}${gate.timeoutAt ? ` (until ${gate.timeoutAt})` : ''}`,
      '',
      `Commands: ${gate.commands.map((c) => `\`${c}\``).join(', ')}`,
      '',
      `Or send the Update or Signal \`${first}\` with \`{"by": "<your name>"${ack}${signed ? ', "statement": "...", "signature": "..."' : ''}}\`` +
        others.map((m) => `; ${m} with \`${m}\``).join('') +
        '; abort with `abort` and `{"by": "...", "reason": "..."}`.' +
        (signed ? ' Decisions must be signed: `ssh-keygen -Y sign -n upgrade-runbooks` over the statement (see the README).' : ''),
    );
  }
  if (section.length) lines.push('', ...section);
  // Markdown hard line breaks keep the summary's lines apart; last, as it can be long.
  if (gate?.summary) lines.push('', gate.summary.split('\n').join('  \n'));
  if (s.abortRequested) lines.push('', `Abort requested by ${s.abortRequested.by}: ${s.abortRequested.reason}`);
  if (s.outcome) {
    lines.push('', `Outcome: ${s.outcome.message}`);
    if (s.outcome.failures?.length) lines.push('', ...s.outcome.failures.map((f) => `- \`${f.tenant}\`: ${f.reason}`));
  }
  return lines.join('\n');
}

/** The older clients' view of an approval or promotion gate (`gate` supersedes it). */
export function pendingApprovalOf(spec: GateSpec, policy: ApprovalPolicy, requestedBy: string | undefined): PendingApproval {
  return {
    gate: spec.name,
    since: new Date().toISOString(),
    timeoutAt: new Date(Date.now() + (spec.timeout ?? 0)).toISOString(),
    ...(requestedBy ? { requestedBy } : {}),
    ...(policy.approvers.length ? { allowedApprovers: policy.approvers } : {}),
    fourEyes: policy.fourEyes,
    requiresSchemaAck: spec.requiresSchemaAck ?? false,
    summary: spec.summary,
  };
}
