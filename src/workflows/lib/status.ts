/**
 * What the `status` query answers for every runbook: the phase, each step as the runbook
 * names it, the pending human decision and everything humans said.
 */

export type StepOutcome = 'running' | 'succeeded' | 'failed' | 'skipped' | 'compensated';

export interface StepRecord {
  name: string;
  startedAt: string;
  endedAt?: string;
  outcome: StepOutcome;
  /** One line for humans: what the step found or did. */
  detail?: string;
}

export interface PendingApproval {
  gate: string;
  since: string;
  timeoutAt: string;
  requestedBy?: string;
  allowedApprovers?: string[];
  fourEyes: boolean;
  requiresSchemaAck: boolean;
  /** What the approver is asked to approve (diff summary, generated values...). */
  summary: string;
}

/** Who proved a decision, when the policy requires signed decisions. */
export interface SignedFields {
  /** "alice", or "alice via chat-ops (Slack U123)" for a relayed one. */
  signer: string;
  /** SHA256:… as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The armored SSHSIG and the statement it signs, so anyone can re-verify the decision later (ssh-keygen -Y verify). */
  signature: string;
  statement: string;
}

export interface DecisionRecord extends Partial<SignedFields> {
  at: string;
  kind: string;
  by: string;
  comment?: string;
}

/** What signed decisions are checked against (public keys' owners and fingerprints). */
export interface SignatureStatus {
  required: true;
  signers: { name: string; fingerprint: string }[];
  relays: { name: string; fingerprint: string }[];
  /** The keyring loaded at the start, by reference, and the sha256 of what was loaded. */
  keyring?: { source: string; digest: string };
  /** Who signed the start (four-eyes compares approvers' keys with it). */
  start?: SignedFields;
}

export interface InvalidMessageRecord {
  at: string;
  kind: string;
  by: string;
  reason: string;
}

export type TerminalPhase = 'completed' | 'failed' | 'aborted' | 'rejected' | 'approval-timed-out';

export interface RunStatus {
  runbook: string;
  release?: string;
  namespace?: string;
  phase: string;
  steps: StepRecord[];
  pendingApproval: PendingApproval | null;
  decisions: DecisionRecord[];
  invalidMessages: InvalidMessageRecord[];
  abortRequested?: { by: string; reason: string; at: string } & Partial<SignedFields>;
  signatures?: SignatureStatus;
  /** Runbook-specific facts: backups, diff summary, fleet progress. */
  facts: Record<string, unknown>;
  /** Set when the run ended: what happened, including what compensation did. */
  outcome?: { phase: TerminalPhase; message: string; compensations: string[] };
}
