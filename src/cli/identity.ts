/**
 * Who the operator is: `--as <name>`, else $RUNBOOK_USER, else the OS user. The CLI puts
 * it in every decision (`by`) and, when a runbook's input has the field, in `requestedBy`,
 * which is what four-eyes approval compares.
 */
import { userInfo } from 'node:os';
import { CliError, ExitCode } from './exit-codes.js';

export interface IdentitySources {
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  osUser?: () => string;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // Containers running as a uid without a passwd entry.
    return '';
  }
}

export function resolveIdentity(sources: IdentitySources = {}): string {
  const env = sources.env ?? process.env;
  const candidates = [sources.flag, env.RUNBOOK_USER, (sources.osUser ?? osUser)()];
  const found = candidates.map((c) => c?.trim()).find((c) => c !== undefined && c !== '');
  if (!found) {
    throw new CliError(ExitCode.InvalidInput, 'cannot tell who you are: pass --as <name> or set RUNBOOK_USER');
  }
  return found;
}
