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
import { parseAllowlist, type AllowlistFormat } from './allowlist.js';

export const SECRET_ENV_ALLOWLIST_ENV = 'RUNBOOK_SECRET_ENV_ALLOWLIST';

export interface SecretEnvAllowlist {
  /** Allowed names, each with the origin it is bound to (undefined: any origin the input configures). */
  readonly entries: ReadonlyMap<string, string | undefined>;
}

const SECRET_ENV_FORMAT: AllowlistFormat<string> = {
  variable: SECRET_ENV_ALLOWLIST_ENV,
  entryForm: 'NAME or NAME=https://origin',
  name: /^[A-Z_][A-Z0-9_]*$/,
  nameIs: 'an environment variable name',
  value: (name, raw) => {
    if (raw === undefined) return undefined;
    let origin: string;
    try {
      origin = new URL(raw).origin;
    } catch {
      throw new Error(`${name}=${raw} does not bind an http(s) origin such as https://api.example.com`);
    }
    if (!/^https?:/.test(origin)) throw new Error(`${name} is bound to ${origin}: only http(s) origins are allowed`);
    return origin;
  },
};

/** Parses the worker's list; a malformed entry fails loudly rather than allowing more than meant. */
export function secretEnvAllowlist(env: NodeJS.ProcessEnv): SecretEnvAllowlist {
  return { entries: parseAllowlist(env, SECRET_ENV_FORMAT) };
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
