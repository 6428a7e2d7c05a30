/**
 * `runbook plan <runbook> --input ...`: the runbook's dry run. Starts it with
 * `dryRun: true` (only runbooks whose input has that field), waits for it and prints the
 * result. The dry run gets its own workflow ID (`<business ID>:plan-<time>`) so planning
 * never blocks, nor is blocked by, a real run on the same release.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { CliContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { formatStatus } from '../format-status.js';
import { prepareStart, type StartOptions, startRun } from './start.js';
import { settledMessage, watchRun } from './watch.js';

export async function planCommand(ctx: CliContext, runbookName: string, opts: Omit<StartOptions, 'wait'> & { json?: boolean }): Promise<ExitCodeValue> {
  const prepared = await prepareStart(ctx, runbookName, opts, true);
  if (!opts.id) prepared.workflowId = `${prepared.workflowId}:plan-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  prepared.summary = `dry run: ${prepared.summary}`;
  const { client, config } = await ctx.temporal();
  const handle = await startRun(client, config.taskQueue, prepared);
  if (!opts.json) ctx.stderr(`planning ${prepared.runbook.name} as ${handle.workflowId}...`);
  const { code, report } = await watchRun(ctx, client, handle.workflowId, { intervalMs: opts.interval, quiet: true });
  let result: unknown;
  if (code === ExitCode.Ok) {
    try {
      result = await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
    }
  }
  if (opts.json) {
    ctx.stdout(JSON.stringify({ workflowId: handle.workflowId, state: report.state, exitCode: code, result: result ?? null, status: report.status ?? null }, null, 2));
    return code;
  }
  ctx.stdout(formatStatus(report));
  if (code === ExitCode.Ok) {
    ctx.stdout('');
    ctx.stdout('Plan:');
    ctx.stdout(JSON.stringify(result ?? null, null, 2));
  } else {
    ctx.stdout('');
    for (const line of settledMessage(report)) ctx.stdout(line);
  }
  return code;
}
