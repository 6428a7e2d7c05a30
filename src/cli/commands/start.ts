/**
 * `runbook start <runbook> --input file.json|- [--set k=v ...] [--wait] [--id <id>]`:
 * validates the input locally, then starts the runbook under its business workflow ID
 * (one run per release: a second start is refused while the first runs).
 */
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { isReleaseWorkflowId } from '../../domain/workflow-ids.js';
import { ApprovalPolicySchema } from '../../domain/approval-policy.js';
import type { RunbookDefinition } from '../../runbooks.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { prepareInput, readInputSource } from '../input.js';
import { signStart } from '../sign-decision.js';
import { watchRun } from './watch.js';

export interface StartOptions {
  input?: string;
  set: string[];
  wait?: boolean;
  id?: string;
  interval: number;
}

export interface PreparedStart {
  runbook: RunbookDefinition;
  workflowId: string;
  input: Record<string, unknown>;
  summary: string;
  identity: string;
  /** The signed start, when the run's approval policy requires signed decisions. */
  memo?: Record<string, unknown>;
}

/** Everything up to the network: catalog, input, validation, workflow ID and summary. */
export async function prepareStart(ctx: CliContext, runbookName: string, opts: StartOptions, dryRun = false): Promise<PreparedStart> {
  const runbook = (await ctx.catalog()).find(runbookName);
  const identity = ctx.identity();
  const source = await readInputSource(opts.input, ctx.stdin);
  const prepared = prepareInput(runbook, source, { sets: opts.set, identity, dryRun, codecEnabled: ctx.temporalConfig().payloadsEncrypted === true });
  for (const note of prepared.notes) ctx.stderr(`note: ${note}`);
  let workflowId: string;
  let summary: string;
  try {
    workflowId = opts.id ?? runbook.workflowId(prepared.parsed);
    summary = runbook.summary(prepared.parsed);
  } catch (err) {
    throw new CliError(ExitCode.InvalidInput, `invalid input for ${runbook.name}: ${(err as Error).message}`);
  }
  // One run per release holds only under the release's business ID: another ID would let a
  // second run change the same release concurrently (a dry run changes nothing).
  const businessId = runbook.workflowId(prepared.parsed);
  if (!dryRun && opts.id !== undefined && opts.id !== businessId && isReleaseWorkflowId(businessId)) {
    throw new CliError(
      ExitCode.InvalidInput,
      `--id ${opts.id}: ${runbook.name} changes a release and runs only under its business ID ${businessId} (one run per release at a time); drop --id`,
    );
  }
  const policy = ApprovalPolicySchema.safeParse(prepared.raw.approval ?? {});
  const requestedBy = typeof prepared.raw.requestedBy === 'string' ? prepared.raw.requestedBy : identity;
  const memo = policy.success ? await signStart(ctx.env, ctx.signKey, { namespace: ctx.temporalConfig().namespace, workflowId }, policy.data, requestedBy) : undefined;
  return { runbook, workflowId, input: prepared.raw, summary, identity, ...(memo ? { memo } : {}) };
}

export async function startRun(client: Client, taskQueue: string, start: PreparedStart): Promise<WorkflowHandleWithFirstExecutionRunId> {
  try {
    return await client.workflow.start(start.runbook.workflowType, {
      taskQueue,
      workflowId: start.workflowId,
      args: [start.input],
      // One run per business ID: never terminate or join a run that is already going.
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: start.summary,
      ...(start.memo ? { memo: start.memo } : {}),
      staticDetails: `${start.runbook.description}\n\nStarted by ${start.identity} with the runbook CLI.`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(
        ExitCode.NotFoundOrConflict,
        `a run with ID ${start.workflowId} is already running (one run per release at a time): see \`runbook status ${start.workflowId}\`, or abort it first`,
      );
    }
    throw new CliError(ExitCode.Failed, `could not start ${start.runbook.name}: ${(err as Error).message}`);
  }
}

export async function startCommand(ctx: CliContext, runbookName: string, opts: StartOptions): Promise<ExitCodeValue> {
  const prepared = await prepareStart(ctx, runbookName, opts);
  const { client, config } = await ctx.temporal();
  const handle = await startRun(client, config.taskQueue, prepared);
  ctx.stdout(`started ${prepared.runbook.name} as ${handle.workflowId} (run ${handle.firstExecutionRunId})`);
  ctx.stdout(`  ${prepared.summary}`);
  if (!opts.wait) {
    ctx.stdout(`  follow it: runbook watch ${handle.workflowId}`);
    return ExitCode.Ok;
  }
  const { code } = await watchRun(ctx, client, handle.workflowId, { intervalMs: opts.interval });
  return code;
}
