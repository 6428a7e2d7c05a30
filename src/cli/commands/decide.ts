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
import { signDecisionFor } from '../sign-decision.js';
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

/** The decisions a policy with `signatures: required` wants signed. */
const SIGNED_DECISIONS = new Set<DecisionName>(['approve', 'reject', 'abort', 'promote']);

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
  const { client } = await ctx.temporal();
  const update = DECISIONS[kind] as unknown as UpdateDefinition<DecisionAck, [Record<string, unknown>]>;
  // A run that requires signed decisions learns who decides from the key, not from --as.
  const signed = SIGNED_DECISIONS.has(kind)
    ? await signDecisionFor(client, { env: ctx.env, timeoutMs: ctx.timeoutMs, signKey: ctx.signKey, as: ctx.asFlag }, runId, kind as 'approve', kind === 'abort' ? opts.reason : opts.comment)
    : undefined;
  const by = signed?.by ?? ctx.identity();
  const args = { ...decisionArgs(by, opts), ...(signed ? { statement: signed.statement, signature: signed.signature } : {}) };
  const ack = await callRun(client, runId, ctx.timeoutMs, () => client.workflow.getHandle(runId, signed?.runId).executeUpdate(update, { args: [args] }));
  ctx.stdout(`${kind} accepted (${by}${signed ? `, signed with ${signed.fingerprint}` : ''}): ${ack.message}`);
  return ExitCode.Ok;
}
