/** `runbook status`: a run as a readable report (header, steps table, what it waits for). */
import type { PendingApproval, RunStatus, StepRecord } from '../workflows/lib/status.js';
import type { RunState } from './run-state.js';

export function shortTime(iso: string | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function stepRows(steps: readonly StepRecord[]): string[][] {
  return steps.map((s) => [s.name, s.outcome, shortTime(s.startedAt), shortTime(s.endedAt), oneLine(s.detail ?? '')]);
}

/** The commands that decide a pending approval, with the flags this gate needs. */
export function approvalHelp(runId: string, pending: PendingApproval): string[] {
  const ack = pending.requiresSchemaAck ? ' --ack-schema-changes' : '';
  const lines = [
    `  approve:  runbook approve ${runId}${ack} [--comment "..."]`,
    `  reject:   runbook reject ${runId} [--comment "..."]`,
    `  abort:    runbook abort ${runId} --reason "..."`,
  ];
  const who: string[] = [];
  if (pending.allowedApprovers?.length) who.push(`approvers: ${pending.allowedApprovers.join(', ')}`);
  if (pending.fourEyes) who.push(`four-eyes: ${pending.requestedBy ? `anyone but ${pending.requestedBy}` : 'not the requester'}`);
  if (pending.requiresSchemaAck) who.push('schema changes: approval needs --ack-schema-changes');
  if (who.length) lines.push(`  (${who.join('; ')})`);
  return lines;
}

const STATE_TEXT: Record<RunState, string> = {
  completed: 'completed',
  failed: 'failed',
  stopped: 'stopped (aborted, rejected, timed out or terminated)',
  waiting: 'waiting for a person',
  running: 'in progress',
};

export interface StatusReport {
  runId: string;
  workflowType?: string;
  execution: string;
  state: RunState;
  status?: RunStatus;
  /** When the status query could not be answered (closed run, no worker): why. */
  statusUnavailable?: string;
}

export function formatStatus(report: StatusReport): string {
  const { runId, status } = report;
  const out: string[] = [];
  out.push(`Run:       ${runId}`);
  if (status) {
    const where = [status.release ? `release ${status.release}` : '', status.namespace ? `namespace ${status.namespace}` : ''].filter(Boolean).join(', ');
    out.push(`Runbook:   ${status.runbook}${where ? ` (${where})` : ''}`);
    out.push(`Phase:     ${status.phase}`);
  } else if (report.workflowType) {
    out.push(`Workflow:  ${report.workflowType}`);
  }
  out.push(`State:     ${STATE_TEXT[report.state]} (Temporal: ${report.execution.toLowerCase()})`);
  if (!status) {
    if (report.statusUnavailable) out.push('', `Status query unavailable: ${report.statusUnavailable}`);
    return out.join('\n');
  }
  out.push('');
  if (status.steps.length) {
    out.push(...table(['STEP', 'OUTCOME', 'STARTED', 'ENDED', 'DETAIL'], stepRows(status.steps)));
  } else {
    out.push('No steps yet.');
  }
  const pending = status.pendingApproval;
  if (pending) {
    out.push(
      '',
      `Waiting for approval: ${pending.gate} (since ${shortTime(pending.since)}, times out ${shortTime(pending.timeoutAt)})`,
      ...(pending.requestedBy ? [`  requested by ${pending.requestedBy}`] : []),
      ...pending.summary.split('\n').map((l) => `  ${l}`),
      ...approvalHelp(runId, pending),
    );
  } else if (status.phase === 'paused') {
    out.push('', `Paused: resume with \`runbook resume ${runId}\``);
  }
  if (status.abortRequested) out.push('', `Abort requested by ${status.abortRequested.by} at ${shortTime(status.abortRequested.at)}: ${status.abortRequested.reason}`);
  if (status.decisions.length) {
    out.push('', 'Decisions:');
    for (const d of status.decisions) out.push(`  ${shortTime(d.at)}  ${d.kind} by ${d.signer ?? d.by}${d.fingerprint ? ` (signed, ${d.fingerprint})` : ''}${d.comment ? `: ${oneLine(d.comment)}` : ''}`);
  }
  if (status.invalidMessages.length) {
    out.push('', 'Ignored messages:');
    for (const m of status.invalidMessages) out.push(`  ${shortTime(m.at)}  ${m.kind} by ${m.by}: ${m.reason}`);
  }
  if (status.outcome) {
    out.push('', `Outcome: ${status.outcome.phase}: ${status.outcome.message}`);
    for (const c of status.outcome.compensations) out.push(`  compensated: ${c}`);
  }
  return out.join('\n');
}
