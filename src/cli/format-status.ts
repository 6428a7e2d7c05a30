/** `runbook status`: a run as a readable report (header, steps table, what it waits for). */
import type { RunStatus, StepRecord } from '../workflows/lib/status.js';
import { type ActivityProgress, progressLines } from './activity-progress.js';
import { gateLines, gateOf, gateTitle } from './gate.js';
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

/** What a fleet's outcome names: each failed, skipped or conflicting tenant and why. */
export interface OutcomeFailure {
  tenant: string;
  reason: string;
}

export function outcomeFailures(status: RunStatus | undefined): OutcomeFailure[] {
  const failures = (status?.outcome as { failures?: unknown } | undefined)?.failures;
  if (!Array.isArray(failures)) return [];
  return failures.filter((f): f is OutcomeFailure => typeof (f as OutcomeFailure)?.tenant === 'string').map((f) => ({ tenant: f.tenant, reason: String(f.reason ?? '') }));
}

/** "Waiting for ...", the summary, and the commands the workflow accepts now. */
export function waitingLines(runId: string, status: RunStatus): string[] {
  const gate = gateOf(runId, status);
  if (!gate) return [];
  const pending = status.pendingApproval;
  return [
    gateTitle(gate),
    ...(pending?.requestedBy ? [`  requested by ${pending.requestedBy}`] : []),
    ...(gate.summary ? gate.summary.split('\n').map((l) => `  ${l}`) : []),
    ...gateLines(gate, status),
  ];
}

const STATE_TEXT: Record<RunState, string> = {
  completed: 'completed',
  'completed-with-failures': 'completed with failures',
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
  /** The pending activities and their last heartbeat (what a long step waits for). */
  progress?: ActivityProgress[];
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
  if (report.progress?.length) out.push('', 'In progress:', ...progressLines(report.progress));
  const waiting = waitingLines(runId, status);
  if (waiting.length) out.push('', ...waiting);
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
    const failures = outcomeFailures(status);
    if (failures.length) {
      out.push(`Tenants not upgraded (${failures.length}):`);
      for (const f of failures) out.push(`  ${f.tenant}: ${oneLine(f.reason)}`);
    }
  }
  return out.join('\n');
}
