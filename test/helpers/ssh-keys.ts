/**
 * Throwaway SSH keys made by the real ssh-keygen in a temp dir, and signatures made by
 * `ssh-keygen -Y sign` (the format the workflow verifies). Nothing here is committed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commentDigest, formatStatement, type Statement } from '../../src/domain/signatures/statement.js';

export interface TestKey {
  name: string;
  privatePath: string;
  publicPath: string;
  /** `ssh-ed25519 AAAA… name@test` */
  publicKey: string;
  /** As `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export class KeyDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'runbook-keys-'));

  key(name: string): TestKey {
    const privatePath = join(this.dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@test`, '-f', privatePath]);
    const publicKey = readFileSync(`${privatePath}.pub`, 'utf8').trim();
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${privatePath}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    return { name, privatePath, publicPath: `${privatePath}.pub`, publicKey, fingerprint };
  }

  /** `ssh-keygen -Y sign -n <namespace> -f <key> <file>`: the armored signature. */
  sign(key: TestKey, message: string, namespace = 'upgrade-runbooks', hash?: 'sha256' | 'sha512'): string {
    const file = join(this.dir, `msg-${randomBytes(6).toString('hex')}`);
    writeFileSync(file, message);
    execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', key.privatePath, ...(hash ? ['-O', `hashalg=${hash}`] : []), file], { stdio: 'pipe' });
    return readFileSync(`${file}.sig`, 'utf8');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A statement for a decision, with a fresh nonce and the given comment. */
export function statementFor(fields: Omit<Statement, 'commentSha256' | 'nonce' | 'issuedAt'> & { comment?: string; issuedAt?: string; nonce?: string }): string {
  const { comment, ...rest } = fields;
  return formatStatement({
    ...rest,
    commentSha256: commentDigest(comment),
    issuedAt: fields.issuedAt ?? new Date().toISOString(),
    nonce: fields.nonce ?? randomBytes(16).toString('hex'),
  });
}
