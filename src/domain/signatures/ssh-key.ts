/**
 * OpenSSH public keys as people paste them (`ssh-ed25519 AAAA… alice@laptop`) and their
 * fingerprints exactly as `ssh-keygen -l` prints them (SHA256:<unpadded base64>).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64Decode, base64Encode, SshReader } from './bytes.js';

export interface SshPublicKey {
  /** The 32-byte ed25519 point. */
  publicKey: Uint8Array;
  /** The wire blob (string "ssh-ed25519", string key), what fingerprints hash. */
  blob: Uint8Array;
  fingerprint: string;
  /** The key line without its comment, for display and comparison. */
  openssh: string;
  comment?: string;
}

export function fingerprintOf(blob: Uint8Array): string {
  return `SHA256:${base64Encode(sha256(blob), false)}`;
}

/** Parses the ed25519 wire blob; throws with what is wrong. */
export function parseKeyBlob(blob: Uint8Array): SshPublicKey {
  const reader = new SshReader(blob);
  const type = reader.text();
  if (type !== 'ssh-ed25519') throw new Error(`only ssh-ed25519 keys are supported, not ${type}`);
  const publicKey = reader.string();
  if (publicKey.length !== 32 || !reader.done) throw new Error('malformed ssh-ed25519 key');
  return { publicKey, blob, fingerprint: fingerprintOf(blob), openssh: `ssh-ed25519 ${base64Encode(blob)}` };
}

/** `ssh-ed25519 AAAA… [comment]` -> the key; throws naming what is wrong. */
export function parseOpenSshPublicKey(line: string): SshPublicKey {
  const [type, data, ...comment] = line.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || !data) {
    throw new Error(`expected an OpenSSH ed25519 public key such as "ssh-ed25519 AAAA… alice@laptop", got "${line.trim().slice(0, 40)}"`);
  }
  let key: SshPublicKey;
  try {
    key = parseKeyBlob(base64Decode(data));
  } catch (err) {
    throw new Error(`not a valid ssh-ed25519 public key: ${(err as Error).message}`);
  }
  return comment.length ? { ...key, comment: comment.join(' ') } : key;
}
