/** Runs the `runbook` CLI as a subprocess, the way operators and scripts do. */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { repoRoot } from '../helpers/paths.js';

export const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const fixtureCatalog = fileURLToPath(new URL('./fixtures/catalog.ts', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TASK_QUEUE: string;
  [name: string]: string;
}

export function cliRunner(baseEnv: CliEnv) {
  return async (args: string[], options: { as?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      // Nothing from the developer's shell may point the CLI at another server.
      TEMPORAL_API_KEY: undefined,
      TEMPORAL_TLS: undefined,
      TEMPORAL_TLS_CERT_PATH: undefined,
      TEMPORAL_TLS_KEY_PATH: undefined,
      TEMPORAL_TLS_CA_PATH: undefined,
      TEMPORAL_TLS_CLIENT_CERT_PATH: undefined,
      TEMPORAL_TLS_CLIENT_KEY_PATH: undefined,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: undefined,
      TEMPORAL_TLS_SERVER_NAME: undefined,
      TEMPORAL_PROFILE: undefined,
      // No Temporal CLI config file of the developer's either.
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      TEMPORAL_NAMESPACE: 'default',
      RUNBOOK_CATALOG: fixtureCatalog,
      RUNBOOK_USER: options.as ?? 'alice',
      ...baseEnv,
      ...options.env,
    };
    const result = await execa(process.execPath, ['--import', 'tsx', cliMain, ...args], {
      cwd: repoRoot,
      env,
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs ?? 90_000,
      ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
    });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
}

/** An assertion message that shows what the CLI said. */
export const said = (r: CliResult) => `exit ${r.exitCode}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
