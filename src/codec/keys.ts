/**
 * The payload codec's keys: AES-256 keys with an ID each, from RUNBOOK_CODEC_KEYS (inline)
 * or RUNBOOK_CODEC_KEYS_FILE (a mounted Secret). The first key encrypts; every key listed
 * decrypts, so a key is rotated by putting the new one first and dropping the old one once
 * no history still needs it.
 *
 * Format (both sources): `id=base64key` entries separated by commas or newlines; `#` starts a
 * comment line. A key is 32 random bytes: `openssl rand -base64 32`.
 */
import { readFileSync } from 'node:fs';

export const CODEC_KEYS_ENV = 'RUNBOOK_CODEC_KEYS';
export const CODEC_KEYS_FILE_ENV = 'RUNBOOK_CODEC_KEYS_FILE';

export interface CodecKey {
  id: string;
  key: Buffer;
}

export interface CodecKeyring {
  /** Encrypts every new payload. */
  current: CodecKey;
  /** Decrypts, by the key ID a payload carries. */
  byId: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses the key list; `source` names where it came from in every error (never the key). */
export function parseCodecKeys(text: string, source: string): CodecKeyring {
  const keys: CodecKey[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  entries.forEach((entry, index) => {
    const eq = entry.indexOf('=');
    const where = `${source}, entry ${index + 1}`;
    if (eq <= 0) throw new Error(`${where}: expected id=base64key (for example k2026=$(openssl rand -base64 32))`);
    const id = entry.slice(0, eq).trim();
    if (!KEY_ID.test(id)) throw new Error(`${where}: the key ID "${id}" must be letters, digits, dots, dashes or underscores (at most 64)`);
    const encoded = entry.slice(eq + 1).trim();
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from ignores characters outside the alphabet: compare the round trip so a typo is not a shorter key.
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
      throw new Error(`${where}: key "${id}" is not 32 bytes of base64 (AES-256 needs 32 bytes: openssl rand -base64 32)`);
    }
    if (keys.some((k) => k.id === id)) throw new Error(`${where}: key ID "${id}" is listed twice`);
    keys.push({ id, key });
  });
  const current = keys[0];
  if (!current) throw new Error(`${source} lists no key: expected id=base64key entries`);
  return { current, byId: new Map(keys.map((k) => [k.id, k.key])) };
}

/** The keyring the environment configures, or undefined: the codec is off (the embedded default). */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeyring | undefined {
  const inline = env[CODEC_KEYS_ENV]?.trim();
  const file = env[CODEC_KEYS_FILE_ENV]?.trim();
  if (inline && file) throw new Error(`set ${CODEC_KEYS_ENV} or ${CODEC_KEYS_FILE_ENV}, not both`);
  if (inline) return parseCodecKeys(inline, CODEC_KEYS_ENV);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${CODEC_KEYS_FILE_ENV}=${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseCodecKeys(text, `${CODEC_KEYS_FILE_ENV}=${file}`);
}
