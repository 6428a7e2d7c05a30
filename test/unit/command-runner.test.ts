import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CommandRunner, toolPathsFromEnv, type CommandHeartbeat } from '../../src/activities/command.js';
import { Redactor } from '../../src/activities/redaction.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { fixtureBin } from '../helpers/paths.js';
import { testTempDir } from '../helpers/temp-dir.js';

const tools = toolPathsFromEnv({});
const runner = (opts: Partial<ConstructorParameters<typeof CommandRunner>[0]> = {}) =>
  new CommandRunner({ tools, killGraceMs: 300, heartbeatIntervalMs: 50, ...opts });
const script = (name: string) => ({ executable: fixtureBin(name) });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(predicate: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the command to fail');
}

describe('CommandRunner', () => {
  it('passes argv through unchanged, with no shell in between', async () => {
    const args = ['a b', '$(touch /tmp/pwned)', "it's", '--set', 'x=1;rm -rf /'];
    const out = await runner().run({ tool: script('echo-args.sh'), args, mutates: false });
    assert.deepEqual(out.stdout.trimEnd().split('\n'), args);
    assert.equal(out.exitCode, 0);
  });

  it('writes input to stdin', async () => {
    const out = await runner().run({ tool: script('echo-args.sh'), args: [], input: 'kind: Job\n', mutates: true });
    assert.equal(out.stdout, 'kind: Job\n');
  });

  it('says which env var to set when an executable is missing', async () => {
    const r = new CommandRunner({ tools: { ...tools, helm: '/nonexistent/helm' } });
    const err = await rejection(r.run({ tool: 'helm', args: ['version'], mutates: false }));
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, FailureType.CommandNotFound);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /^helm not found \("\/nonexistent\/helm"\): install it or set HELM_BIN$/);
  });

  it('kills the whole process tree on timeout and reports a retryable CommandTimeout', async () => {
    const dir = await testTempDir('runner');
    const pidfile = join(dir, 'pids');
    const err = await rejection(runner().run({ tool: script('tree.sh'), args: [pidfile], mutates: false, timeoutMs: 400 }));
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, FailureType.CommandTimeout);
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /timed out after 400ms/);
    const [parent, grandchild] = (await readFile(pidfile, 'utf8')).trim().split(' ').map(Number);
    await waitFor(() => !alive(parent!) && !alive(grandchild!));
  });

  it('terminates the process tree when the activity is cancelled, and SIGKILLs what ignores SIGTERM', async () => {
    const controller = new AbortController();
    const beats: CommandHeartbeat[] = [];
    const pending = runner().run(
      { tool: script('stubborn.sh'), args: [], mutates: false, timeoutMs: 60_000 },
      { signal: controller.signal, heartbeat: (d) => beats.push(d) },
    );
    await waitFor(() => beats.some((b) => b.lastLines.includes('started')));
    const started = Date.now();
    controller.abort();
    const err = await rejection(pending);
    assert.ok(err instanceof CancelledFailure, String(err));
    assert.match(err.message, /process tree terminated/);
    // SIGTERM is ignored, so the 300ms grace period must pass before SIGKILL ends it.
    assert.ok(Date.now() - started >= 250);
  });

  it('lets an uninterruptible command finish when cancellation arrives', async () => {
    const controller = new AbortController();
    const beats: CommandHeartbeat[] = [];
    const pending = runner().run(
      { tool: script('echo-args.sh'), args: ['done'], mutates: true, uninterruptible: true, input: '' },
      { signal: controller.signal, heartbeat: (d) => beats.push(d) },
    );
    controller.abort();
    const out = await pending;
    assert.equal(out.stdout, 'done\n');
  });

  it('heartbeats the last lines of output while the process runs', async () => {
    const beats: CommandHeartbeat[] = [];
    const controller = new AbortController();
    const pending = runner().run(
      { tool: script('tree.sh'), args: ['/dev/null'], mutates: false },
      { signal: controller.signal, heartbeat: (d) => beats.push(d) },
    );
    await waitFor(() => beats.some((b) => b.lastLines.at(-1) === 'started'));
    controller.abort();
    await rejection(pending);
    const last = beats.at(-1)!;
    assert.match(last.command, /tree\.sh \/dev\/null$/);
    assert.ok(last.elapsedMs >= 0);
  });

  it('caps captured output and says so', async () => {
    const out = await runner({ maxOutputBytes: 1000 }).run({ tool: script('flood.sh'), args: ['50000'], mutates: false });
    assert.equal(out.stdout.length, 1000);
    assert.equal(out.truncated, true);
  });

  it('redacts secrets from argv, output and error messages', async () => {
    const r = runner({ redactor: new Redactor(['hunter22']) });
    const err = await rejection(
      r.run({
        tool: script('emit.sh'),
        args: ['1', 'auth failed for postgres://app:s3cr3tpw@db:5432/soctalk with hunter22', '--set', 'db.password=topsecret,replicas=2'],
        mutates: false,
        secrets: ['extra-secret-value'],
      }),
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.doesNotMatch(err.message, /hunter22|s3cr3tpw|topsecret/);
    assert.match(err.message, /postgres:\/\/app:\*\*\*@db:5432/);
    assert.match(err.message, /db\.password=\*\*\*,replicas=2/);
    const details = err.details?.[0] as { argv: string[]; exitCode: number };
    assert.equal(details.exitCode, 1);
    assert.ok(!JSON.stringify(details).includes('hunter22'));

    const ok = await r.run({ tool: script('emit.sh'), args: ['0', 'x', 'token is extra-secret-value'], mutates: false, secrets: ['extra-secret-value'] });
    assert.equal(ok.stdoutRedacted, 'token is ***\n');
    assert.equal(ok.stdout, 'token is extra-secret-value\n', 'raw stdout stays available for parsing inside the activity');
  });

  it('treats env values as secrets', async () => {
    const err = await rejection(
      runner().run({ tool: script('emit.sh'), args: ['2', 'password pgpass-value rejected'], mutates: false, env: { PGPASSWORD: 'pgpass-value' } }),
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.doesNotMatch(err.message, /pgpass-value/);
  });

  it('with envSecrets, redacts only the named variables', async () => {
    const err = await rejection(
      runner().run({
        tool: script('emit.sh'),
        args: ['2', 'FATAL: password pgpass-value for user soctalk rejected'],
        mutates: false,
        env: { PGPASSWORD: 'pgpass-value', PGUSER: 'soctalk' },
        envSecrets: ['PGPASSWORD'],
      }),
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.match(err.message, /password \*\*\* for user soctalk rejected/);
  });

  it('classifies a real failing process by its stderr', async () => {
    const err = await rejection(
      runner().run({ tool: script('emit.sh'), args: ['1', 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress'], mutates: true }),
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, FailureType.ReleaseBusy);
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /^ReleaseBusy: `.*emit\.sh 1 Error: UPGRADE FAILED.*` exited 1: Error: UPGRADE FAILED/);
  });

  it('accepts extra exit codes as success', async () => {
    const out = await runner().run({ tool: script('emit.sh'), args: ['3', 'nothing'], mutates: false, okExitCodes: [0, 3] });
    assert.equal(out.exitCode, 3);
  });

  it('records mutating commands in dry-run mode and still runs reads', async () => {
    const r = runner().asDryRun();
    const write = await r.run({ tool: script('emit.sh'), args: ['1', 'would fail', '--set', 'apiToken=abcd1234'], mutates: true, input: 'x' });
    assert.equal(write.dryRun, true);
    assert.equal(write.exitCode, 0);
    const read = await r.run({ tool: script('echo-args.sh'), args: ['read'], mutates: false });
    assert.equal(read.stdout, 'read\n');
    assert.equal(r.recorded.length, 1);
    assert.deepEqual(r.recorded[0]!.argv.slice(1), ['1', 'would fail', '--set', 'apiToken=***']);
  });
});
