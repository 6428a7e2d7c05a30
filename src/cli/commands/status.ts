/** `runbook status <run> [-o json|yaml]`: the run's steps as a table, its progress, and what it waits for. */
import type { CliContext } from '../context.js';
import type { ExitCodeValue } from '../exit-codes.js';
import { formatStatus, outcomeFailures } from '../format-status.js';
import { gateOf } from '../gate.js';
import { type OutputFormat, renderData } from '../output.js';
import { readRun } from '../read-run.js';
import { exitCodeFor } from '../run-state.js';

export async function statusCommand(ctx: CliContext, runId: string, format: OutputFormat): Promise<ExitCodeValue> {
  const { client } = await ctx.temporal();
  const report = await readRun(client, runId, ctx.timeoutMs);
  const code = exitCodeFor(report.state);
  if (format === 'text') {
    ctx.stdout(formatStatus(report));
    return code;
  }
  ctx.stdout(
    renderData(format, {
      workflowId: report.runId,
      workflowType: report.workflowType,
      execution: report.execution,
      state: report.state,
      exitCode: code,
      // What the run waits for and the commands it accepts now (null when nobody needs to act).
      gate: report.status ? gateOf(runId, report.status) : null,
      failures: outcomeFailures(report.status),
      progress: report.progress ?? [],
      status: report.status ?? null,
      ...(report.statusUnavailable ? { statusUnavailable: report.statusUnavailable } : {}),
    }),
  );
  return code;
}
