/**
 * Signs decisions with the operator's SSH key the way `ssh-keygen -Y sign -n
 * upgrade-runbooks` does (it is the one doing it): a key file, or a key held by ssh-agent.
 * When a run requires signed decisions, who decides is the owner of the key in the run's
 * keyring, not `--as`. The chat-ops service signs through the same functions with its key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { parseOpenSshPublicKey, type SshPublicKey } from '../domain/signatures/ssh-key.js';
import { SIGNATURE_NAMESPACE } from '../domain/signatures/sshsig.js';
import { commentDigest, formatStatement, START_RUN_ID, type SignedKind } from '../domain/signatures/statement.js';
import { statusQuery } from '../workflows/lib/messages.js';
import { CliError, ExitCode } from './exit-codes.js';

export const SIGN_KEY_ENV = 'RUNBOOK_SIGN_KEY';

export interface SigningKey {
  /** What `ssh-keygen -Y sign -f` is given: a private key, or a public key whose private half is in ssh-agent. */
  path: string;
  key: SshPublicKey;
  source: string;
  cleanup(): Promise<void>;
}

const none = (): Promise<void> => Promise.resolve();

async function publicKeyOf(path: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (path.endsWith('.pub')) return readFile(path, 'utf8');
  try {
    return await readFile(`${path}.pub`, 'utf8');
  } catch {
    const derived = await execa('ssh-keygen', ['-y', '-f', path], { env, reject: false, stdin: 'ignore' });
    if (derived.exitCode !== 0) throw new CliError(ExitCode.InvalidInput, `cannot read the public key of ${path} (no ${path}.pub, and ssh-keygen -y said: ${derived.stderr.trim()})`);
    return derived.stdout;
  }
}

/** The agent's ed25519 keys, as `ssh-add -L` lists them. */
async function agentKeys(env: NodeJS.ProcessEnv): Promise<SshPublicKey[]> {
  if (!env.SSH_AUTH_SOCK) return [];
  const listed = await execa('ssh-add', ['-L'], { env, reject: false, stdin: 'ignore' });
  if (listed.exitCode !== 0) return [];
  return listed.stdout
    .split('\n')
    .filter((l) => l.startsWith('ssh-ed25519 '))
    .map((l) => parseOpenSshPublicKey(l));
}

/**
 * The key to sign with: --sign-key / $RUNBOOK_SIGN_KEY (a private key file, or a .pub whose
 * key is in ssh-agent), else the first ssh-agent key that `accept` takes (a run's keyring).
 */
export async function findSigningKey(env: NodeJS.ProcessEnv, flag: string | undefined, accept: (key: SshPublicKey) => boolean): Promise<SigningKey | undefined> {
  const path = flag ?? env[SIGN_KEY_ENV];
  if (path) {
    let key: SshPublicKey;
    try {
      key = parseOpenSshPublicKey(await publicKeyOf(path, env));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(ExitCode.InvalidInput, `--sign-key ${path}: ${(err as Error).message}`);
    }
    return { path, key, source: path, cleanup: none };
  }
  const key = (await agentKeys(env)).find(accept);
  if (!key) return undefined;
  // ssh-keygen finds the agent's private key from a public key file.
  const dir = await mkdtemp(join(tmpdir(), 'runbook-sign-'));
  const pub = join(dir, 'key.pub');
  await writeFile(pub, `${key.openssh}\n`);
  return { path: pub, key, source: 'ssh-agent', cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** `ssh-keygen -Y sign -n upgrade-runbooks -f <key>` over the statement: the armored SSHSIG. */
export async function signStatement(signingKey: SigningKey, statement: string, env: NodeJS.ProcessEnv): Promise<string> {
  const signed = await execa('ssh-keygen', ['-q', '-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', signingKey.path], { input: statement, env, reject: false });
  if (signed.exitCode !== 0 || !signed.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw new CliError(ExitCode.Failed, `ssh-keygen could not sign with ${signingKey.source} (${signingKey.key.fingerprint}): ${signed.stderr.trim() || `exit ${signed.exitCode}`}`);
  }
  return `${signed.stdout.trim()}\n`;
}

export interface StatementTarget {
  namespace: string;
  workflowId: string;
  runId: string;
}

export function decisionStatement(target: StatementTarget, kind: SignedKind, by: string, comment: string | undefined, now = new Date(), via?: string): string {
  return formatStatement({
    ...target,
    runId: kind === 'start' ? START_RUN_ID : target.runId,
    kind,
    by,
    ...(via ? { via } : {}),
    commentSha256: commentDigest(comment),
    issuedAt: now.toISOString(),
    nonce: randomBytes(16).toString('hex'),
  });
}

export interface SignedDecision {
  by: string;
  runId: string;
  statement: string;
  signature: string;
  fingerprint: string;
}

/**
 * For a run that requires signed decisions: finds the operator's key, takes its owner in
 * the run's keyring as `by`, and signs the statement. Undefined when the run does not
 * require signatures (the decision goes as before, `by` from --as).
 */
export async function signDecisionFor(
  client: Client,
  io: { env: NodeJS.ProcessEnv; timeoutMs: number; signKey?: string | undefined; as?: string | undefined },
  workflowId: string,
  kind: Exclude<SignedKind, 'start'>,
  comment: string | undefined,
): Promise<SignedDecision | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let runId: string;
  let signers: { name: string; fingerprint: string }[];
  try {
    const description = await client.withDeadline(Date.now() + io.timeoutMs, () => handle.describe());
    runId = description.runId;
    const status = await client.withDeadline(Date.now() + io.timeoutMs, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
    if (!status.signatures?.required) return undefined;
    signers = status.signatures.signers;
  } catch {
    // Not found, closed, not a runbook: the decision itself reports that, as without signing.
    return undefined;
  }
  const known = new Set(signers.map((s) => s.fingerprint));
  const key = await findSigningKey(io.env, io.signKey, (k) => known.has(k.fingerprint));
  if (!key) {
    throw new CliError(
      ExitCode.InvalidInput,
      `run ${workflowId} requires signed decisions: load your ed25519 key into ssh-agent, or pass --sign-key <key> (or set ${SIGN_KEY_ENV}); ` +
        `keys it accepts: ${signers.map((s) => `${s.name} ${s.fingerprint}`).join(', ') || 'none'}`,
    );
  }
  try {
    const owners = signers.filter((s) => s.fingerprint === key.key.fingerprint).map((s) => s.name);
    if (owners.length === 0) throw new CliError(ExitCode.Refused, `refused: your key ${key.key.fingerprint} (${key.source}) is not in the keyring of run ${workflowId}`);
    const as = io.as?.trim();
    if (as && !owners.includes(as)) throw new CliError(ExitCode.Refused, `refused: your key ${key.key.fingerprint} belongs to ${owners.join(', ')} in this run's keyring, not to ${as}`);
    if (!as && owners.length > 1) throw new CliError(ExitCode.InvalidInput, `your key ${key.key.fingerprint} is listed for ${owners.join(', ')}: say which with --as`);
    const by = as || owners[0]!;
    const namespace = client.options.namespace;
    const statement = decisionStatement({ namespace, workflowId, runId }, kind, by, comment);
    const signature = await signStatement(key, statement, io.env);
    return { by, runId, statement, signature, fingerprint: key.key.fingerprint };
  } finally {
    await key.cleanup();
  }
}

/**
 * The signed start a run with `signatures: required` checks (four-eyes needs it to know
 * the requester's key): the memo the CLI starts the run with, or undefined when the
 * policy does not call for one and no key is at hand.
 */
export async function signStart(
  env: NodeJS.ProcessEnv,
  signKey: string | undefined,
  target: Omit<StatementTarget, 'runId'>,
  policy: { signatures?: string | undefined; fourEyes: boolean; keys?: { name: string; key: string }[] | undefined },
  requestedBy: string,
): Promise<Record<string, unknown> | undefined> {
  if (policy.signatures !== 'required') return undefined;
  const inline = new Set((policy.keys ?? []).map((k) => parseOpenSshPublicKey(k.key).fingerprint));
  const key = await findSigningKey(env, signKey, (k) => inline.size === 0 || inline.has(k.fingerprint));
  if (!key) {
    if (!policy.fourEyes) return undefined;
    throw new CliError(
      ExitCode.InvalidInput,
      `approval: four-eyes with signatures: required needs a signed start: load your ed25519 key into ssh-agent, or pass --sign-key <key> (or set ${SIGN_KEY_ENV})`,
    );
  }
  try {
    const statement = decisionStatement({ ...target, runId: START_RUN_ID }, 'start', requestedBy, undefined);
    return { runbookStart: { statement, signature: await signStatement(key, statement, env) } };
  } finally {
    await key.cleanup();
  }
}
