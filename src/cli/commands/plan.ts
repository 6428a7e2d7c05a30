/**
 * `runbook plan <runbook> --input ...`: the runbook's dry run. Starts it with
 * `dryRun: true` (only runbooks whose input has that field), waits for it and prints the
 * result. The dry run gets its own workflow ID (`<business ID>:plan-<time>`) so planning
 * never blocks, nor is blocked by, a real run on the same release.
 *
 * A plan is only good news when the real run would go ahead: when a gate (system-first
 * ordering, compatibility, prerequisites, a locked release, the input) would refuse it,
 * `plan` says "would be refused: ..." and exits 5.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import type { CliContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatStatus } from '../format-status.js';
import { type OutputFormat, renderData } from '../output.js';
import { prepareStart, type StartOptions, startRun } from './start.js';
import { settledMessage, watchRun } from './watch.js';

/** Failures that are a gate's refusal (the real run would stop there before changing anything). */
const REFUSAL_TYPES = new Set<string>([FailureType.InvalidInput, FailureType.Incompatible, FailureType.PrerequisiteMissing, FailureType.ReleaseLocked]);

/**
 * What a completed dry run says a gate would refuse: `wouldRefuse` (string or list) or
 * `refusals` in the result, or the fleet's `systemGateProblem` (the system-first gate,
 * which a dry run evaluates without refusing).
 */
export function refusalsInResult(result: unknown): string[] {
  if (typeof result !== 'object' || result === null) return [];
  const r = result as { wouldRefuse?: unknown; refusals?: unknown; systemGateProblem?: unknown };
  const list: unknown[] = [r.wouldRefuse, r.refusals, r.systemGateProblem].flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : v === undefined || v === null || v === '' ? [] : [v]));
  return [...new Set(list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))];
}

export async function planCommand(ctx: CliContext, runbookName: string, opts: Omit<StartOptions, 'wait'> & { format: OutputFormat }): Promise<ExitCodeValue> {
  const prepared = await prepareStart(ctx, runbookName, opts, true);
  if (!opts.id) prepared.workflowId = `${prepared.workflowId}:plan-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  prepared.summary = `dry run: ${prepared.summary}`;
  const { client, config } = await ctx.temporal();
  const handle = await startRun(client, config.taskQueue, prepared);
  if (opts.format === 'text') ctx.stderr(`planning ${prepared.runbook.name} as ${handle.workflowId}...`);
  const watched = await watchRun(ctx, client, handle.workflowId, { intervalMs: opts.interval, quiet: true });
  let code = watched.code;
  const { report } = watched;
  let result: unknown;
  let refusals: string[] = [];
  try {
    result = await client.withDeadline(Date.now() + ctx.timeoutMs, () => handle.result());
    refusals = refusalsInResult(result);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    if (err.cause instanceof ApplicationFailure && REFUSAL_TYPES.has(err.cause.type ?? '')) refusals = [err.cause.message];
  }
  if (refusals.length) code = ExitCode.Refused;
  if (opts.format !== 'text') {
    ctx.stdout(
      renderData(opts.format, {
        workflowId: handle.workflowId,
        state: report.state,
        exitCode: code,
        wouldBeRefused: refusals.length > 0,
        refusals,
        result: result ?? null,
        status: report.status ?? null,
      }),
    );
    return code;
  }
  ctx.stdout(formatStatus(report));
  ctx.stdout('');
  if (refusals.length) {
    for (const r of refusals) ctx.stdout(`would be refused: ${r}`);
    ctx.stdout('(nothing was changed: this was a dry run)');
  } else if (code === ExitCode.Ok) {
    ctx.stdout('Plan:');
    ctx.stdout(JSON.stringify(result ?? null, null, 2));
  } else {
    for (const line of settledMessage(report)) ctx.stdout(line);
  }
  return code;
}
