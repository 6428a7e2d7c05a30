/**
 * The decisions: approve, reject, abort, pause, resume, promote, skip-tenant, retry-tenant.
 * Each is an Update (src/workflows/lib/messages.ts) so the operator hears the workflow
 * validator's refusal (exit 5) instead of a signal silently ignored.
 */
import type { UpdateDefinition } from '@temporalio/client';
import {
  abortUpdate,
  approveUpdate,
  type DecisionAck,
  pauseUpdate,
  promoteUpdate,
  rejectUpdate,
  resumeUpdate,
  retryTenantUpdate,
  skipTenantUpdate,
} from '../../workflows/lib/messages.js';
import type { CliContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { callRun } from '../temporal-errors.js';

export const DECISIONS = {
  approve: approveUpdate,
  reject: rejectUpdate,
  abort: abortUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  promote: promoteUpdate,
  'skip-tenant': skipTenantUpdate,
  'retry-tenant': retryTenantUpdate,
} as const;

export type DecisionName = keyof typeof DECISIONS;

/** The Update's argument: always `by`, plus only the fields the operator gave. */
export function decisionArgs(
  by: string,
  opts: { comment?: string; reason?: string; ackSchemaChanges?: boolean; tenant?: string },
): Record<string, unknown> & { by: string } {
  return {
    by,
    ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(opts.ackSchemaChanges ? { acknowledgeSchemaChanges: true } : {}),
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
  };
}

export async function decideCommand(
  ctx: CliContext,
  kind: DecisionName,
  runId: string,
  opts: { comment?: string; reason?: string; ackSchemaChanges?: boolean; tenant?: string },
): Promise<ExitCodeValue> {
  const by = ctx.identity();
  const { client } = await ctx.temporal();
  const update = DECISIONS[kind] as unknown as UpdateDefinition<DecisionAck, [Record<string, unknown>]>;
  const ack = await callRun(client, runId, ctx.timeoutMs, () => client.workflow.getHandle(runId).executeUpdate(update, { args: [decisionArgs(by, opts)] }));
  ctx.stdout(`${kind} accepted (${by}): ${ack.message}`);
  return ExitCode.Ok;
}
