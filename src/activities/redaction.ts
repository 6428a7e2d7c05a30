/**
 * Keeps secrets out of workflow history, logs and error messages. Every string that
 * leaves the command runner (argv, stdout, stderr, messages) passes through a Redactor.
 *
 * Three layers, because a key name alone misses what the issue found leaking:
 * - by value: every literal registered as secret (values read from Secrets, tokens, and
 *   the values under secret-looking keys of every values file a run loads) is hidden
 *   wherever it appears, whatever key or line carries it;
 * - URLs: the password of scheme://user:password@host, in any text;
 * - by key in free text: `password: x`, `"apiKey": "x"`, `token=x`.
 */
import { hasUrlCredentials, isSecretLookingKey } from '../codec/inline-secrets.js';

export const REDACTED = '***';

/** `--set` keys whose values are treated as secrets. */
const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth|access[-_]?key|cookie)/i;

/** Flags whose next argv element is a `key=value` assignment. */
const SET_FLAGS = new Set(['--set', '--set-string', '--set-json', '--set-literal']);

/** A URL with a password: scheme://user:password@host */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]+)(@)/gi;

/**
 * Values that are public whatever key holds them: chart placeholders ("ChangeMe" is the
 * OpenCTI chart's default) and literals. Messages name them on purpose ("left at ChangeMe").
 */
const PUBLIC_VALUES = new Set(['changeme', 'change-me', 'change_me', 'null', 'none', 'true', 'false', 'empty', '(empty)', REDACTED]);

/** `key: value`, `"key": "value"`, `key=value` in free text; the key decides (isSecretLookingKey). */
const KEY_VALUE = /([A-Za-z0-9_.-]+)(["']?[ \t]*[:=][ \t]*)(["']?)([^\s"',}\]]+)/g;

export class Redactor {
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.addSecret(s);
  }

  /** Registers a literal value (a password read from a Secret, a token) to hide everywhere. */
  addSecret(value: string | undefined): void {
    // Very short values would redact ordinary words and numbers; they are not secrets worth the noise.
    if (value && value.length >= 4 && !PUBLIC_VALUES.has(value.toLowerCase())) this.secrets.add(value);
  }

  /** A child redactor that also hides `extra`, leaving this one unchanged. */
  with(extra: Iterable<string>): Redactor {
    const child = new Redactor(this.secrets);
    for (const s of extra) child.addSecret(s);
    return child;
  }

  /**
   * Registers the values under secret-looking keys of a values tree (a values file, inline
   * values) and the passwords of URLs in it, so they are hidden by value from then on.
   */
  addSecretsFrom(values: unknown): void {
    const walk = (value: unknown, key: string): void => {
      if (typeof value === 'string') {
        if (isSecretLookingKey(key)) this.addSecret(value);
        if (hasUrlCredentials(value)) for (const m of value.matchAll(URL_PASSWORD)) this.addSecret(m[2]);
      } else if (typeof value === 'number' && isSecretLookingKey(key)) {
        this.addSecret(String(value));
      } else if (Array.isArray(value)) {
        for (const item of value) walk(item, key);
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
      }
    };
    walk(values, '');
  }

  text(input: string): string {
    let out = input.replace(URL_PASSWORD, `$1${REDACTED}$3`);
    out = out.replace(KEY_VALUE, (whole, key: string, sep: string, quote: string, value: string) =>
      isSecretLookingKey(key) && !PUBLIC_VALUES.has(value.toLowerCase()) ? `${key}${sep}${quote}${REDACTED}` : whole,
    );
    // Longest first, so that a secret containing another one is hidden whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  argv(argv: readonly string[]): string[] {
    return argv.map((arg, i) => {
      const previous = i > 0 ? argv[i - 1] : undefined;
      const inlineSet = /^(--set(?:-string|-json|-literal)?)=(.*)$/.exec(arg);
      if (inlineSet) return this.text(`${inlineSet[1]}=${redactAssignments(inlineSet[2] ?? '')}`);
      if (previous !== undefined && SET_FLAGS.has(previous)) return this.text(redactAssignments(arg));
      return this.text(arg);
    });
  }
}

/** `a=1,db.password=x` -> `a=1,db.password=***` */
function redactAssignments(assignments: string): string {
  return assignments
    .split(',')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      return SECRET_KEY.test(key) ? `${key}=${REDACTED}` : pair;
    })
    .join(',');
}
