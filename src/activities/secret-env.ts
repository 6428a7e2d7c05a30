/**
 * Which worker environment variables an input may name as a secret (a bearer token, a
 * health access key, a database URL). The input only names a variable; without this list
 * it could name ANY variable of the worker (its cloud credentials, its Temporal key) and
 * have it sent to a URL the input chose. The list is the worker's own configuration:
 *
 *   RUNBOOK_SECRET_ENV_ALLOWLIST=SOCTALK_VALUES_TOKEN=https://values.example.com,OPENCTI_HEALTH_KEY
 *
 * Comma-separated names; `NAME=<origin>` binds a token to one origin (scheme, host, port):
 * it is then sent nowhere else. A name without an origin may be sent to the URL the input
 * configures (http(s) only, validated). The check runs in the activity before the
 * variable is read, so a refused name is never read at all.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';

export const SECRET_ENV_ALLOWLIST_ENV = 'RUNBOOK_SECRET_ENV_ALLOWLIST';

export interface SecretEnvAllowlist {
  /** Allowed names, each with the origin it is bound to (undefined: any origin the input configures). */
  readonly entries: ReadonlyMap<string, string | undefined>;
}

/** Parses the worker's list; a malformed entry fails loudly rather than allowing more than meant. */
export function secretEnvAllowlist(env: NodeJS.ProcessEnv): SecretEnvAllowlist {
  const entries = new Map<string, string | undefined>();
  for (const raw of (env[SECRET_ENV_ALLOWLIST_ENV] ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw invalidAllowlist(`"${name}" is not an environment variable name`);
    if (eq < 0) {
      entries.set(name, undefined);
      continue;
    }
    let origin: string;
    try {
      origin = new URL(entry.slice(eq + 1)).origin;
    } catch {
      throw invalidAllowlist(`${name}=${entry.slice(eq + 1)} does not bind an http(s) origin such as https://api.example.com`);
    }
    if (!/^https?:/.test(origin)) throw invalidAllowlist(`${name} is bound to ${origin}: only http(s) origins are allowed`);
    entries.set(name, origin);
  }
  return { entries };
}

function invalidAllowlist(why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `the worker's ${SECRET_ENV_ALLOWLIST_ENV} is malformed: ${why} (comma-separated NAME or NAME=https://origin entries)`,
  });
}

/**
 * The value of the variable `name` that the input field `field` names, for a request to
 * `url` (omitted: the value is not sent over HTTP, e.g. a database URL). Refuses, without
 * reading it, a name the worker does not allow, and a token bound to another origin.
 */
export function readAllowedSecretEnv(env: NodeJS.ProcessEnv, name: string, field: string, url?: string): string {
  const allowlist = secretEnvAllowlist(env);
  if (!allowlist.entries.has(name)) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message:
        `${field}: ${name} is not on the worker's ${SECRET_ENV_ALLOWLIST_ENV}, so it is not read: ` +
        `add ${name} to that list in the worker's configuration, or reference a Secret instead`,
    });
  }
  if (url !== undefined) assertSecretEnvOrigin(env, name, field, url);
  const value = env[name];
  if (!value) {
    throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `${field}: the worker has no ${name} environment variable (it is allowed but not set)` });
  }
  return value;
}

/** Refuses sending the allow-listed `name` to `url` when the worker bound it to another origin. */
export function assertSecretEnvOrigin(env: NodeJS.ProcessEnv, name: string, field: string, url: string): void {
  const bound = secretEnvAllowlist(env).entries.get(name);
  const origin = new URL(url).origin;
  if (bound !== undefined && origin !== bound) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message: `${field}: ${name} may only be sent to ${bound} (the worker's ${SECRET_ENV_ALLOWLIST_ENV}), not to ${origin}: fix the URL or the binding`,
    });
  }
}
