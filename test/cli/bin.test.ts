/** The package's `bin` launcher runs the TypeScript sources from a clone without a build. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { repoRoot } from '../helpers/paths.js';
import { fixtureCatalog } from './run-cli.js';

const bin = fileURLToPath(new URL('../../bin/runbook.js', import.meta.url));
const run = (args: string[]) =>
  execa(process.execPath, [bin, ...args], { cwd: repoRoot, reject: false, stdin: 'ignore', env: { RUNBOOK_CATALOG: fixtureCatalog, RUNBOOK_USER: 'alice' } });

describe('bin/runbook.js', () => {
  it('lists the catalog (here the test hook RUNBOOK_CATALOG)', async () => {
    const r = await run(['runbooks']);
    assert.equal(r.exitCode, ExitCode.Ok, r.stderr);
    assert.match(r.stdout, /^RUNBOOK\s+WORKFLOW TYPE\s+DESCRIPTION\ncli-fixture-upgrade\s+cliFixtureUpgrade\s+Test-only runbook/);
  });

  it('validates input before connecting anywhere, with exit 2', async () => {
    const r = await run(['start', 'cli-fixture-upgrade', '--set', 'release=x', '--set', 'version=latest']);
    assert.equal(r.exitCode, ExitCode.InvalidInput, r.stderr);
    assert.match(r.stderr, /- version: must be a version such as 1\.2\.3/);
  });

  it('prints help with the exit codes and exits 0; a usage error exits 2', async () => {
    const help = await run(['--help']);
    assert.equal(help.exitCode, ExitCode.Ok);
    assert.match(help.stdout, /Exit codes:\n {2}0 {2}done/);
    const usage = await run(['approve']);
    assert.equal(usage.exitCode, ExitCode.InvalidInput);
    assert.match(usage.stderr, /missing required argument 'run'/);
  });
});
