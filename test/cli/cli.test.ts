/**
 * The `runbook` CLI as a subprocess against a real Temporal dev server (with the custom
 * search attributes) and a real worker in this process running a test-only runbook that
 * uses the shared `Run` (approval gate with four-eyes). The CLI finds that runbook through
 * its test hook, RUNBOOK_CATALOG=test/cli/fixtures/catalog.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';
import { cliRunner, type CliResult, said } from './run-cli.js';

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

describe('runbook CLI against a real dev server and worker', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;
  let cli: ReturnType<typeof cliRunner>;

  before(async () => {
    env = await createLocalEnv();
    const taskQueue = uniqueTaskQueue('cli');
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url)),
        logger: quietLogger,
      }),
    });
    running = worker.run();
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue });
    dir = await mkdtemp(join(tmpdir(), 'runbook-cli-'));
  });

  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function inputFile(name: string, input: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(input));
    return path;
  }

  /** Visibility is eventually consistent: retry the list until it shows what we expect. */
  async function eventually(check: () => Promise<CliResult>, ok: (r: CliResult) => boolean): Promise<CliResult> {
    let last: CliResult | undefined;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      last = await check();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    return last!;
  }

  it('starts a run, reports it waiting for approval, refuses the requester, approves and completes', async () => {
    const file = await inputFile('acme.json', { release: 'acme', namespace: 'tenants', version: '1.0.0' });
    const id = 'release:tenants/acme';

    const started = await cli(['start', 'cli-fixture-upgrade', '--input', file, '--set', 'version=2.1.0', '--wait']);
    assert.equal(started.exitCode, ExitCode.WaitingForHuman, said(started));
    assert.match(started.stdout, new RegExp(`started cli-fixture-upgrade as ${id}`));
    assert.match(started.stdout, /preflight: succeeded/);
    assert.match(started.stdout, /waiting for approval: approve upgrade/);
    assert.match(started.stdout, /runbook approve release:tenants\/acme/);

    // The Web UI shows the catalog's one-line summary and who started the run.
    const description = await env.client.workflow.getHandle(id).describe();
    assert.equal(await description.staticSummary(), 'cli-fixture-upgrade: tenants/acme -> 2.1.0');
    assert.match((await description.staticDetails()) ?? '', /Started by alice with the runbook CLI/);

    const status = await cli(['status', id]);
    assert.equal(status.exitCode, ExitCode.WaitingForHuman, said(status));
    assert.match(status.stdout, /Phase:\s+waiting-approval/);
    assert.match(status.stdout, /State:\s+waiting for a person/);
    assert.match(status.stdout, /STEP\s+OUTCOME\s+STARTED\s+ENDED\s+DETAIL/);
    assert.match(status.stdout, /diff\s+succeeded\s+.*1 change\(s\)/);
    assert.match(status.stdout, /Waiting for approval: approve upgrade/);
    assert.match(status.stdout, /upgrade acme to 2\.1\.0/, '--set overrode the file');
    assert.match(status.stdout, /four-eyes: anyone but alice/);

    const json = await cli(['status', id, '--json']);
    assert.equal(json.exitCode, ExitCode.WaitingForHuman, said(json));
    const parsed = JSON.parse(json.stdout) as { workflowId: string; state: string; exitCode: number; status: { phase: string; pendingApproval: { gate: string; requestedBy: string } } };
    assert.equal(parsed.workflowId, id);
    assert.equal(parsed.state, 'waiting');
    assert.equal(parsed.exitCode, ExitCode.WaitingForHuman);
    assert.equal(parsed.status.phase, 'waiting-approval');
    assert.equal(parsed.status.pendingApproval.gate, 'approve upgrade');
    assert.equal(parsed.status.pendingApproval.requestedBy, 'alice', 'requestedBy comes from the identity');

    // One run per release: a second start is refused while the first runs.
    const again = await cli(['start', 'cli-fixture-upgrade', '--input', file], { as: 'carol' });
    assert.equal(again.exitCode, ExitCode.NotFoundOrConflict, said(again));
    assert.match(again.stderr, /already running/);
    assert.match(again.stderr, /release:tenants\/acme/);

    const listed = await eventually(
      () => cli(['list', '--phase', 'waiting-approval', '--runbook', 'cli-fixture-upgrade']),
      (r) => r.stdout.includes(id),
    );
    assert.equal(listed.exitCode, ExitCode.Ok, said(listed));
    assert.match(listed.stdout, /ID\s+RUNBOOK\s+RELEASE\s+PHASE/);
    assert.match(listed.stdout, /release:tenants\/acme\s+cli-fixture-upgrade\s+acme\s+waiting-approval\s+running/);
    const byRelease = await cli(['list', '--release', 'acme', '--json']);
    assert.equal(byRelease.exitCode, ExitCode.Ok, said(byRelease));
    assert.deepEqual(
      (JSON.parse(byRelease.stdout) as { workflowId: string }[]).map((r) => r.workflowId),
      [id],
    );

    // Four-eyes: the requester may not approve her own run; the validator's reason is shown.
    const own = await cli(['approve', id], { as: 'alice' });
    assert.equal(own.exitCode, ExitCode.Refused, said(own));
    assert.match(own.stderr, /four-eyes approval is on: alice requested this run and cannot approve it/);

    const approved = await cli(['approve', id, '--comment', 'looks good'], { as: 'bob' });
    assert.equal(approved.exitCode, ExitCode.Ok, said(approved));
    assert.match(approved.stdout, /approve accepted \(bob\): approved "approve upgrade"/);

    const watched = await cli(['watch', id, '--interval', '1']);
    assert.equal(watched.exitCode, ExitCode.Ok, said(watched));
    assert.match(watched.stdout, /completed: completed/);

    const done = await cli(['status', id]);
    assert.equal(done.exitCode, ExitCode.Ok, said(done));
    assert.match(done.stdout, /Phase:\s+completed/);
    assert.match(done.stdout, /upgrade\s+succeeded\s+.*now at 2\.1\.0/);
    assert.match(done.stdout, /approve by bob: looks good/);

    // The run has ended: it takes no more decisions.
    const late = await cli(['approve', id], { as: 'bob' });
    assert.equal(late.exitCode, ExitCode.NotFoundOrConflict, said(late));
  });

  it('rejects invalid input before anything reaches Temporal, naming each field', async () => {
    const file = await inputFile('bad.json', { release: '', version: 'latest', colour: 'blue' });
    const bad = await cli(['start', 'cli-fixture-upgrade', '--input', file, '--set', 'fourEyes=maybe']);
    assert.equal(bad.exitCode, ExitCode.InvalidInput, said(bad));
    assert.match(bad.stderr, /invalid input for cli-fixture-upgrade/);
    assert.match(bad.stderr, /- release: /);
    assert.match(bad.stderr, /- version: must be a version such as 1\.2\.3/);
    assert.match(bad.stderr, /- fourEyes: .*boolean/);
    assert.match(bad.stderr, /- colour: unknown field/);

    const stdin = await cli(['start', 'cli-fixture-upgrade', '--input', '-'], { input: '{"release": "x",' });
    assert.equal(stdin.exitCode, ExitCode.InvalidInput, said(stdin));
    assert.match(stdin.stderr, /the input stdin is not valid JSON/);

    const unknown = await cli(['start', 'no-such-runbook', '--input', file]);
    assert.equal(unknown.exitCode, ExitCode.InvalidInput, said(unknown));
    assert.match(unknown.stderr, /unknown runbook "no-such-runbook"; known runbooks: cli-fixture-upgrade/);

    // A custom ID for a runbook that changes a release would let two runs change it at once.
    const good = await inputFile('good.json', { release: 'acme', namespace: 'tenants', version: '1.0.0' });
    const customId = await cli(['start', 'cli-fixture-upgrade', '--input', good, '--id', 'my-own-id']);
    assert.equal(customId.exitCode, ExitCode.InvalidInput, said(customId));
    assert.match(customId.stderr, /--id my-own-id: cli-fixture-upgrade changes a release and runs only under its business ID release:tenants\/acme/);

    const usage = await cli(['abort', 'release:x/y']);
    assert.equal(usage.exitCode, ExitCode.InvalidInput, said(usage));
    assert.match(usage.stderr, /--reason/);
  });

  it('reads input from stdin; a rejected run reports exit 3', async () => {
    const started = await cli(['start', 'cli-fixture-upgrade', '--input', '-'], { input: JSON.stringify({ release: 'globex', version: '3.0.0', fourEyes: false }) });
    assert.equal(started.exitCode, ExitCode.Ok, said(started));
    const id = 'release:default/globex';
    const waiting = await cli(['watch', id, '--interval', '1']);
    assert.equal(waiting.exitCode, ExitCode.WaitingForHuman, said(waiting));

    const promote = await cli(['promote', id]);
    assert.equal(promote.exitCode, ExitCode.Refused, said(promote));
    assert.match(promote.stderr, /does not take "promote"/);

    const rejected = await cli(['reject', id, '--comment', 'not today'], { as: 'bob' });
    assert.equal(rejected.exitCode, ExitCode.Ok, said(rejected));
    const status = await eventually(
      () => cli(['status', id]),
      (r) => r.exitCode !== ExitCode.Running,
    );
    assert.equal(status.exitCode, ExitCode.Stopped, said(status));
    assert.match(status.stdout, /Outcome: rejected: rejected by bob: not today/);
  });

  it('plans a dry run under its own workflow ID and prints the result', async () => {
    const file = await inputFile('plan.json', { release: 'initech', version: '4.0.0' });
    const plan = await cli(['plan', 'cli-fixture-upgrade', '--input', file, '--interval', '1']);
    assert.equal(plan.exitCode, ExitCode.Ok, said(plan));
    assert.match(plan.stderr, /planning cli-fixture-upgrade as release:default\/initech:plan-/);
    assert.match(plan.stdout, /upgrade\s+skipped/);
    assert.match(plan.stdout, /"dryRun": true/);
    assert.match(plan.stdout, /image 1\.0\.0 -> 4\.0\.0/);

    // The dry run did not take the release's ID: a real start still goes through.
    const start = await cli(['start', 'cli-fixture-upgrade', '--input', file]);
    assert.equal(start.exitCode, ExitCode.Ok, said(start));
    const abort = await cli(['abort', 'release:default/initech', '--reason', 'test cleanup']);
    assert.equal(abort.exitCode, ExitCode.Ok, said(abort));
  });

  it('reports an unknown run as not found', async () => {
    const status = await cli(['status', 'release:nowhere/nothing']);
    assert.equal(status.exitCode, ExitCode.NotFoundOrConflict, said(status));
    assert.match(status.stderr, /was not found/);
  });

  // Last: it stops the worker.
  it('reports a finished run from what Temporal recorded when no worker answers the query', async () => {
    worker.shutdown();
    await running;
    const status = await cli(['status', 'release:default/globex', '--timeout', '3']);
    assert.equal(status.exitCode, ExitCode.Stopped, said(status));
    assert.match(status.stdout, /no worker answered the status query/);
    assert.match(status.stdout, /Recorded failure \(Rejected\): rejected by bob: not today/);
  });
});
