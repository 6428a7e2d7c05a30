/**
 * The CLI at every gate, against a real dev server and worker: the real fleet workflow
 * (its tenants' activities recorded stand-ins) and test-only runbooks, one of them running
 * the real helm upgrade activity against a slow stand-in helm. Every command the CLI prints
 * as a hint is pasted into a real `bash -c` (with `runbook` on PATH) and must be accepted.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { CommandRunner } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { HEARTBEAT_THROTTLE } from '../../src/worker.js';
import { fleetProgressQuery } from '../../src/workflows/soctalk/fleet/progress.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';
import { eventually, tenantMocks, upgradeSpec } from '../workflows/soctalk-tenant-mocks.js';
import { cliRunner, type CliResult, said } from './run-cli.js';
import { type Paste, shellPaster } from './shell-paste.js';

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const fixture = (p: string) => fileURLToPath(new URL(`./fixtures/${p}`, import.meta.url));

/** The commands under "Waiting for ..." / "Paused": lines that start with `  runbook `. */
function hints(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => /^ {2}runbook /.test(l))
    .map((l) => l.trim());
}
const decisionOf = (command: string) => command.split(' ')[1]!;

describe('runbook CLI hints, fleet view, progress, plan and profiles (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  let paste: Paste;
  let bundle: WorkflowBundleWithSourceMap;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  let queue: string;
  let refusingQueue: string;
  let mocks: ReturnType<typeof tenantMocks>;
  let cli: ReturnType<typeof cliRunner>;

  before(async () => {
    env = await createLocalEnv();
    dir = await mkdtemp(join(tmpdir(), 'runbook-gates-'));
    paste = await shellPaster(dir, env.address);

    process.env.SLOW_HELM_STATE = join(dir, 'slow-helm');
    process.env.SLOW_HELM_SECONDS = '180';
    await mkdir(process.env.SLOW_HELM_STATE);
    const runner = new CommandRunner({ tools: { helm: fixture('bin/slow-helm.sh'), kubectl: fixture('bin/rollout-kubectl.sh'), pg_dump: 'false', pg_restore: 'false', psql: 'false' } });
    const helm = createHelmActivities({ runner, workDir: dir });

    bundle = await bundleWorkflowCode({ workflowsPath: fixture('gate-workflows.ts'), logger: quietLogger });
    mocks = tenantMocks({ failing: ['f2'], hold: ['pz1'] });
    queue = uniqueTaskQueue('gates');
    refusingQueue = uniqueTaskQueue('gates-refusing');
    const start = async (taskQueue: string, activities: Record<string, unknown>) => {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, ...HEARTBEAT_THROTTLE });
      workers.push({ worker, running: worker.run() });
    };
    await start(queue, { ...mocks.activities, helmUpgrade: (input: Parameters<typeof helm.helmUpgrade>[0]) => helm.helmUpgrade(input) });
    // soctalk-system 0.1.0 supports tenant charts < 0.2.0: the system-first gate refuses 0.2.1.
    await start(refusingQueue, tenantMocks({ systemVersion: '0.1.0' }).activities);
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: queue, RUNBOOK_CATALOG: fixture('gates-catalog.ts') });
  });

  after(async () => {
    for (const w of workers) if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function startFleet(name: string, input: Partial<FleetUpgradeInput>) {
    return env.client.workflow.start(soctalkFleetUpgrade, {
      taskQueue: queue,
      workflowId: fleetWorkflowId(name),
      // The tenant's settle before it checks the adapter heartbeat: 1 s, not the runbook's 60 s.
      args: [{ name, upgrade: { ...upgradeSpec, heartbeat: { settle: '1s' } }, bakeTime: '1s', ...input }],
    });
  }

  const statusUntil = (id: string, ok: (r: CliResult) => boolean, as = 'bob') =>
    eventually(
      () => cli(['status', id], { as }),
      ok,
      { ms: 60_000, tick: () => new Promise((r) => setTimeout(r, 500)) },
    );

  it('approval gate: approve, reject and abort, each printed command pasted into bash is accepted', async () => {
    for (const decision of ['approve', 'reject', 'abort']) {
      const release = `gate-${decision}`;
      const id = `release:tenants/${release}`;
      const started = await cli(['start', 'cli-fixture-upgrade', '--set', `release=${release}`, '--set', 'namespace=tenants', '--set', 'version=2.0.0', '--wait'], { as: 'alice' });
      assert.equal(started.exitCode, ExitCode.WaitingForHuman, said(started));
      const status = await cli(['status', id], { as: 'bob' });
      assert.equal(status.exitCode, ExitCode.WaitingForHuman, said(status));
      const commands = hints(status.stdout);
      assert.deepEqual(commands.map(decisionOf), ['approve', 'reject', 'abort'], said(status));
      // What start --wait printed is what status prints: one source for hints.
      assert.deepEqual(hints(started.stdout), commands);
      for (const c of commands) assert.ok(c.includes(`'${id}'`), `workflow ID single-quoted in ${c}`);
      const json = JSON.parse((await cli(['status', id, '-o', 'json'], { as: 'bob' })).stdout) as { gate: { kind: string; commands: string[] } };
      assert.equal(json.gate.kind, 'approval');
      assert.deepEqual(json.gate.commands, commands);

      const pasted = await paste(commands.find((c) => decisionOf(c) === decision)!, 'bob');
      assert.equal(pasted.exitCode, ExitCode.Ok, said(pasted));
      assert.match(pasted.stdout, new RegExp(`^${decision} accepted \\(bob\\)`));
      const end = await cli(['watch', id, '--interval', '1']);
      assert.equal(end.exitCode, decision === 'approve' ? ExitCode.Ok : ExitCode.Stopped, said(end));
    }
  });

  it('promotion gate: promote (never approve) and abort, pasted into bash, are accepted', async () => {
    for (const [name, decision, tenants] of [
      ['promo', 'promote', ['pa1', 'pa2', 'pa3']],
      ['promo-abort', 'abort', ['pb1', 'pb2', 'pb3']],
    ] as const) {
      const id = fleetWorkflowId(name);
      await startFleet(name, {
        tenants: { list: [...tenants], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
        canaries: { count: 1 },
        waves: { sizes: [2] },
        manualPromotion: true,
        requestedBy: 'dave',
        approval: { required: true, approvers: ['carol', 'dave'], fourEyes: true, timeout: 3_600_000 },
      });
      const status = await statusUntil(id, (r) => /Waiting for promotion/.test(r.stdout), 'carol');
      assert.equal(status.exitCode, ExitCode.WaitingForHuman, said(status));
      const commands = hints(status.stdout);
      assert.deepEqual(commands.map(decisionOf), ['promote', 'abort'], said(status));
      assert.doesNotMatch(status.stdout, /runbook approve/);
      const pasted = await paste(commands.find((c) => decisionOf(c) === decision)!, 'carol');
      assert.equal(pasted.exitCode, ExitCode.Ok, said(pasted));
      assert.match(pasted.stdout, new RegExp(`^${decision} accepted \\(carol\\)`));
      const end = await cli(['watch', id, '--interval', '1'], { as: 'carol' });
      assert.equal(end.exitCode, decision === 'promote' ? ExitCode.Ok : ExitCode.Stopped, said(end));
    }
  });

  it('paused fleet: resume and abort are printed; resume pasted into bash is accepted', async () => {
    const id = fleetWorkflowId('pausing');
    const handle = await startFleet('pausing', { tenants: { list: ['pz1', 'pz2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' }, canaries: { count: 1 } });
    await eventually(
      () => handle.query(fleetProgressQuery),
      (p) => p.tenants.some((t) => t.tenant === 'pz1' && t.state === 'running'),
      { ms: 30_000 },
    );
    const paused = await cli(['pause', id, '--reason', 'noisy alerts'], { as: 'alice' });
    assert.equal(paused.exitCode, ExitCode.Ok, said(paused));
    const status = await statusUntil(id, (r) => /^Paused/m.test(r.stdout));
    assert.equal(status.exitCode, ExitCode.WaitingForHuman, said(status));
    const commands = hints(status.stdout);
    assert.deepEqual(commands.map(decisionOf), ['resume', 'abort'], said(status));
    const pasted = await paste(commands[0]!, 'alice');
    assert.equal(pasted.exitCode, ExitCode.Ok, said(pasted));
    assert.match(pasted.stdout, /^resume accepted \(alice\): resumed/);
    mocks.release('pz1');
    await handle.result();
  });

  it('fleet view: waves and every tenant with state, duration, revision and message; a failed tenant is named', async () => {
    const id = fleetWorkflowId('mixed');
    const handle = await startFleet('mixed', {
      tenants: { list: ['f1', 'f2', 'f3'], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
      canaries: { count: 1 },
      waves: { sizes: [2] },
      failureBudget: { maxFailed: 1 },
    });
    await handle.result();

    const view = await cli(['fleet', id]);
    const json = JSON.parse((await cli(['fleet', id, '-o', 'json'])).stdout) as { state: string; exitCode: number; fleet: { tenants: { tenant: string; state: string; message?: string }[] } };
    // A fleet that ended with a failed tenant (within its budget) is "completed with failures": exit 8, never 0.
    assert.equal(json.state, 'completed-with-failures', said(view));
    assert.equal(view.exitCode, 8, said(view));
    assert.equal(ExitCode.CompletedWithFailures, 8, 'the documented exit code');
    assert.equal(json.exitCode, 8);
    const status = await cli(['status', id]);
    assert.equal(status.exitCode, 8, said(status));
    assert.match(status.stdout, /^Tenants not upgraded \(1\):\n {2}f2: .*did not become ready/m, 'status names the failed tenant with its reason');
    assert.match(view.stdout, /^Fleet: +mixed \(fleet:mixed\) -> 0\.2\.1$/m);
    assert.match(view.stdout, /^Tenants: +3 total, 2 upgraded, 1 failed/m);
    assert.match(view.stdout, /^WAVE +CANARY +TENANTS +STARTED +ENDED +BAKED UNTIL$/m);
    assert.match(view.stdout, /^canary +yes +1 /m);
    assert.match(view.stdout, /^TENANT +WAVE +STATE +DURATION +ATTEMPTS +REVISION +MESSAGE$/m);
    assert.match(view.stdout, /^f1 +canary +succeeded +\d+(m\d+)?s +1 +3 -> 4 /m);
    assert.match(view.stdout, /^f2 +wave 1 +failed +\d+(m\d+)?s +1 +- +.*did not become ready/m);
    const f2 = json.fleet.tenants.find((t) => t.tenant === 'f2')!;
    assert.equal(f2.state, 'failed');
    assert.match(f2.message ?? '', /did not become ready/);
    const yaml = parseYaml((await cli(['fleet', id, '-o', 'yaml'])).stdout) as typeof json;
    assert.deepEqual(yaml.fleet.tenants, json.fleet.tenants);
    const failedOnly = await cli(['fleet', id, '--state', 'failed']);
    assert.match(failedOnly.stdout, /^f2 /m);
    assert.doesNotMatch(failedOnly.stdout, /^f1 /m);
    // --watch off a terminal: one line per change, ending with how the fleet ended.
    const watched = await cli(['fleet', id, '--watch', '--interval', '1']);
    assert.match(watched.stdout, /f2: failed in \d+(m\d+)?s \(.*did not become ready/);
    assert.match(watched.stdout, /f1: succeeded in \d+(m\d+)?s, revision 3 -> 4/);
    const bad = await cli(['fleet', id, '--state', 'broken']);
    assert.equal(bad.exitCode, ExitCode.InvalidInput, said(bad));
  });

  it('progress in a long step: status and watch show the running helm upgrade and its workloads ready/desired', async () => {
    const id = 'release:apps/slowapp';
    const handle = await env.client.workflow.start('cliFixtureSlowUpgrade', { taskQueue: queue, workflowId: id, args: [{ release: 'slowapp', namespace: 'apps' }] });
    const watching = cli(['watch', id, '--interval', '1']);
    type Progress = { progress: { activity: string; details: { workloads?: { name: string; desired: number }[] } }[] };
    const json = await eventually(
      async () => JSON.parse((await cli(['status', id, '-o', 'json'])).stdout) as Progress,
      (j) => (j.progress[0]?.details.workloads?.length ?? 0) > 0,
      { ms: 20_000, tick: () => new Promise((r) => setTimeout(r, 500)) },
    );
    assert.equal(json.progress[0]!.activity, 'helmUpgrade');
    assert.deepEqual(json.progress[0]!.details.workloads!.map((w) => [w.name, w.desired]), [['slowapp-api', 3], ['slowapp-db', 1]]);
    const during = await statusUntil(id, (r) => /Deployment\/slowapp-api: [0-3]\/3 ready/.test(r.stdout));
    assert.equal(during.exitCode, ExitCode.Running, said(during));
    assert.match(during.stdout, /^In progress:$/m);
    assert.match(during.stdout, /helmUpgrade: waiting for helm upgrade --wait: the workloads of slowapp to be ready: \d+s elapsed/);
    // The command running now, not the one before it (heartbeats are not 30 s stale).
    assert.match(during.stdout, /command: \S*slow-helm\.sh upgrade .* -- slowapp demo\/slowapp/);
    assert.match(during.stdout, /StatefulSet\/slowapp-db: 1\/1 ready/);
    assert.doesNotMatch(during.stdout, /other-api/, 'only the workloads helm owns for this release');
    await writeFile(join(process.env.SLOW_HELM_STATE!, 'finish-upgrade'), '');
    await handle.result();
    const watched = await watching;
    assert.equal(watched.exitCode, ExitCode.Ok, said(watched));
    assert.match(watched.stdout, /helmUpgrade: waiting for helm upgrade --wait: the workloads of slowapp to be ready: \d+s: Deployment\/slowapp-api \d\/3/);
    assert.match(watched.stdout, /helm upgrade --wait: succeeded \(revision 2\)/);
  });

  it('plan: a gate that would refuse says "would be refused" and exits 5; a good plan exits 0', async () => {
    const input = join(dir, 'fleet-plan.yaml');
    await writeFile(input, `# YAML input, as operators write it\nname: plan-check\nupgrade:\n  version: 0.2.1\n  compatibility:\n    file: /etc/soctalk/compatibility.yaml\ntenants:\n  list: [pr1, pr2]\n`);
    const refused = await cli(['plan', 'soctalk-fleet-upgrade', '--input', input, '--interval', '1'], { env: { TEMPORAL_TASK_QUEUE: refusingQueue } });
    assert.equal(refused.exitCode, ExitCode.Refused, said(refused));
    assert.match(refused.stdout, /^would be refused: .*soctalk-system 0\.1\.0/m);
    assert.doesNotMatch(refused.stdout, /^Plan:/m);
    const json = await cli(['plan', 'soctalk-fleet-upgrade', '--input', input, '-o', 'json', '--interval', '1'], { env: { TEMPORAL_TASK_QUEUE: refusingQueue } });
    assert.equal(json.exitCode, ExitCode.Refused, said(json));
    assert.equal((JSON.parse(json.stdout) as { wouldBeRefused: boolean }).wouldBeRefused, true);

    const fine = await cli(['plan', 'soctalk-fleet-upgrade', '--input', input, '--interval', '1']);
    assert.equal(fine.exitCode, ExitCode.Ok, said(fine));
    assert.match(fine.stdout, /^Plan:/m);
    assert.doesNotMatch(fine.stdout, /would be refused/);
  });

  it('connection by profile of the Temporal CLI config file; flags over variables; a down server within --timeout', async () => {
    const config = join(dir, 'temporal.toml');
    await writeFile(config, `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.ci]\naddress = "${env.address}"\nnamespace = "default"\n`);
    const byProfile = cliRunner({ TEMPORAL_ADDRESS: '', TEMPORAL_TASK_QUEUE: queue, TEMPORAL_CONFIG_FILE: config, RUNBOOK_CATALOG: fixture('gates-catalog.ts') });
    const flag = await byProfile(['--profile', 'ci', 'status', 'release:tenants/gate-approve']);
    assert.equal(flag.exitCode, ExitCode.Ok, said(flag));
    const variable = await byProfile(['status', 'release:tenants/gate-approve'], { env: { TEMPORAL_PROFILE: 'ci' } });
    assert.equal(variable.exitCode, ExitCode.Ok, said(variable));
    const address = await byProfile(['--address', env.address, 'status', 'release:tenants/gate-approve']);
    assert.equal(address.exitCode, ExitCode.Ok, said(address));
    const unknown = await byProfile(['--profile', 'prod', 'status', 'x']);
    assert.equal(unknown.exitCode, ExitCode.InvalidInput, said(unknown));
    assert.match(unknown.stderr, /profile "prod" is not in .*temporal\.toml/);

    const old = await byProfile(['--profile', 'ci', 'status', 'x'], { env: { TEMPORAL_TLS_CA_PATH: join(dir, 'missing-ca.pem') } });
    assert.match(old.stderr, /warning: TEMPORAL_TLS_CA_PATH is deprecated: rename it to TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
    assert.equal(old.exitCode, ExitCode.InvalidInput, said(old));
    assert.match(old.stderr, /TEMPORAL_TLS_SERVER_CA_CERT_PATH=.*missing-ca\.pem cannot be read/);

    // Nothing listens on this port: the CLI reports it within --timeout, not after the SDK's retries.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const baseline = Date.now();
    await cli(['--version']);
    const startup = Date.now() - baseline;
    const t0 = Date.now();
    const down = await cli(['--address', `127.0.0.1:${port}`, '--timeout', '2', 'list']);
    const took = Date.now() - t0;
    assert.equal(down.exitCode, ExitCode.Failed, said(down));
    assert.match(down.stderr, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${port}`));
    assert.ok(took < startup + 2_000 + 3_000, `reported after ${took} ms (CLI start-up ${startup} ms, --timeout 2 s)`);
  });
});
