/**
 * Judges a signed decision against the run it is sent to. Pure: everything it needs (the
 * run's identity, workflow time, the nonces already used, the start's signer) is passed
 * in, so the workflow's Update validators and Signal handlers can call it directly.
 */
import type { Keyring } from './keyring.js';
import { parseSshSignature, SIGNATURE_NAMESPACE, verifySshSignature } from './sshsig.js';
import { utf8 } from './bytes.js';
import { commentDigest, parseStatement, START_RUN_ID, type SignedKind } from './statement.js';

export const DEFAULT_STATEMENT_MAX_AGE_MS = 15 * 60_000;
/** Clocks of signers and the Temporal server disagree a little. */
const FUTURE_SKEW_MS = 2 * 60_000;

export interface SignatureContext {
  namespace: string;
  workflowId: string;
  runId: string;
  /** Workflow time (ms since the epoch). */
  nowMs: number;
  usedNonces: readonly string[];
  keyring: Keyring;
  /** Who signed the start of the run, when it was signed. */
  startSigner?: { name: string; fingerprint: string };
}

export interface SignedArgs {
  by?: unknown;
  statement?: unknown;
  signature?: unknown;
}

export interface VerifiedSigner {
  /** The approver the decision counts for. */
  name: string;
  /** How the record reads: "alice", or "alice via chat-ops (Slack U123)". */
  signer: string;
  fingerprint: string;
  signature: string;
  statement: string;
  nonce: string;
  issuedAt: string;
}

export type Verdict = { ok: true; signer: VerifiedSigner } | { ok: false; reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });

function describeVia(via: string): string {
  const [service, ...id] = via.split(':');
  if (!service || id.length === 0) return via;
  return `${service.charAt(0).toUpperCase()}${service.slice(1)} ${id.join(':')}`;
}

export interface VerifyOptions {
  kind: SignedKind;
  /** The text the statement's comment-sha256 covers: the comment, an abort's reason, a start's input. */
  comment: string | undefined;
  maxAgeMs?: number;
  /** Four-eyes: a key that signed the start may not sign this decision. */
  fourEyes?: boolean;
}

export function verifySignedDecision(ctx: SignatureContext, args: SignedArgs, opts: VerifyOptions): Verdict {
  const { statement: text, signature: armored } = args;
  if (typeof armored !== 'string' || armored.trim() === '' || typeof text !== 'string' || text === '') {
    return refuse(
      'this run requires signed decisions and this one has no signature: use the runbook CLI (it signs with your SSH key), ' +
        'or send "statement" and "signature" (ssh-keygen -Y sign -n upgrade-runbooks)',
    );
  }
  let sig;
  try {
    sig = parseSshSignature(armored);
  } catch (err) {
    return refuse(`the signature is unreadable: ${(err as Error).message}`);
  }
  const fingerprint = sig.key.fingerprint;
  const owners = ctx.keyring.entries.filter((e) => e.key.fingerprint === fingerprint).map((e) => e.name);
  const relay = ctx.keyring.relays.find((r) => r.key.fingerprint === fingerprint);
  if (owners.length === 0 && !relay) return refuse(`unknown key ${fingerprint}: it is not in this run's keyring`);
  if (sig.namespace !== SIGNATURE_NAMESPACE) {
    return refuse(`the signature was made for namespace "${sig.namespace}", not "${SIGNATURE_NAMESPACE}" (ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE})`);
  }
  if (!verifySshSignature(sig, utf8(text))) return refuse(`the signature by ${fingerprint} does not match the statement (was the statement edited after signing?)`);
  let s;
  try {
    s = parseStatement(text);
  } catch (err) {
    return refuse(`the signed statement is malformed: ${(err as Error).message}`);
  }
  let name: string;
  let signer: string;
  if (relay) {
    if (!s.via) return refuse(`key ${fingerprint} is the ${relay.name} relay's: its statements must say via which chat user`);
    const mapped = relay.users[s.via];
    if (mapped === undefined) return refuse(`${relay.name} is not trusted to act for ${s.via}: that chat user is not mapped to an approver`);
    if (mapped !== s.by) return refuse(`${relay.name} may sign for ${s.via} only as ${mapped}, not as ${s.by}`);
    name = s.by;
    signer = `${s.by} via ${relay.name} (${describeVia(s.via)})`;
  } else {
    if (s.via) return refuse(`key ${fingerprint} belongs to ${owners.join(', ')}, not to a trusted relay: it cannot sign via ${s.via}`);
    if (!owners.includes(s.by)) return refuse(`key ${fingerprint} belongs to ${owners.join(', ')}, not to ${s.by}`);
    name = s.by;
    signer = s.by;
  }
  const by = typeof args.by === 'string' ? args.by.trim() : '';
  if (by !== name) return refuse(`the decision says "by": "${by}" but the statement was signed for ${name}`);
  const runId = opts.kind === 'start' ? START_RUN_ID : ctx.runId;
  if (s.namespace !== ctx.namespace || s.workflowId !== ctx.workflowId || s.runId !== runId) {
    return refuse(
      `the statement is for another run (namespace ${s.namespace}, workflow ${s.workflowId}, run ${s.runId}), ` +
        `not this one (namespace ${ctx.namespace}, workflow ${ctx.workflowId}, run ${runId})`,
    );
  }
  if (s.kind !== opts.kind) return refuse(`the statement signs a ${s.kind} decision, not ${opts.kind}`);
  if (s.commentSha256 !== commentDigest(opts.comment)) {
    const what = opts.kind === 'abort' ? 'reason' : opts.kind === 'start' ? 'input' : 'comment';
    return refuse(`the ${what} differs from the one that was signed (its sha256 does not match the statement's comment-sha256)`);
  }
  const issued = Date.parse(s.issuedAt);
  const maxAge = opts.maxAgeMs ?? DEFAULT_STATEMENT_MAX_AGE_MS;
  const now = new Date(ctx.nowMs).toISOString();
  if (ctx.nowMs - issued > maxAge) return refuse(`the statement was issued at ${s.issuedAt}, more than ${Math.round(maxAge / 60_000)} min before ${now} (workflow time): sign it again`);
  if (issued - ctx.nowMs > FUTURE_SKEW_MS) return refuse(`the statement is issued at ${s.issuedAt}, in the future of the workflow's time ${now}: check the signer's clock`);
  if (ctx.usedNonces.includes(s.nonce)) return refuse(`nonce ${s.nonce} was already used in this run: a signed statement counts once, sign a new one`);
  if (opts.fourEyes && ctx.startSigner && ctx.startSigner.fingerprint === fingerprint) {
    return refuse(`four-eyes approval is on: key ${fingerprint} signed the start of this run (${ctx.startSigner.name}) and cannot approve it`);
  }
  return { ok: true, signer: { name, signer, fingerprint, signature: armored.trim(), statement: text, nonce: s.nonce, issuedAt: s.issuedAt } };
}
