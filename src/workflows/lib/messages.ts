/**
 * The message contract every runbook workflow speaks. Humans decide through Updates (the
 * caller hears a validator's refusal) or the same-named Signals (the Temporal Web UI and
 * `temporal workflow signal` send signals; an invalid one is recorded in the status and
 * ignored). Clients import these definitions; nothing here runs side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RunStatus } from './status.js';

/**
 * Names one attempt to send a message, for clients that share an Update ID: Temporal applies
 * the Update once and answers every caller with the first one's result, which echoes this
 * tag, so each caller can tell whether its own attempt is the one that was applied (two
 * chat-ops replicas given the same Slack request must not both announce the decision).
 */
export interface RequestTag {
  requestId?: string;
}

/** Who decided, and why. `by` is the operator's identity as the CLI or chat resolved it. */
export interface DecisionArgs extends RequestTag {
  by: string;
  comment?: string;
  /** Required to approve a run whose release has schema changes (forward-only migrations). */
  acknowledgeSchemaChanges?: boolean;
  /** When the policy requires signed decisions: the canonical statement that was signed... */
  statement?: string;
  /** ...and its armored SSH signature (`ssh-keygen -Y sign -n upgrade-runbooks`). */
  signature?: string;
}

export interface AbortArgs extends RequestTag {
  by: string;
  reason: string;
  statement?: string;
  signature?: string;
}

export interface PauseArgs extends RequestTag {
  by: string;
  reason?: string;
}

export interface TenantArgs extends RequestTag {
  by: string;
  tenant: string;
  reason?: string;
}

/** What an accepted Update answers. */
export interface DecisionAck {
  accepted: true;
  phase: string;
  message: string;
  /** The `requestId` of the message that was applied, when it carried one. */
  requestId?: string;
}

export const approveUpdate = defineUpdate<DecisionAck, [DecisionArgs]>('approve');
export const rejectUpdate = defineUpdate<DecisionAck, [DecisionArgs]>('reject');
export const abortUpdate = defineUpdate<DecisionAck, [AbortArgs]>('abort');
export const pauseUpdate = defineUpdate<DecisionAck, [PauseArgs]>('pause');
export const resumeUpdate = defineUpdate<DecisionAck, [PauseArgs]>('resume');
export const promoteUpdate = defineUpdate<DecisionAck, [DecisionArgs]>('promote');
export const skipTenantUpdate = defineUpdate<DecisionAck, [TenantArgs]>('skipTenant');
export const retryTenantUpdate = defineUpdate<DecisionAck, [TenantArgs]>('retryTenant');

export const approveSignal = defineSignal<[DecisionArgs]>('approve');
export const rejectSignal = defineSignal<[DecisionArgs]>('reject');
export const abortSignal = defineSignal<[AbortArgs]>('abort');
export const pauseSignal = defineSignal<[PauseArgs]>('pause');
export const resumeSignal = defineSignal<[PauseArgs]>('resume');
export const promoteSignal = defineSignal<[DecisionArgs]>('promote');
export const skipTenantSignal = defineSignal<[TenantArgs]>('skipTenant');
export const retryTenantSignal = defineSignal<[TenantArgs]>('retryTenant');

export const statusQuery = defineQuery<RunStatus>('status');
