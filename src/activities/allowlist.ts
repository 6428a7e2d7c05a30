/**
 * The worker's allow-lists: comma-separated `NAME` or `NAME=value` entries in one
 * environment variable of the worker (never of a run's input). One parser for all of them
 * (RUNBOOK_SECRET_ENV_ALLOWLIST, RUNBOOK_COMMAND_ALLOWLIST), so they read the same way and
 * a malformed entry fails loudly everywhere rather than allowing more than meant.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';

export interface AllowlistFormat<V> {
  /** The worker's environment variable holding the list. */
  variable: string;
  /** What an entry looks like, for the error message (e.g. "NAME or NAME=https://origin"). */
  entryForm: string;
  /** The grammar of a name and what it is, for the error message. */
  name: RegExp;
  nameIs: string;
  /** The value of `NAME=value` (throws a message on a bad one); `undefined` for a bare `NAME`, or a message when a value is required. */
  value: (name: string, raw: string | undefined) => V | undefined;
}

/** Parses `format.variable` of `env` into name -> value (undefined for a bare name). */
export function parseAllowlist<V>(env: NodeJS.ProcessEnv, format: AllowlistFormat<V>): ReadonlyMap<string, V | undefined> {
  const entries = new Map<string, V | undefined>();
  for (const raw of (env[format.variable] ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!format.name.test(name)) throw invalidAllowlist(format, `"${name}" is not ${format.nameIs}`);
    try {
      entries.set(name, format.value(name, eq < 0 ? undefined : entry.slice(eq + 1)));
    } catch (err) {
      throw invalidAllowlist(format, err instanceof Error ? err.message : String(err));
    }
  }
  return entries;
}

function invalidAllowlist(format: AllowlistFormat<unknown>, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.InvalidInput,
    nonRetryable: true,
    message: `the worker's ${format.variable} is malformed: ${why} (comma-separated ${format.entryForm} entries)`,
  });
}
