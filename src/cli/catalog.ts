/**
 * Which runbooks the CLI knows: src/runbook-catalog.ts, the same table the worker, the
 * chat-ops service and the README use.
 *
 * Test hook: RUNBOOK_CATALOG=<path to a module exporting RUNBOOKS> replaces it, so the
 * CLI's tests can drive a test-only runbook (test/cli/fixtures/catalog.ts) on a real
 * server. Not meant for operators; the path is resolved from the current directory.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunbookDefinition } from '../runbooks.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface Catalog {
  runbooks: readonly RunbookDefinition[];
  find(name: string): RunbookDefinition;
}

export function catalogOf(runbooks: readonly RunbookDefinition[]): Catalog {
  return {
    runbooks,
    find(name) {
      const found = runbooks.find((r) => r.name === name);
      if (!found) {
        const known = runbooks.map((r) => r.name).join(', ') || '(none yet)';
        throw new CliError(ExitCode.InvalidInput, `unknown runbook "${name}"; known runbooks: ${known}`);
      }
      return found;
    },
  };
}

export async function loadCatalog(env: NodeJS.ProcessEnv = process.env): Promise<Catalog> {
  const override = env.RUNBOOK_CATALOG?.trim();
  const mod = (await import(override ? pathToFileURL(resolve(override)).href : '../runbook-catalog.js')) as { RUNBOOKS?: unknown };
  if (!Array.isArray(mod.RUNBOOKS)) {
    throw new CliError(ExitCode.Failed, `RUNBOOK_CATALOG=${override ?? ''} does not export a RUNBOOKS array`);
  }
  return catalogOf(mod.RUNBOOKS as RunbookDefinition[]);
}
