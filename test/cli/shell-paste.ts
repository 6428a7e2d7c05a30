/**
 * Pastes a command the project printed into a real `bash -c`, with `runbook` on PATH as an
 * operator has it after `npm install -g` or `npm link`: a hint that is not valid shell, or
 * names a command the run refuses, fails here as it would for a person.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../helpers/paths.js';
import type { CliResult } from './run-cli.js';

export type Paste = (command: string, as: string) => Promise<CliResult>;

/** `dir` receives the `runbook` shim (in dir/bin) and is the shell's working directory. */
export async function shellPaster(dir: string, temporalAddress: string): Promise<Paste> {
  const shim = join(dir, 'bin');
  await mkdir(shim, { recursive: true });
  await writeFile(join(shim, 'runbook'), `#!/usr/bin/env bash\nexec node ${JSON.stringify(join(repoRoot, 'bin/runbook.js'))} "$@"\n`);
  await chmod(join(shim, 'runbook'), 0o755);
  return async (command, as) => {
    const r = await execa('bash', ['-c', command], {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${shim}:${process.env.PATH ?? ''}`,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
        RUNBOOK_USER: as,
      },
      reject: false,
      timeout: 90_000,
    });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
}
