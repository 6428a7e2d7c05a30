/**
 * Who may approve, reject or abort a run, as pure rules: the workflows' Update validators
 * and Signal handlers both call these, so a decision is judged the same way whichever
 * surface (CLI, chat, Web UI) sent it. With `signatures: required` a decision counts only
 * with an SSH signature (ed25519, SSHSIG) over a statement naming this very run, checked
 * here against the run's keyring.
 */
import { z } from 'zod';
import { WaitDurationSchema } from './duration.js';
import { NamespaceSchema, SecretKeySchema, SubdomainNameSchema } from './grammar.js';
import { KubeTargetSchema, type KubeTarget } from './kube-target.js';
import type { KeyLine, RelayLine } from './signatures/keyring.js';
import { parseOpenSshPublicKey } from './signatures/ssh-key.js';
import type { SignedKind } from './signatures/statement.js';
import { verifySignedDecision, type SignatureContext, type VerifiedSigner } from './signatures/verify-decision.js';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/approval-policy');

const OpenSshKeySchema = schema('OpenSshKeySchema', () =>
  z.string().superRefine((value, ctx) => {
    try {
      parseOpenSshPublicKey(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
);

const Name = schema('Name', () => z.string().min(1));

const KubeObjectRefSchema = schema('KubeObjectRefSchema', () =>
  z
    .object({ namespace: NamespaceSchema, name: SubdomainNameSchema, key: SecretKeySchema.describe('the data key holding allowed_signers lines'), kube: KubeTargetSchema.optional() })
    .strict(),
);

/** Where the run loads more keys from at its start (allowed_signers lines). */
export const KeyringRefSchema = schema('KeyringRefSchema', () =>
  z.union([
    z.object({ file: Name.describe('path on the worker') }).strict(),
    z.object({ configMap: KubeObjectRefSchema }).strict(),
    z.object({ secret: KubeObjectRefSchema }).strict(),
  ]),
);

export type KeyringRef = { file: string } | { configMap: KubeObjectRef } | { secret: KubeObjectRef };
interface KubeObjectRef {
  namespace: string;
  name: string;
  key: string;
  kube?: KubeTarget | undefined;
}

const ApproverSchema = schema('ApproverSchema', () => z.union([Name, z.object({ name: Name, keys: z.array(OpenSshKeySchema).min(1) }).strict()]));

const PolicyFields = schema('PolicyFields', () =>
  z
    .object({
      /** false: the run proceeds without waiting (for pre-approved maintenance). */
      required: z.boolean().default(true),
      /** Identities allowed to decide; empty means anyone (anyone in the keyring when signed). */
      approvers: z.array(ApproverSchema).default([]),
      /** The person who requested the run may not approve it. */
      fourEyes: z.boolean().default(false),
      /** How long to wait for a human before the run ends as aborted with nothing changed. */
      timeout: WaitDurationSchema.default(24 * 3_600_000),
      /** required: approve, reject, abort and promote count only when signed by a key in the keyring. */
      signatures: z.enum(['off', 'required']).optional(),
      /** Keys of people who sign but are not approvers (a requester, for four-eyes). */
      keys: z.array(z.object({ name: Name, key: OpenSshKeySchema }).strict()).optional(),
      keyring: KeyringRefSchema.optional(),
      /** Services that sign for chat users they verified, and which approver each user is. */
      relays: z.array(z.object({ name: Name, key: OpenSshKeySchema, users: z.record(Name, Name) }).strict()).optional(),
      /** How old a signed statement may be, in workflow time. */
      statementMaxAge: WaitDurationSchema.optional(),
    })
    .strict(),
);

export interface ApprovalPolicy {
  required: boolean;
  approvers: string[];
  fourEyes: boolean;
  timeout: number;
  signatures?: 'off' | 'required' | undefined;
  /** Inline keys: the policy's `keys` and the approvers' own `keys`. */
  keys?: KeyLine[] | undefined;
  keyring?: KeyringRef | undefined;
  relays?: RelayLine[] | undefined;
  statementMaxAge?: number | undefined;
}

export const ApprovalPolicySchema = schema('ApprovalPolicySchema', () =>
  PolicyFields.transform((p, ctx): ApprovalPolicy => {
    const approverKeys = p.approvers.flatMap((a) => (typeof a === 'string' ? [] : a.keys.map((key) => ({ name: a.name, key }))));
    const keys = [...(p.keys ?? []), ...approverKeys];
    if (p.signatures === 'required' && keys.length === 0 && !p.keyring && !p.relays?.length) {
      ctx.addIssue({ code: 'custom', path: ['signatures'], message: 'signatures: required needs public keys: list them in approvers[].keys or keys, or load them with keyring' });
    }
    const { approvers, keys: _keys, ...rest } = p;
    return { ...rest, approvers: approvers.map((a) => (typeof a === 'string' ? a : a.name)), ...(keys.length ? { keys } : {}) };
  }),
);

export function signaturesRequired(policy: ApprovalPolicy): boolean {
  return policy.signatures === 'required';
}

export interface GateState {
  /** The gate is open for decisions (the run is waiting for approval). */
  waiting: boolean;
  requiresSchemaAck: boolean;
  requestedBy?: string;
  /** What signatures are checked against; needed when the policy requires them. */
  signatures?: SignatureContext;
}

export interface Decider {
  by?: unknown;
  acknowledgeSchemaChanges?: unknown;
  comment?: unknown;
  statement?: unknown;
  signature?: unknown;
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

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The verified signer of a decision, or why it does not count. `undefined` signer with no
 * refusal: the policy does not require signatures.
 */
export function decisionSignature(
  policy: ApprovalPolicy,
  signatures: SignatureContext | undefined,
  args: Decider & { reason?: unknown },
  kind: SignedKind,
  options: { fourEyes?: boolean; maxAgeMs?: number } = {},
): { refusal?: string; signer?: VerifiedSigner } {
  if (!signaturesRequired(policy)) return {};
  if (!signatures) return { refusal: 'this run requires signed decisions but has no keyring loaded yet: try again in a moment' };
  const verdict = verifySignedDecision(signatures, args, {
    kind,
    comment: kind === 'abort' ? text(args.reason) : text(args.comment),
    fourEyes: options.fourEyes ?? false,
    ...(options.maxAgeMs ?? policy.statementMaxAge ? { maxAgeMs: options.maxAgeMs ?? policy.statementMaxAge } : {}),
  });
  return verdict.ok ? { signer: verdict.signer } : { refusal: verdict.reason };
}

/** Why an approval (or a fleet's promote) must be refused, or undefined when it is valid. */
export function approvalRefusal(policy: ApprovalPolicy, gate: GateState, args: Decider, kind: 'approve' | 'promote' = 'approve'): string | undefined {
  const by = identity(args);
  if (!by) return 'the approval must say who approves: set "by" to your name';
  if (!gate.waiting) return 'the run is not waiting for approval';
  const refused = notAllowed(policy, by);
  if (refused) return refused;
  if (policy.fourEyes && gate.requestedBy !== undefined && gate.requestedBy === by) {
    return `four-eyes approval is on: ${by} requested this run and cannot approve it`;
  }
  const signed = decisionSignature(policy, gate.signatures, args, kind, { fourEyes: policy.fourEyes });
  if (signed.refusal) return signed.refusal;
  if (gate.requiresSchemaAck && args.acknowledgeSchemaChanges !== true) {
    return 'this upgrade has schema changes that helm rollback cannot revert: approve with acknowledgeSchemaChanges: true (CLI: --ack-schema-changes)';
  }
  return undefined;
}

export function rejectionRefusal(policy: ApprovalPolicy, gate: GateState, args: Decider): string | undefined {
  const by = identity(args);
  if (!by) return 'the rejection must say who rejects: set "by" to your name';
  if (!gate.waiting) return 'the run is not waiting for approval';
  return notAllowed(policy, by) ?? decisionSignature(policy, gate.signatures, args, 'reject').refusal;
}

/** Anyone allowed to approve, and the requester, may abort; a reason is required. */
export function abortRefusal(
  policy: ApprovalPolicy,
  requestedBy: string | undefined,
  args: Decider & { reason?: unknown },
  ended: boolean,
  signatures?: SignatureContext,
): string | undefined {
  const by = identity(args);
  if (!by) return 'the abort must say who aborts: set "by" to your name';
  if (typeof args.reason !== 'string' || args.reason.trim() === '') return 'the abort needs a reason: set "reason"';
  if (ended) return 'the run has already ended';
  if (by !== requestedBy) {
    const refused = notAllowed(policy, by);
    if (refused) return refused;
  }
  return decisionSignature(policy, signatures, args, 'abort').refusal;
}
