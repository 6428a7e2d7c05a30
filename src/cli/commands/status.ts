/** `runbook status <run> [--json]`: the run's steps as a table, and what it waits for. */
import type { CliContext } from '../context.js';
import type { ExitCodeValue } from '../exit-codes.js';
import { formatStatus } from '../format-status.js';
import { readRun } from '../read-run.js';
import { exitCodeFor } from '../run-state.js';

export async function statusCommand(ctx: CliContext, runId: string, opts: { json?: boolean }): Promise<ExitCodeValue> {
  const { client } = await ctx.temporal();
  const report = await readRun(client, runId, ctx.timeoutMs);
  const code = exitCodeFor(report.state);
  if (opts.json) {
    ctx.stdout(
      JSON.stringify(
        {
          workflowId: report.runId,
          workflowType: report.workflowType,
          execution: report.execution,
          state: report.state,
          exitCode: code,
          status: report.status ?? null,
          ...(report.statusUnavailable ? { statusUnavailable: report.statusUnavailable } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    ctx.stdout(formatStatus(report));
  }
  return code;
}
