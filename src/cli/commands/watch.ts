/**
 * `runbook watch <run>`: polls the run's status and prints what changes (phase, steps
 * starting and ending) until the run ends or waits for a person. Also behind
 * `start --wait` and `plan`.
 */
import type { Client } from '@temporalio/client';
import type { RunStatus, StepRecord } from '../../workflows/lib/status.js';
import type { CliContext } from '../context.js';
import { type ExitCodeValue } from '../exit-codes.js';
import { progressSummary } from '../activity-progress.js';
import { outcomeFailures, shortTime, type StatusReport, waitingLines } from '../format-status.js';
import { readRun } from '../read-run.js';
import { exitCodeFor, isSettled } from '../run-state.js';

export interface WatchOptions {
  intervalMs: number;
  /** `plan`: keep waiting through "running"; `watch`: also stop when a person must act (default). */
  quiet?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function stepLine(step: StepRecord): string {
  const when = step.outcome === 'running' ? step.startedAt : (step.endedAt ?? step.startedAt);
  return `${shortTime(when)}  ${step.name}: ${step.outcome}${step.detail ? ` (${step.detail.replace(/\s*\n\s*/g, ' ')})` : ''}`;
}

/** What changed between two status snapshots, as lines to print. */
export function statusChanges(before: RunStatus | undefined, after: RunStatus): string[] {
  const lines: string[] = [];
  after.steps.forEach((step, i) => {
    const old = before?.steps[i];
    if (!old || old.name !== step.name || old.outcome !== step.outcome) lines.push(stepLine(step));
  });
  if (!before || before.phase !== after.phase) lines.push(`phase: ${after.phase}`);
  return lines;
}

export function settledMessage(report: StatusReport): string[] {
  const { status, runId } = report;
  if (report.state === 'waiting') {
    const lines = status ? waitingLines(runId, status) : [];
    return lines.length ? lines : [`waiting for a person (phase ${status?.phase ?? '?'}): see \`runbook status '${runId}'\``];
  }
  if (status?.outcome) {
    const failures = outcomeFailures(status);
    return [`${status.outcome.phase}: ${status.outcome.message}`, ...failures.map((f) => `  ${f.tenant}: ${f.reason}`)];
  }
  return [`run ended: ${report.execution.toLowerCase()}${report.statusUnavailable ? ` (${report.statusUnavailable})` : ''}`];
}

/** Polls until the run settles; prints changes as they happen; returns the state's exit code. */
export async function watchRun(ctx: CliContext, client: Client, runId: string, options: WatchOptions): Promise<{ code: ExitCodeValue; report: StatusReport }> {
  let previous: RunStatus | undefined;
  let lastProgress = new Map<string, string>();
  for (;;) {
    const report = await readRun(client, runId, ctx.timeoutMs);
    if (report.status && !options.quiet) {
      for (const line of statusChanges(previous, report.status)) ctx.stdout(line);
      previous = report.status;
    }
    if (!options.quiet) {
      // What a long step waits for, printed when it changes (not every poll).
      const now = new Map((report.progress ?? []).map((p) => [p.activity, progressSummary(p).replace(/: \d+(m\d+)?s(?=:|$)/, '')] as const));
      for (const p of report.progress ?? []) if (lastProgress.get(p.activity) !== now.get(p.activity)) ctx.stdout(`${shortTime(new Date().toISOString())}    ${progressSummary(p)}`);
      lastProgress = now;
    }
    if (isSettled(report.state)) {
      if (!options.quiet) for (const line of settledMessage(report)) ctx.stdout(line);
      return { code: exitCodeFor(report.state), report };
    }
    await sleep(options.intervalMs);
  }
}

export async function watchCommand(ctx: CliContext, runId: string, opts: { interval: number }): Promise<ExitCodeValue> {
  const { client } = await ctx.temporal();
  ctx.stdout(`watching ${runId} (Ctrl-C stops watching, not the run)`);
  const { code } = await watchRun(ctx, client, runId, { intervalMs: opts.interval });
  return code;
}
