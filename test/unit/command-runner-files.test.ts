import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { CommandRunner, toolPathsFromEnv, type CommandHeartbeat } from '../../src/activities/command.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { fixtureBin } from '../helpers/paths.js';
import { testTempDir } from '../helpers/temp-dir.js';

// The runner's stdoutFile / inputFile options (pg_dump streamed out of `kubectl exec` into a
// file, a dump streamed back into pg_restore), through small fixture executables:
//   bytes.sh [repeat] [exit]   the bytes 0..255 in order, <repeat> times, "wrote N bytes" on stderr
//   copy-stdin.sh              stdin to stdout, unchanged
const tools = toolPathsFromEnv({});
const runner = (opts: Partial<ConstructorParameters<typeof CommandRunner>[0]> = {}) => new CommandRunner({ tools, killGraceMs: 300, heartbeatIntervalMs: 20, ...opts });
const script = (name: string) => ({ executable: fixtureBin(name) });
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const tempDir = () => testTempDir('runner-files');

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the command to fail');
}

describe('CommandRunner stdoutFile', () => {
  it('writes stdout to the file byte for byte (bytes 0-255, NUL and invalid UTF-8 included)', async () => {
    const file = join(await tempDir(), 'dump');
    const out = await runner().run({ tool: script('bytes.sh'), args: [], stdoutFile: file, mutates: false });
    assert.equal(out.exitCode, 0);
    assert.deepEqual(await readFile(file), ALL_BYTES);
    // stderr is still captured for the step record and error messages.
    assert.equal(out.stderr, 'wrote 256 bytes\n');
  });

  it('larger than the output cap: the file gets everything', async () => {
    const file = join(await tempDir(), 'dump');
    await runner({ maxOutputBytes: 1024 }).run({ tool: script('bytes.sh'), args: ['4096'], stdoutFile: file, mutates: false });
    const written = await readFile(file);
    assert.equal(written.length, 256 * 4096);
    assert.deepEqual(written.subarray(256 * 4095), ALL_BYTES);
  });

  it('replaces an existing file (a retried backup does not append to a partial dump)', async () => {
    const file = join(await tempDir(), 'dump');
    await writeFile(file, 'x'.repeat(10_000));
    await runner().run({ tool: script('bytes.sh'), args: [], stdoutFile: file, mutates: false });
    assert.deepEqual(await readFile(file), ALL_BYTES);
  });

  it('a failing command is still classified, with its stderr in the message', async () => {
    const file = join(await tempDir(), 'dump');
    const err = await rejection(runner().run({ tool: script('bytes.sh'), args: ['1', '3'], stdoutFile: file, mutates: false }));
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, FailureType.CommandFailed);
    assert.match(err.message, /exited 3: wrote 256 bytes$/);
  });

  it('a dry run does not run a mutating command and creates no file', async () => {
    const file = join(await tempDir(), 'dump');
    const r = runner({ dryRun: true });
    const out = await r.run({ tool: script('bytes.sh'), args: [], stdoutFile: file, mutates: true });
    assert.equal(out.dryRun, true);
    assert.equal(existsSync(file), false);
  });

  it(
    'the dump stays out of memory, heartbeats and error messages (it is database content)',
    async () => {
      const file = join(await tempDir(), 'dump');
      const beats: CommandHeartbeat[] = [];
      const out = await runner().run({ tool: script('bytes.sh'), args: ['64'], stdoutFile: file, mutates: false }, { heartbeat: (b) => beats.push(b) });
      assert.equal(out.stdout, '');
      assert.equal(out.stdoutRedacted, '');
      for (const b of beats) for (const line of b.lastLines) assert.doesNotMatch(line, /[\0-\x08]/, 'binary dump bytes in a heartbeat');
    },
  );
});

describe('CommandRunner inputFile', () => {
  it('streams the file to stdin byte for byte (and back out through stdoutFile)', async () => {
    const dir = await tempDir();
    const input = join(dir, 'in.dump');
    const output = join(dir, 'out.dump');
    const payload = Buffer.concat([ALL_BYTES, ALL_BYTES.reverse(), ALL_BYTES]);
    await writeFile(input, payload);
    const out = await runner().run({ tool: script('copy-stdin.sh'), args: [], inputFile: input, stdoutFile: output, mutates: true });
    assert.equal(out.exitCode, 0);
    assert.deepEqual(await readFile(output), payload);
  });

  it('text input is captured as stdout like any other output', async () => {
    const input = join(await tempDir(), 'manifest.yaml');
    await writeFile(input, 'kind: Job\nmetadata:\n  name: alembic\n');
    const out = await runner().run({ tool: script('copy-stdin.sh'), args: [], inputFile: input, mutates: false });
    assert.equal(out.stdout, 'kind: Job\nmetadata:\n  name: alembic\n');
  });

  it('a large file is streamed whole', async () => {
    const dir = await tempDir();
    const input = join(dir, 'big.dump');
    const output = join(dir, 'copy.dump');
    const payload = Buffer.concat(Array.from({ length: 8192 }, () => ALL_BYTES));
    await writeFile(input, payload);
    await runner().run({ tool: script('copy-stdin.sh'), args: [], inputFile: input, stdoutFile: output, mutates: false });
    assert.deepEqual(await readFile(output), payload);
  });

  it('inputFile takes precedence over input', async () => {
    const input = join(await tempDir(), 'in');
    await writeFile(input, 'from the file\n');
    const out = await runner().run({ tool: script('copy-stdin.sh'), args: [], inputFile: input, input: 'from the string\n', mutates: false });
    assert.equal(out.stdout, 'from the file\n');
  });

  it('a dry run records the file as the input, without running the command', async () => {
    const input = join(await tempDir(), 'restore.dump');
    const r = runner({ dryRun: true });
    const out = await r.run({ tool: script('copy-stdin.sh'), args: ['--dbname', 'soctalk'], inputFile: input, mutates: true });
    assert.equal(out.dryRun, true);
    assert.deepEqual(r.recorded, [{ argv: [fixtureBin('copy-stdin.sh'), '--dbname', 'soctalk'], input: `<${input}` }]);
  });

  it(
    'a missing input file is reported as a missing file, not as a missing executable',
    async () => {
      const input = join(await tempDir(), 'missing.dump');
      const err = await rejection(runner().run({ tool: script('copy-stdin.sh'), args: [], inputFile: input, mutates: true }));
      assert.ok(err instanceof ApplicationFailure);
      assert.notEqual(err.type, FailureType.CommandNotFound);
      assert.match(err.message, /missing\.dump/);
    },
  );

  it(
    'an unwritable stdoutFile is reported as such, not as a missing executable',
    async () => {
      const file = join(await tempDir(), 'no-such-dir', 'dump');
      const err = await rejection(runner().run({ tool: script('bytes.sh'), args: [], stdoutFile: file, mutates: false }));
      assert.ok(err instanceof ApplicationFailure);
      assert.notEqual(err.type, FailureType.CommandNotFound);
      assert.match(err.message, /no-such-dir/);
    },
  );
});
