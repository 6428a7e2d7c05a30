/**
 * Who may approve, reject or abort a run, as pure rules: the workflows' Update validators
 * and Signal handlers both call these, so a decision is judged the same way whichever
 * surface (CLI, chat, Web UI) sent it.
 */
import { z } from 'zod';
import { DurationSchema } from './duration.js';

export const ApprovalPolicySchema = z
  .object({
    /** false: the run proceeds without waiting (for pre-approved maintenance). */
    required: z.boolean().default(true),
    /** Identities allowed to decide; empty means anyone. */
    approvers: z.array(z.string().min(1)).default([]),
    /** The person who requested the run may not approve it. */
    fourEyes: z.boolean().default(false),
    /** How long to wait for a human before the run ends as aborted with nothing changed. */
    timeout: DurationSchema.default(24 * 3_600_000),
  })
  .strict();

export type ApprovalPolicy = z.output<typeof ApprovalPolicySchema>;

export interface GateState {
  /** The gate is open for decisions (the run is waiting for approval). */
  waiting: boolean;
  requiresSchemaAck: boolean;
  requestedBy?: string;
}

export interface Decider {
  by?: unknown;
  acknowledgeSchemaChanges?: unknown;
}

function identity(args: Decider): string | undefined {
  return typeof args?.by === 'string' && args.by.trim() !== '' ? args.by.trim() : undefined;
}

function notAllowed(policy: ApprovalPolicy, by: string): string | undefined {
  if (policy.approvers.length > 0 && !policy.approvers.includes(by)) {
    return `${by} is not an allowed approver (allowed: ${policy.approvers.join(', ')})`;
  }
  return undefined;
}

/** Why an approval must be refused, or undefined when it is valid. */
export function approvalRefusal(policy: ApprovalPolicy, gate: GateState, args: Decider): string | undefined {
  const by = identity(args);
  if (!by) return 'the approval must say who approves: set "by" to your name';
  if (!gate.waiting) return 'the run is not waiting for approval';
  const refused = notAllowed(policy, by);
  if (refused) return refused;
  if (policy.fourEyes && gate.requestedBy !== undefined && gate.requestedBy === by) {
    return `four-eyes approval is on: ${by} requested this run and cannot approve it`;
  }
  if (gate.requiresSchemaAck && args.acknowledgeSchemaChanges !== true) {
    return 'this upgrade has schema changes that helm rollback cannot revert: approve with acknowledgeSchemaChanges: true (CLI: --ack-schema-changes)';
  }
  return undefined;
}

export function rejectionRefusal(policy: ApprovalPolicy, gate: GateState, args: Decider): string | undefined {
  const by = identity(args);
  if (!by) return 'the rejection must say who rejects: set "by" to your name';
  if (!gate.waiting) return 'the run is not waiting for approval';
  return notAllowed(policy, by);
}

/** Anyone allowed to approve, and the requester, may abort; a reason is required. */
export function abortRefusal(policy: ApprovalPolicy, requestedBy: string | undefined, args: Decider & { reason?: unknown }, ended: boolean): string | undefined {
  const by = identity(args);
  if (!by) return 'the abort must say who aborts: set "by" to your name';
  if (typeof args.reason !== 'string' || args.reason.trim() === '') return 'the abort needs a reason: set "reason"';
  if (ended) return 'the run has already ended';
  if (by === requestedBy) return undefined;
  return notAllowed(policy, by);
}
