/**
 * Who owns which key. Entries come from the policy (inline keys) and from a keyring file,
 * ConfigMap or Secret loaded at the start of the run, in the allowed_signers form that
 * `ssh-keygen -Y verify -f` also reads: `alice ssh-ed25519 AAAA… alice@laptop` (several
 * names may share a line, comma-separated).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hex, utf8 } from './bytes.js';
import { parseOpenSshPublicKey, type SshPublicKey } from './ssh-key.js';

export interface KeyringEntry {
  name: string;
  key: SshPublicKey;
}

/** A service (chat-ops) that signs on behalf of people it verified itself. */
export interface Relay {
  name: string;
  key: SshPublicKey;
  /** Chat user (as the statement's `via` names it, e.g. "slack:U123") -> approver. */
  users: Record<string, string>;
}

export interface Keyring {
  entries: KeyringEntry[];
  relays: Relay[];
}

/** One keyring line as text, kept in that form because workflow state is plain JSON. */
export interface KeyLine {
  name: string;
  key: string;
}

export interface RelayLine {
  name: string;
  key: string;
  users: Record<string, string>;
}

/** Parses allowed_signers-style text; throws naming the line that is wrong. */
export function parseKeyringText(text: string, source: string): KeyLine[] {
  const out: KeyLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [names, ...rest] = line.split(/\s+/);
    // allowed_signers options (namespaces="…", valid-after=…) sit between names and key.
    const keyAt = rest.findIndex((w) => w === 'ssh-ed25519');
    if (!names || keyAt < 0) throw new Error(`${source} line ${i + 1}: expected "<name> ssh-ed25519 AAAA… [comment]"`);
    const key = rest.slice(keyAt).join(' ');
    try {
      parseOpenSshPublicKey(key);
    } catch (err) {
      throw new Error(`${source} line ${i + 1}: ${(err as Error).message}`);
    }
    for (const name of names.split(',')) if (name) out.push({ name, key });
  });
  return out;
}

export function keyringDigest(text: string): string {
  return `sha256:${hex(sha256(utf8(text)))}`;
}

export function buildKeyring(keys: readonly KeyLine[], relays: readonly RelayLine[]): Keyring {
  return {
    entries: keys.map((k) => ({ name: k.name, key: parseOpenSshPublicKey(k.key) })),
    relays: relays.map((r) => ({ name: r.name, key: parseOpenSshPublicKey(r.key), users: r.users })),
  };
}

/** Names and fingerprints only: what the status shows so a CLI can tell whose key it holds. */
export function keyringSummary(ring: Keyring): { name: string; fingerprint: string }[] {
  return ring.entries.map((e) => ({ name: e.name, fingerprint: e.key.fingerprint }));
}
