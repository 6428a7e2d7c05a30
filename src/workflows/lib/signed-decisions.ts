/**
 * The workflow's side of signed decisions: holds the run's keyring (inline keys, plus a
 * keyring loaded by an activity at the start), the nonces already spent and who signed
 * the start, and hands them to the pure checks in src/domain as a SignatureContext.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LoadedKeyring } from '../../activities/keyring.js';
import { decisionSignature, signaturesRequired, type ApprovalPolicy, type Decider } from '../../domain/approval-policy.js';
import { FailureType } from '../../domain/failure-types.js';
import { buildKeyring, keyringSummary, type KeyLine, type Keyring } from '../../domain/signatures/keyring.js';
import type { SignedKind } from '../../domain/signatures/statement.js';
import type { SignatureContext, VerifiedSigner } from '../../domain/signatures/verify-decision.js';
import { readProfile } from './activity-profiles.js';
import { refuse } from './errors.js';
import type { RunStatus, SignedFields } from './status.js';

/** The memo field a signed start travels in (the CLI sets it; the Web UI's start can too). */
export const START_SIGNATURE_MEMO = 'runbookStart';

const { loadKeyring } = proxyActivities<{ loadKeyring(ref: NonNullable<ApprovalPolicy['keyring']>): Promise<LoadedKeyring> }>(readProfile);

export function signedFields(signer: VerifiedSigner): SignedFields {
  return { signer: signer.signer, fingerprint: signer.fingerprint, signature: signer.signature, statement: signer.statement };
}

export class DecisionSignatures {
  private keyring: Keyring | undefined;
  private readonly usedNonces: string[] = [];
  private startSigner: { name: string; fingerprint: string } | undefined;

  constructor(
    private readonly policy: ApprovalPolicy,
    private readonly requestedBy: string | undefined,
  ) {
    // Without a keyring to load, decisions can be judged from the first moment.
    if (signaturesRequired(policy) && !policy.keyring) this.keyring = buildKeyring(policy.keys ?? [], policy.relays ?? []);
  }

  get required(): boolean {
    return signaturesRequired(this.policy);
  }

  /** Loads a referenced keyring and checks the signed start; call before the runbook's first step. */
  async prepare(status: RunStatus): Promise<void> {
    if (!this.required) return;
    let loaded: LoadedKeyring | undefined;
    if (this.policy.keyring) {
      loaded = await loadKeyring(this.policy.keyring);
      const keys: KeyLine[] = [...(this.policy.keys ?? []), ...loaded.keys];
      this.keyring = buildKeyring(keys, this.policy.relays ?? []);
    }
    const ring = this.keyring!;
    status.signatures = {
      required: true,
      signers: keyringSummary(ring),
      relays: ring.relays.map((r) => ({ name: r.name, fingerprint: r.key.fingerprint })),
      ...(loaded ? { keyring: { source: loaded.source, digest: loaded.digest } } : {}),
    };
    const start = workflowInfo().memo?.[START_SIGNATURE_MEMO] as Decider | undefined;
    if (start === undefined && !this.policy.fourEyes) return;
    if (start === undefined) {
      throw refuse(
        FailureType.InvalidInput,
        'approval: four-eyes with signatures: required needs a signed start, so the requester\'s key is known: start the run with `runbook start --sign-key <key>` (or the memo "runbookStart" with statement and signature)',
      );
    }
    // A continued run (continue-as-new) re-checks the start it carries in its memo: the
    // signature still has to hold, but its age and nonce were judged by the first run.
    const continued = workflowInfo().continuedFromExecutionRunId !== undefined;
    const ctx = this.context()!;
    const signed = decisionSignature(
      this.policy,
      continued ? { ...ctx, usedNonces: [] } : ctx,
      { ...start, by: this.requestedBy ?? '' },
      'start',
      continued ? { maxAgeMs: Number.MAX_SAFE_INTEGER } : {},
    );
    if (!signed.signer) throw refuse(FailureType.InvalidInput, `approval: the signed start does not hold: ${signed.refusal}`);
    this.startSigner = { name: signed.signer.name, fingerprint: signed.signer.fingerprint };
    this.usedNonces.push(signed.signer.nonce);
    status.signatures.start = signedFields(signed.signer);
  }

  /** What the domain checks need, or undefined while the keyring is still loading. */
  context(): SignatureContext | undefined {
    if (!this.required || !this.keyring) return undefined;
    const info = workflowInfo();
    return {
      namespace: info.namespace,
      workflowId: info.workflowId,
      runId: info.runId,
      nowMs: Date.now(),
      usedNonces: this.usedNonces,
      keyring: this.keyring,
      ...(this.startSigner ? { startSigner: this.startSigner } : {}),
    };
  }

  /** For an accepted decision: spends its nonce and returns what the record keeps. */
  accept(args: Decider & { reason?: unknown }, kind: SignedKind): SignedFields | undefined {
    const { signer } = decisionSignature(this.policy, this.context(), args, kind);
    if (!signer) return undefined;
    this.usedNonces.push(signer.nonce);
    return signedFields(signer);
  }
}
