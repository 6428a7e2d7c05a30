/**
 * Which programs an input may have the worker run (`valuesSource.kind: command`,
 * `alertCheck.kind: command`). The input only NAMES an entry; the program is the worker's
 * own configuration, so an input can never run `/bin/sh` or any program of its choosing:
 *
 *   RUNBOOK_COMMAND_ALLOWLIST=soctalk-cli=/usr/local/bin/soctalk-cli,alert-probe=/opt/probe/bin/probe
 *
 * Comma-separated `name=/absolute/path` entries (parsed by the same module as
 * RUNBOOK_SECRET_ENV_ALLOWLIST). The check runs in the activity before anything runs.
 */
import { isAbsolute, normalize } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import { COMMAND_NAME } from '../domain/operator-command.js';
import { parseAllowlist, type AllowlistFormat } from './allowlist.js';

export const COMMAND_ALLOWLIST_ENV = 'RUNBOOK_COMMAND_ALLOWLIST';

const COMMAND_FORMAT: AllowlistFormat<string> = {
  variable: COMMAND_ALLOWLIST_ENV,
  entryForm: 'name=/absolute/path',
  name: COMMAND_NAME,
  nameIs: 'a command name (lowercase letters, digits, ".", "_" and "-", not starting with "-")',
  value: (name, raw) => {
    if (raw === undefined) throw new Error(`${name} has no program: write ${name}=/absolute/path/to/${name}`);
    // An absolute, normalised path: never looked up on PATH, no `..` games, no shell.
    if (!isAbsolute(raw) || normalize(raw) !== raw || raw.endsWith('/')) throw new Error(`${name}=${raw} is not an absolute path to a program such as /usr/local/bin/${name}`);
    return raw;
  },
};

/** The worker's command allow-list: name -> absolute path of the program. */
export function commandAllowlist(env: NodeJS.ProcessEnv): ReadonlyMap<string, string> {
  return parseAllowlist(env, COMMAND_FORMAT) as ReadonlyMap<string, string>;
}

/** The program the input field `field` names by `name`; refuses, before anything runs, a name the worker does not list. */
export function resolveAllowedCommand(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const executable = commandAllowlist(env).get(name);
  if (executable === undefined) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message:
        `${field}: ${name} is not on the worker's ${COMMAND_ALLOWLIST_ENV}, so nothing was run: ` +
        `add ${name}=/absolute/path/to/the/program to that list in the worker's configuration`,
    });
  }
  return executable;
}
