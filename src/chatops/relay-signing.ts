/**
 * Chat-ops as a trusted relay: for runs that require signed decisions, the service signs
 * each decision with its own SSH key, naming the Slack user it verified (`via: slack:U123`)
 * and the approver the allow-list maps them to. The run accepts it only if its policy
 * trusts this key for that very chat user, and records "alice via chat-ops (Slack U123)".
 */
import type { Client } from '@temporalio/client';
import { decisionStatement, findSigningKey, signStatement, type SigningKey } from '../cli/sign-decision.js';
import type { SignedKind } from '../domain/signatures/statement.js';
import { RunControlError, toRunControlError, type ControlOptions, type RunControl } from './run-control.js';

export const CHATOPS_SIGN_KEY_ENV = 'CHATOPS_SIGN_KEY';

export interface RelaySigningDeps {
  client: Client;
  /** The relay's key: a private key file (a Secret mounted into the pod). */
  keyPath: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Wraps a RunControl so approve, reject, abort and promote carry the relay's signature when the run wants one. */
export async function withRelaySignatures(inner: RunControl, deps: RelaySigningDeps): Promise<RunControl> {
  const key: SigningKey = (await findSigningKey(deps.env, deps.keyPath, () => false))!;
  const timeoutMs = deps.timeoutMs ?? 60_000;

  async function signed<A extends { by: string }>(runId: string, kind: SignedKind, args: A, comment: string | undefined, opts?: ControlOptions): Promise<A> {
    const status = await inner.status(runId);
    if (!status.signatures?.required) return args;
    if (!status.signatures.relays.some((r) => r.fingerprint === key.key.fingerprint)) {
      throw new RunControlError('refused', `run ${runId} requires signed decisions and does not trust chat-ops' key (${key.key.fingerprint}): decide with the runbook CLI and your own SSH key`);
    }
    if (!opts?.chatUser) throw new RunControlError('refused', 'a signed decision needs the chat user it is made for');
    let currentRun: string;
    try {
      currentRun = (await deps.client.withDeadline(Date.now() + timeoutMs, () => deps.client.workflow.getHandle(runId).describe())).runId;
    } catch (err) {
      return toRunControlError(err, runId, timeoutMs);
    }
    const statement = decisionStatement({ namespace: deps.client.options.namespace, workflowId: runId, runId: currentRun }, kind, args.by, comment, new Date(), opts.chatUser);
    return { ...args, statement, signature: await signStatement(key, statement, deps.env) };
  }

  return {
    ...inner,
    approve: async (runId, args, opts) => inner.approve(runId, await signed(runId, 'approve', args, args.comment, opts), opts),
    reject: async (runId, args, opts) => inner.reject(runId, await signed(runId, 'reject', args, args.comment, opts), opts),
    abort: async (runId, args, opts) => inner.abort(runId, await signed(runId, 'abort', args, args.reason, opts), opts),
    promote: async (runId, args, opts) => inner.promote(runId, await signed(runId, 'promote', args, args.comment, opts), opts),
  };
}
