/**
 * The hint inside a refusal is a printed command too: a decision sent at the wrong gate is
 * refused naming the message the run accepts now with its command, and that command,
 * pasted into a real shell, is accepted. Against a dev server and worker running the real
 * fleet workflow (its tenants' activities recorded stand-ins).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ExitCode } from '../../src/cli/exit-codes.js';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { workflowsPath } from '../../src/worker.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { fleetProgressQuery } from '../../src/workflows/soctalk/fleet/progress.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';
import { eventually, tenantMocks, upgradeSpec } from '../workflows/soctalk-tenant-mocks.js';
import { cliRunner, said } from './run-cli.js';
import { type Paste, shellPaster } from './shell-paste.js';

/** The command a refusal names for the message accepted now: "... accepts promote (runbook promote 'fleet:x'), or abort". */
function hintIn(stderr: string, message: string): string {
  const found = new RegExp(`accepts ${message} \\((runbook ${message} [^)]+)\\), or abort`).exec(stderr);
  assert.ok(found, `no ${message} command in the refusal:\n${stderr}`);
  return found[1]!;
}

describe('runbook CLI: the command a refusal names is accepted when pasted (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;
  let queue: string;
  let mocks: ReturnType<typeof tenantMocks>;
  let cli: ReturnType<typeof cliRunner>;
  let paste: Paste;

  before(async () => {
    env = await createLocalEnv();
    dir = await mkdtemp(join(tmpdir(), 'runbook-refusal-hints-'));
    paste = await shellPaster(dir, env.address);
    queue = uniqueTaskQueue('refusal-hints');
    mocks = tenantMocks({ hold: ['rp1'] });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowsPath, activities: mocks.activities });
    running = worker.run();
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: queue, RUNBOOK_CATALOG: '' });
  });

  after(async () => {
    // A held tenant would keep the worker from shutting down when a test failed midway.
    mocks?.release('rp1');
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startFleet = (name: string, input: Partial<FleetUpgradeInput>) =>
    env.client.workflow.start(soctalkFleetUpgrade, {
      taskQueue: queue,
      workflowId: fleetWorkflowId(name),
      args: [{ name, upgrade: { ...upgradeSpec, heartbeat: { settle: '1s' } }, bakeTime: '1s', ...input }],
    });

  it('approve or reject at a promotion gate: refused naming promote with its command, which pasted is accepted', async () => {
    const id = fleetWorkflowId('hint-promo');
    const fleet = await startFleet('hint-promo', { tenants: { list: ['rq1', 'rq2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' }, canaries: { count: 1 }, manualPromotion: true });
    await eventually(() => fleet.query(statusQuery), (s) => s.gate?.kind === 'promotion', { ms: 60_000 });
    for (const wrong of ['approve', 'reject']) {
      const refused = await cli([wrong, id], { as: 'carol' });
      assert.equal(refused.exitCode, ExitCode.Refused, said(refused));
      assert.equal(hintIn(refused.stderr, 'promote'), `runbook promote '${id}'`);
    }
    const pasted = await paste(hintIn((await cli(['approve', id], { as: 'carol' })).stderr, 'promote'), 'carol');
    assert.equal(pasted.exitCode, ExitCode.Ok, said(pasted));
    assert.match(pasted.stdout, /^promote accepted \(carol\): promoted to wave 1/);
    await fleet.result();
  });

  it('approve or promote while a fleet is paused: refused naming resume with its command, which pasted is accepted', async () => {
    const id = fleetWorkflowId('hint-paused');
    const fleet = await startFleet('hint-paused', { tenants: { list: ['rp1', 'rp2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' }, canaries: { count: 1 } });
    await eventually(() => fleet.query(fleetProgressQuery), (p) => p.tenants.some((t) => t.tenant === 'rp1' && t.state === 'running'), { ms: 30_000 });
    const paused = await cli(['pause', id, '--reason', 'noisy alerts'], { as: 'alice' });
    assert.equal(paused.exitCode, ExitCode.Ok, said(paused));
    for (const wrong of ['approve', 'promote']) {
      const refused = await cli([wrong, id], { as: 'alice' });
      assert.equal(refused.exitCode, ExitCode.Refused, said(refused));
      assert.equal(hintIn(refused.stderr, 'resume'), `runbook resume '${id}'`);
    }
    const pasted = await paste(hintIn((await cli(['promote', id], { as: 'alice' })).stderr, 'resume'), 'alice');
    assert.equal(pasted.exitCode, ExitCode.Ok, said(pasted));
    assert.match(pasted.stdout, /^resume accepted \(alice\): resumed/);
    mocks.release('rp1');
    await fleet.result();
  });
});
