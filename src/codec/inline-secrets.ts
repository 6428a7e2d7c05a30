/**
 * Which values of a run's input are secrets written inline: a value under a secret-looking
 * key (password, token, secret, apiKey, credentials...) or a URL with a password in it.
 * Without the payload codec these would sit in Temporal's history in clear, so the CLI and
 * the workflow itself refuse them; a reference (a Secret name, a file on the worker, an
 * environment variable name) is never a finding.
 *
 * Pure and deterministic: the workflows import it (src/workflows/lib/inline-secrets.ts).
 */

/** Words that make a key secret-looking, compared without case, dashes or underscores. */
const SECRET_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'privatekey', 'credential', 'accesskey', 'cookie', 'clientsecret'];
/** A key ending in one of these names where a secret is, not the secret: tokenEnv, passwordFile, secretName, keyRef. */
const REFERENCE_SUFFIXES = ['env', 'ref', 'from', 'file', 'files', 'path', 'name', 'names', 'keyref', 'enabled', 'length', 'ttl', 'expiry', 'type'];
/** Keys ending in "key" that hold no secret. `key` alone is the key inside a secretRef. */
const NOT_SECRET_KEYS = new Set(['key', 'publickey', 'keys', 'hostkey', 'sortkey', 'tagkey', 'imagekey']);

/** scheme://user:password@host (an empty user counts: redis://:password@host). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:[^@/?#\s]+@/i;

export function isSecretLookingKey(key: string): boolean {
  const segment = key.split('.').at(-1) ?? key;
  const k = segment.toLowerCase().replace(/[-_]/g, '');
  if (k === '' || k.startsWith('existing')) return false;
  if (REFERENCE_SUFFIXES.some((suffix) => k.endsWith(suffix) && k !== suffix)) return false;
  if (k === 'pass' || k === 'pwd') return true;
  if (SECRET_WORDS.some((word) => k.includes(word))) return true;
  return k.endsWith('key') && !NOT_SECRET_KEYS.has(k);
}

export function hasUrlCredentials(value: string): boolean {
  return URL_WITH_PASSWORD.test(value);
}

/** A reference to a secret stored elsewhere: { secretRef: {...} }, { env: NAME }, { file: PATH }. */
function isReference(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => ['secretRef', 'env', 'file', 'secretKeyRef', 'valueFrom'].includes(k));
}

/** Field paths (`values.set.db.password`, `values.inline.opencti.url`) of secrets written inline. */
export function inlineSecretPaths(input: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string[], key: string): void => {
    if (typeof value === 'string') {
      if ((value !== '' && isSecretLookingKey(key)) || hasUrlCredentials(value)) found.push(path.join('.'));
      return;
    }
    if (typeof value === 'number') {
      if (isSecretLookingKey(key)) found.push(path.join('.'));
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...path, String(i)], key));
      return;
    }
    if (value !== null && typeof value === 'object') {
      if (isReference(value as Record<string, unknown>)) return;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, [...path, k], k);
    }
  };
  walk(input, [], '');
  return found;
}

/** The refusal both the CLI and the workflow give, with the fields and the two ways out. */
export function inlineSecretsRefusal(runbook: string, paths: readonly string[]): string {
  const shown = paths.slice(0, 10).join(', ') + (paths.length > 10 ? `, and ${paths.length - 10} more` : '');
  return (
    `${runbook}: secret-looking values are written inline in the input, and the payload codec is off, so Temporal would keep them in clear: ${shown}. ` +
    'Pass them by reference instead (a values file on the worker in values.files, a Secret or worker environment variable where the field takes a reference), ' +
    'or turn on the payload codec on the worker and the CLI (RUNBOOK_CODEC_KEYS or RUNBOOK_CODEC_KEYS_FILE; README "Secrets in Temporal")'
  );
}
