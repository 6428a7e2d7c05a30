/**
 * `runbook list [--phase P] [--runbook R] [--release X]`: a visibility query on the custom
 * search attributes every run sets (src/domain/search-attributes.ts).
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { PhaseKey, ReleaseKey, RunbookKey } from '../../domain/search-attributes.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { shortTime, table } from '../format-status.js';
import { type OutputFormat, renderData } from '../output.js';

export interface ListOptions {
  phase?: string;
  runbook?: string;
  release?: string;
  open?: boolean;
  limit: number;
  format: OutputFormat;
}

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The visibility query for the filters; runs without our search attributes are left out. */
export function listQuery(opts: Pick<ListOptions, 'phase' | 'runbook' | 'release' | 'open'>): string {
  const clauses: string[] = [];
  if (opts.runbook) clauses.push(`${RunbookKey.name} = ${quote(opts.runbook)}`);
  if (opts.release) clauses.push(`${ReleaseKey.name} = ${quote(opts.release)}`);
  if (opts.phase) clauses.push(`${PhaseKey.name} = ${quote(opts.phase)}`);
  if (clauses.length === 0) clauses.push(`${RunbookKey.name} IS NOT NULL`);
  if (opts.open) clauses.push(`ExecutionStatus = "Running"`);
  return clauses.join(' AND ');
}

export interface ListedRun {
  workflowId: string;
  runbook: string | null;
  release: string | null;
  phase: string | null;
  execution: string;
  startTime: string;
}

function toListed(info: WorkflowExecutionInfo): ListedRun {
  const sa = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runbook: sa.get(RunbookKey) ?? null,
    release: sa.get(ReleaseKey) ?? null,
    phase: sa.get(PhaseKey) ?? null,
    execution: info.status.name,
    startTime: info.startTime.toISOString(),
  };
}

export async function listCommand(ctx: CliContext, opts: ListOptions): Promise<ExitCodeValue> {
  if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new CliError(ExitCode.InvalidInput, '--limit must be a positive integer');
  const { client } = await ctx.temporal();
  const query = listQuery(opts);
  const runs: ListedRun[] = [];
  try {
    for await (const info of client.workflow.list({ query, pageSize: Math.min(opts.limit, 100) })) {
      runs.push(toListed(info));
      if (runs.length >= opts.limit) break;
    }
  } catch (err) {
    throw new CliError(
      ExitCode.Failed,
      `the visibility query failed (${query}): ${(err as Error).message}; are the search attributes registered on this server? (see README)`,
    );
  }
  if (opts.format !== 'text') {
    ctx.stdout(renderData(opts.format, runs));
    return ExitCode.Ok;
  }
  if (runs.length === 0) {
    ctx.stdout(`no runs match ${query}`);
    return ExitCode.Ok;
  }
  const rows = runs.map((r) => [r.workflowId, r.runbook ?? '-', r.release ?? '-', r.phase ?? '-', r.execution.toLowerCase(), shortTime(r.startTime)]);
  for (const line of table(['ID', 'RUNBOOK', 'RELEASE', 'PHASE', 'EXECUTION', 'STARTED'], rows)) ctx.stdout(line);
  return ExitCode.Ok;
}
