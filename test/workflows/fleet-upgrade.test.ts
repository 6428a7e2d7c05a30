import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { tenantWorkflowId } from '../../src/domain/soctalk/tenant-runbooks.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { NamespaceKey, PhaseKey, ReleaseKey, RunbookKey, TargetVersionKey } from '../../src/domain/search-attributes.js';
import {
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  promoteUpdate,
  resumeUpdate,
  retryTenantUpdate,
  skipTenantUpdate,
  statusQuery,
} from '../../src/workflows/lib/messages.js';
import { fleetProgressQuery, type FleetProgress } from '../../src/workflows/soctalk/fleet/progress.js';
import { RESULT_TENANTS_MAX } from '../../src/workflows/soctalk/fleet/result.js';
import { soctalkFleetUpgrade, type FleetResult } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { soctalkTenantUpgrade } from '../../src/workflows/soctalk/tenant-upgrade.js';
import { eventually, refusalOf, useWorkflowTestEnv } from '../helpers/workflow-harness.js';
import { tenantMocks, upgradeSpec, type TenantMockOptions } from './soctalk-tenant-mocks.js';

type Handle = WorkflowHandle<typeof soctalkFleetUpgrade>;
type Mocks = ReturnType<typeof tenantMocks>;

const letters = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);

describe('soctalkFleetUpgrade (time-skipping)', () => {
  const t = useWorkflowTestEnv();

  async function runFleet(input: Partial<FleetUpgradeInput>, mocks: TenantMockOptions, drive?: (h: Handle, m: Mocks) => Promise<void>, record = false) {
    const m = tenantMocks(mocks);
    return t.withWorker(
      m.activities,
      async (taskQueue) => {
        const handle = await t.env.client.workflow.start(soctalkFleetUpgrade, {
          taskQueue,
          workflowId: fleetWorkflowId(`test-${taskQueue}`),
          args: [{ name: 'test', upgrade: upgradeSpec, ...input }],
        });
        // Waiting on the result lets the test server skip timers (bake times, the 60s settle).
        // While a test drives the run, time moves only by its explicit ticks, so that waits for
        // humans (the promote gate's timeout) do not run out before the test answers.
        if (drive) await drive(handle, m);
        const { result, error } = await handle.result().then(
          (result) => ({ result, error: undefined }),
          (error: unknown) => ({ result: undefined as FleetResult | undefined, error }),
        );
        if (record) {
          // The first generation (it may have continued as new) and the last one.
          const first = t.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
          await t.record(first);
          const describe = await handle.describe();
          if (describe.runId !== handle.firstExecutionRunId) await t.record(handle, 'last-generation');
        }
        const progress = await handle.query(fleetProgressQuery);
        const status = await handle.query(statusQuery);
        return { result, error, progress, status, m, handle };
      },
      'fleet',
    );
  }

  const failure = (error: unknown) => (error as WorkflowFailedError).cause as ApplicationFailure;
  const states = (p: FleetProgress) => Object.fromEntries(p.tenants.map((t) => [t.tenant, t.state]));
  const progressOf = (h: Handle) => () => h.query(fleetProgressQuery);
  /**
   * Polls a running fleet, moving server time 5s per tick (bake times, the 60s settle).
   * While a held activity runs the test server cannot skip time, so waits for something a
   * held tenant does poll in real time (`held`).
   */
  const until = <T,>(read: () => Promise<T>, check: (v: T) => boolean, held = false) =>
    eventually(read, check, held ? {} : { tick: () => t.env.sleep(5_000) });

  it('plan mode returns the tenants and the wave plan and changes nothing', async () => {
    const { result, error, m } = await runFleet(
      { dryRun: true, tenants: { exclude: ['t05'] }, canaries: { count: 1 }, waves: { percentages: [10, 50, 100] } },
      { tenants: letters(11) },
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.dryRun, true);
    assert.deepEqual(result!.tenants, ['t01', 't02', 't03', 't04', 't06', 't07', 't08', 't09', 't10', 't11']);
    assert.deepEqual(
      result!.plan.map((w) => [w.name, w.tenants]),
      [
        ['canary', ['t01']],
        ['wave 1', ['t02']],
        ['wave 2', ['t03', 't04', 't06', 't07']],
        ['wave 3', ['t08', 't09', 't10', 't11']],
      ],
    );
    assert.deepEqual(m.calls.find((c) => c.name === 'listTenantNamespacePage')!.args, { selector: 'tenant=true,managed-by=soctalk', kube: {}, limit: 500 });
    assert.deepEqual(m.upgraded(), []);
  });

  it('plan mode of a fleet larger than a result may list names the first 1,000 tenants of each list and counts the rest', async () => {
    const many = Array.from({ length: RESULT_TENANTS_MAX + 500 }, (_, i) => `t${String(i).padStart(5, '0')}`);
    const { result, error, m } = await runFleet({ dryRun: true, canaries: { count: 1 }, waves: { percentages: [100] } }, { tenants: many });
    assert.equal(error, undefined, String(error));
    assert.equal(result!.totals.tenants, 1500);
    // 1,501 namespaces (with "default") come in pages of 500: no activity result holds the whole fleet.
    const pages = m.calls.filter((c) => c.name === 'listTenantNamespacePage').map((c) => (c.args as { continueToken?: string }).continueToken);
    assert.deepEqual(pages, [undefined, '500', '1000', '1500']);
    assert.equal(result!.tenants.length, RESULT_TENANTS_MAX);
    assert.deepEqual(result!.tenants.slice(0, 2), ['t00000', 't00001']);
    assert.deepEqual(
      result!.plan.map((w) => [w.name, w.size, w.tenants.length]),
      [
        ['canary', 1, 1],
        ['wave 1', 1499, RESULT_TENANTS_MAX],
      ],
    );
    assert.deepEqual(result!.notListed, { tenants: 500, plan: [0, 499] });
  });

  it('starts the tenant list over when the API server has dropped a page token', async () => {
    let calls = 0;
    const tenants = letters(3);
    const listTenantNamespacePage = async (args: { continueToken?: string }) => {
      calls += 1;
      // The first pass loses its token after page one; the second pass reads both pages.
      if (calls === 2) return { names: [], expired: true };
      return args.continueToken ? { names: tenants.slice(1).map((t) => `tenant-${t}`) } : { names: ['default', `tenant-${tenants[0]}`], continueToken: 'p2' };
    };
    const { result, error } = await runFleet({ dryRun: true, canaries: { count: 1 }, waves: { percentages: [100] } }, { tenants, overrides: { listTenantNamespacePage } });
    assert.equal(error, undefined, String(error));
    assert.equal(calls, 4);
    assert.deepEqual(result!.tenants, tenants, 'every tenant once, none doubled by the restart');
  });

  it('upgrades canary, then waves with bake times, one child per tenant under its business ID', async () => {
    const { result, error, progress, status, m } = await runFleet(
      { canaries: { count: 1 }, waves: { sizes: [2] }, maxParallel: 2, bakeTime: '30m' },
      { tenants: ['a', 'b', 'c', 'd', 'e', 'f'] },
    );
    assert.equal(error, undefined, String(error));
    assert.deepEqual(result!.totals, { tenants: 6, done: 6, failed: 0, running: 0, pending: 0, skipped: 0 });
    assert.equal(status.outcome?.phase, 'completed', 'every tenant upgraded: no failures to name');
    assert.deepEqual(m.upgraded().slice(0, 1), ['a'], 'the canary first');
    assert.deepEqual(new Set(m.upgraded().slice(1, 3)), new Set(['b', 'c']));
    assert.deepEqual(
      status.steps.map((s) => [s.name, s.outcome]),
      [
        ['list tenants', 'succeeded'],
        ['never upgrade tenant charts ahead of soctalk-system (whole fleet)', 'succeeded'],
        ['plan the waves', 'succeeded'],
        ['canary: upgrade 1 tenant(s), 2 at a time', 'succeeded'],
        ['bake canary', 'succeeded'],
        ['wave 1: upgrade 2 tenant(s), 2 at a time', 'succeeded'],
        ['bake wave 1', 'succeeded'],
        ['wave 2: upgrade 3 tenant(s), 2 at a time', 'succeeded'],
        ['bake wave 2', 'skipped'],
      ],
    );
    const canary = progress.tenants.find((t) => t.tenant === 'a')!;
    assert.equal(canary.state, 'succeeded');
    assert.ok(canary.durationMs! >= 60_000, 'each tenant waited the 60s heartbeat settle');
    const b = progress.tenants.find((t) => t.tenant === 'b')!;
    assert.ok(Date.parse(b.startedAt!) - Date.parse(canary.endedAt!) >= 30 * 60_000, 'wave 1 started after the canary baked 30m');
    const childHandle = t.env.client.workflow.getHandle(tenantWorkflowId('a'));
    const child = await childHandle.describe();
    assert.equal(child.type, 'soctalkTenantUpgrade');
    // The fleet starts a tenant with its identity: the tenant upserts only its phases.
    assert.deepEqual(
      [RunbookKey, ReleaseKey, NamespaceKey, TargetVersionKey, PhaseKey].map((key) => child.typedSearchAttributes.get(key)),
      ['soctalk-tenant-upgrade', 'tenant-a', 'tenant-a', upgradeSpec.version, 'completed'],
    );
    const upserted = ((await childHandle.fetchHistory()).events ?? []).flatMap((e) =>
      e.upsertWorkflowSearchAttributesEventAttributes ? [Object.keys(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {})] : [],
    );
    assert.ok(upserted.length > 0);
    assert.deepEqual([...new Set(upserted.flat())], [PhaseKey.name]);
  });

  it('bakeTime 0 skips every bake and heartbeat.settle 0 every settle: no timer in the fleet or a tenant', async () => {
    const { error, status, handle } = await runFleet(
      { canaries: { count: 1 }, waves: { sizes: [2] }, maxParallel: 2, bakeTime: 0, upgrade: { ...upgradeSpec, heartbeat: { settle: 0 } } },
      { tenants: ['a', 'b', 'c', 'd'] },
    );
    assert.equal(error, undefined, String(error));
    assert.deepEqual(
      status.steps.filter((s) => s.name.startsWith('bake ')).map((s) => [s.name, s.outcome, s.detail]),
      [
        ['bake canary', 'skipped', 'bakeTime is 0'],
        ['bake wave 1', 'skipped', 'bakeTime is 0'],
        ['bake wave 2', 'skipped', 'the last wave'],
      ],
    );
    // The only timer left is the 2m cap on waiting for the last notifications to go out.
    const timers = async (h: { fetchHistory: Handle['fetchHistory'] }) =>
      ((await h.fetchHistory()).events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds)] : []));
    assert.deepEqual(await timers(handle), [120], 'the fleet started no bake timer');
    assert.deepEqual(await timers(t.env.client.workflow.getHandle(tenantWorkflowId('a'))), [], 'a tenant started no timer');
  });

  it('halts before the first wave when the canary fails, rolling it back', async () => {
    const { error, progress, m } = await runFleet({ canaries: { tenants: ['c'] }, failureBudget: { maxFailed: 5 } }, { tenants: ['a', 'b', 'c', 'd'], failing: ['c'] }, undefined, true);
    // The failed tenant child's own history is a saved history too.
    await t.record(t.env.client.workflow.getHandle(tenantWorkflowId('c')), 'failed-child');
    const cause = failure(error);
    assert.equal(cause.type, 'VerificationFailed');
    assert.match(cause.message, /^fleet halted in canary: canary tenant c failed: deploy\/soctalk-adapter in tenant-c did not become ready; compensated: helm rollback tenant-c to revision 3/);
    assert.match(cause.message, /3 tenant\(s\) left untouched/);
    assert.deepEqual(m.upgraded(), ['c']);
    assert.deepEqual(m.rolledBack(), ['c']);
    assert.deepEqual(states(progress), { c: 'failed', a: 'pending', b: 'pending', d: 'pending' });
  });

  it('halts mid-wave when the failure budget is crossed, leaves the rest untouched and rolls the failed ones back', async () => {
    const { error, progress, m } = await runFleet(
      { canaries: { count: 1 }, waves: { sizes: [9] }, maxParallel: 1, failureBudget: { maxFailed: 1 } },
      { tenants: letters(10), failing: ['t03', 't05'] },
    );
    const cause = failure(error);
    assert.match(cause.message, /^fleet halted in wave 1: 2 tenant\(s\) failed, more than the failure budget of 1\. 5 tenant\(s\) left untouched/);
    assert.match(cause.message, /compensated: settle in-flight tenants \(let them finish\) \(3 upgraded, 2 failed, 0 aborted in flight \(rolled back\), 5 left untouched\)/);
    assert.deepEqual(m.upgraded(), ['t01', 't02', 't03', 't04', 't05']);
    assert.deepEqual(m.rolledBack(), ['t03', 't05']);
    assert.deepEqual(progress.totals, { tenants: 10, done: 3, failed: 2, running: 0, pending: 5, skipped: 0 });
  });

  it('with failedTenants "leave", a halted fleet leaves failed tenants as they are for inspection', async () => {
    const { error, m } = await runFleet(
      { canaries: { count: 0 }, waves: { sizes: [4] }, maxParallel: 1, failureBudget: { maxFailedRatio: 0.2 }, failedTenants: 'leave' },
      { tenants: ['a', 'b', 'c', 'd'], failing: ['a'] },
    );
    assert.match(failure(error).message, /1 of 4 tenants failed \(25\.0%\), more than the failure budget of 20\.0%/);
    assert.deepEqual(m.rolledBack(), []);
    assert.deepEqual(m.upgraded(), ['a']);
  });

  it('refuses the whole fleet when soctalk-system is behind (system-first gate)', async () => {
    const { error, m, status } = await runFleet({}, { tenants: ['a', 'b'], systemVersion: '0.1.0' });
    const cause = failure(error);
    assert.equal(cause.type, 'IncompatibleVersions');
    assert.match(cause.message, /never upgrade tenant charts ahead of soctalk-system: soctalk-system 0\.1\.0 supports soctalk-tenant >=0\.1\.0 <0\.2\.0, not 0\.2\.1/);
    assert.deepEqual(m.upgraded(), []);
    assert.equal(status.outcome?.phase, 'failed');
  });

  it('pause stops new tenant starts while in-flight ones finish; resume carries on', async () => {
    const { result, error, status } = await runFleet(
      { canaries: { count: 1 }, waves: { sizes: [3] }, maxParallel: 1, bakeTime: '5m' },
      { tenants: ['a', 'b', 'c', 'd'], hold: ['b'] },
      async (h, m) => {
        await until(async () => m.upgraded(), (u) => u.includes('b'));
        const ack = await h.executeUpdate(pauseUpdate, { args: [{ by: 'alice', reason: 'noisy alerts' }] });
        assert.match(ack.message, /paused: no new tenant starts; 1 in-flight tenant\(s\) finish/);
        const paused = await h.query(statusQuery);
        assert.equal(paused.gate?.kind, 'paused');
        assert.deepEqual(paused.gate?.commands, [`runbook resume '${h.workflowId}'`, `runbook abort '${h.workflowId}' --reason '<reason>'`]);
        await assert.rejects(h.executeUpdate(pauseUpdate, { args: [{ by: 'alice' }] }), (e: unknown) => e instanceof WorkflowUpdateFailedError && /already paused/.test(String(e.cause?.message)));
        m.release('b');
        const p = await until(progressOf(h), (p) => p.tenants.find((t) => t.tenant === 'b')?.state === 'succeeded');
        assert.equal(p.paused, true);
        await t.env.sleep(10 * 60_000);
        assert.deepEqual(m.upgraded(), ['a', 'b'], 'nothing new started while paused');
        await h.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
      },
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.totals.done, 4);
    assert.deepEqual(
      status.decisions.map((d) => [d.kind, d.by]),
      [
        ['pause', 'alice'],
        ['resume', 'bob'],
      ],
    );
  });

  it('abort mid-wave: no new starts, in-flight tenants are aborted and roll back (inFlight: rollback)', async () => {
    const { error, progress, m } = await runFleet(
      { canaries: { count: 0 }, waves: { sizes: [6] }, maxParallel: 2, inFlight: 'rollback' },
      { tenants: ['a', 'b', 'c', 'd', 'e', 'f'], hold: ['a', 'b'] },
      async (h, m) => {
        await until(async () => m.upgraded(), (u) => u.length === 2, true);
        await h.executeUpdate(abortUpdate, { args: [{ by: 'alice', reason: 'bad release' }] });
        for (const tenant of ['a', 'b']) {
          await until(
            () => t.env.client.workflow.getHandle(tenantWorkflowId(tenant)).query(statusQuery),
            (s) => s.abortRequested !== undefined,
            true,
          );
          m.release(tenant);
        }
      },
    );
    const cause = failure(error);
    assert.equal(cause.type, 'Aborted');
    assert.match(cause.message, /^aborted by alice: bad release; compensated: settle in-flight tenants \(abort them, their upgrades roll back\) \(0 upgraded, 0 failed, 2 aborted in flight \(rolled back\), 4 left untouched\)/);
    assert.deepEqual(m.upgraded().sort(), ['a', 'b']);
    assert.deepEqual(m.rolledBack().sort(), ['a', 'b']);
    assert.deepEqual(states(progress), { a: 'aborted', b: 'aborted', c: 'pending', d: 'pending', e: 'pending', f: 'pending' });
    assert.match(progress.tenants[0]!.message!, /aborted by fleet:test: fleet test: the fleet was aborted; compensated: helm rollback tenant-a to revision 3/);
  });

  it('the promote gate holds the next wave until an allowed approver promotes', async () => {
    const { result, error, status } = await runFleet(
      { canaries: { count: 1 }, waves: { sizes: [2] }, manualPromotion: true, requestedBy: 'dave', approval: { approvers: ['carol', 'dave'], fourEyes: true } },
      { tenants: ['a', 'b', 'c'] },
      async (h, m) => {
        const s = await until(() => h.query(statusQuery), (s) => s.phase === 'waiting-promotion');
        assert.equal(s.pendingApproval?.gate, 'promote to wave 1');
        // The hint comes from the gate itself: promote is what this gate accepts.
        assert.deepEqual(s.gate?.accepts, ['promote', 'abort']);
        assert.equal(s.gate?.commands[0], `runbook promote '${h.workflowId}'`);
        assert.match(
          await refusalOf(h.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] })),
          new RegExp(`^the run is not waiting for approval: it waits at "promote to wave 1" and accepts promote \\(runbook promote '${h.workflowId}'\\), or abort$`),
        );
        assert.deepEqual(m.upgraded(), ['a']);
        const refusal = async (by: string) => {
          try {
            await h.executeUpdate(promoteUpdate, { args: [{ by }] });
            return 'accepted';
          } catch (e) {
            return String((e as WorkflowUpdateFailedError).cause?.message);
          }
        };
        assert.match(await refusal('mallory'), /mallory is not an allowed approver \(allowed: carol, dave\)/);
        assert.match(await refusal('dave'), /four-eyes approval is on: dave requested this run and cannot approve it/);
        const ack = await h.executeUpdate(promoteUpdate, { args: [{ by: 'carol', comment: 'canary looks good' }] });
        assert.equal(ack.message, 'promoted to wave 1');
      },
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.totals.done, 3);
    const gate = status.steps.find((s) => s.name === 'promote to wave 1')!;
    assert.equal(gate.detail, 'promoted by carol: canary looks good');
  });

  it('skipTenant skips a pending tenant, retryTenant re-runs a failed one', async () => {
    const { result, error, progress, status, m } = await runFleet(
      { canaries: { count: 0 }, waves: { sizes: [4] }, maxParallel: 1, failureBudget: { maxFailed: 1 } },
      { tenants: ['a', 'b', 'c', 'd'], hold: ['a', 'c'], failing: ['b'], failTimes: 1 },
      async (h, m) => {
        await until(async () => m.upgraded(), (u) => u.includes('a'), true);
        await h.executeUpdate(skipTenantUpdate, { args: [{ by: 'alice', tenant: 'd', reason: 'customer freeze' }] });
        await assert.rejects(
          h.executeUpdate(skipTenantUpdate, { args: [{ by: 'alice', tenant: 'a' }] }),
          (e: unknown) => /tenant a is running: only pending tenants can be skipped/.test(String((e as WorkflowUpdateFailedError).cause?.message)),
        );
        await assert.rejects(
          h.executeUpdate(retryTenantUpdate, { args: [{ by: 'alice', tenant: 'nope' }] }),
          (e: unknown) => /nope is not in this fleet/.test(String((e as WorkflowUpdateFailedError).cause?.message)),
        );
        m.release('a');
        await until(progressOf(h), (p) => p.tenants.find((t) => t.tenant === 'b')?.state === 'failed');
        const ack = await h.executeUpdate(retryTenantUpdate, { args: [{ by: 'alice', tenant: 'b' }] });
        assert.equal(ack.message, 'tenant b will be retried in wave 1');
        m.release('c');
      },
    );
    assert.equal(error, undefined, String(error));
    assert.deepEqual(states(progress), { a: 'succeeded', b: 'succeeded', c: 'succeeded', d: 'skipped' });
    assert.equal(progress.tenants.find((t) => t.tenant === 'b')!.attempts, 2);
    assert.deepEqual(m.upgraded(), ['a', 'b', 'c', 'b']);
    assert.deepEqual(result!.skipped, [{ tenant: 'd', state: 'skipped', message: 'skipped by alice: customer freeze' }]);
    // Completed, but not everything: the outcome names the skipped tenant and why.
    assert.equal(status.outcome?.phase, 'completed-with-failures');
    assert.deepEqual(status.outcome?.failures, [{ tenant: 'd', reason: 'skipped: skipped by alice: customer freeze' }]);
    assert.match(status.outcome?.message ?? '', /^completed with 1 failure\(s\): d \(skipped: skipped by alice: customer freeze\)$/);
    const done = m.calls.filter((c) => c.name === 'notify').map((c) => c.args as { kind: string; summary: string });
    assert.deepEqual(done.map((n) => n.kind), ['completed']);
    assert.match(done[0]!.summary, /^soctalk-fleet-upgrade completed with 1 failure\(s\): d \(skipped/, 'the chat hears which tenant was left out');
  });

  it('records a tenant another run is already upgrading as a conflict, never upgrading it twice', async () => {
    const m0 = tenantMocks({ hold: ['b'] });
    await t.withWorker(
      m0.activities,
      async (taskQueue) => {
        const manual = await t.env.client.workflow.start(soctalkTenantUpgrade, { taskQueue, workflowId: tenantWorkflowId('b'), args: [{ tenant: 'b', ...upgradeSpec }] });
        await until(async () => m0.upgraded(), (u) => u.includes('b'));
        // Released as soon as the fleet saw the conflict: a held activity stops time skipping.
        const { result, error, m } = await runFleet({ canaries: { count: 0 }, waves: { sizes: [3] } }, { tenants: ['a', 'b', 'c'] }, async (h) => {
          await until(progressOf(h), (p) => p.tenants.find((t) => t.tenant === 'b')?.state === 'conflict', true);
          m0.release('b');
        });
        assert.equal(error, undefined, String(error));
        assert.deepEqual(m.upgraded().sort(), ['a', 'c']);
        assert.equal(result!.skipped[0]!.state, 'conflict');
        assert.match(result!.skipped[0]!.message!, /another run is already upgrading tenant-b \(workflow ID release:tenant-b\/tenant-b\)/);
        await manual.result();
      },
      'manual',
    );
  });

  it('keeps the history bounded with continue-as-new, carrying progress across generations', async () => {
    const { result, error, progress } = await runFleet(
      { canaries: { count: 2 }, waves: { sizes: [40] }, maxParallel: 8, continueAsNewAfterEvents: 500, bakeTime: '1m' },
      { tenants: letters(110) },
      undefined,
      true,
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.totals.done, 110);
    assert.ok(result!.generations > 1, `generations: ${result!.generations}, events: ${result!.historyEvents.join(",")}`);
    assert.ok(Math.max(...result!.historyEvents) < 800, `history events per generation: ${result!.historyEvents.join(', ')}`);
    assert.equal(progress.tenants.length, 110);
  });
});
