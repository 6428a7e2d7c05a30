import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetUpgradeInputSchema } from '../../src/domain/soctalk/fleet-input.js';
import { budgetExceeded, CanariesSchema, planWaves, selectTenants, slugsFromNamespaces, WavesSchema } from '../../src/domain/soctalk/wave-plan.js';

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(3, '0')}`);
const shape = (plan: ReturnType<typeof planWaves>) => plan.map((w) => [w.name, w.tenants.length]);

describe('planWaves', () => {
  it('puts the first N tenants in the canary wave, then cumulative percentages of the rest', () => {
    const plan = planWaves({ tenants: fleet(101), canaries: CanariesSchema.parse({ count: 1 }), waves: WavesSchema.parse({ percentages: [10, 50, 100] }) });
    assert.deepEqual(shape(plan), [
      ['canary', 1],
      ['wave 1', 10],
      ['wave 2', 40],
      ['wave 3', 50],
    ]);
    assert.deepEqual(plan[0]!.tenants, ['t001']);
    assert.equal(plan[0]!.canary, true);
    assert.deepEqual(plan.flatMap((w) => w.tenants), fleet(101), 'every tenant exactly once, in order');
    assert.deepEqual(plan.map((w) => w.index), [0, 1, 2, 3]);
  });

  it('uses explicit canaries wherever they are in the list', () => {
    const plan = planWaves({ tenants: ['a', 'b', 'c', 'd'], canaries: { tenants: ['c'], count: 1 }, waves: { sizes: [2] } });
    assert.deepEqual(
      plan.map((w) => [w.name, w.tenants]),
      [
        ['canary', ['c']],
        ['wave 1', ['a', 'b']],
        ['wave 2', ['d']],
      ],
    );
  });

  it('refuses an explicit canary that is not in the fleet', () => {
    assert.throws(() => planWaves({ tenants: ['a'], canaries: { tenants: ['zz'], count: 1 }, waves: { sizes: [1] } }), /canaries\.tenants: zz not in the fleet/);
  });

  it('by sizes, the last wave takes the rest; sizes beyond the fleet are trimmed', () => {
    assert.deepEqual(shape(planWaves({ tenants: fleet(20), canaries: { count: 2 }, waves: { sizes: [3, 5] } })), [
      ['canary', 2],
      ['wave 1', 3],
      ['wave 2', 5],
      ['wave 3', 10],
    ]);
    assert.deepEqual(shape(planWaves({ tenants: fleet(4), canaries: { count: 0 }, waves: { sizes: [3, 5, 8] } })), [
      ['wave 1', 3],
      ['wave 2', 1],
    ]);
  });

  it('never plans an empty wave: tiny percentages still take one tenant, and duplicates collapse', () => {
    assert.deepEqual(shape(planWaves({ tenants: fleet(5), canaries: { count: 0 }, waves: { percentages: [1, 2, 3] } })), [
      ['wave 1', 1],
      ['wave 2', 1],
      ['wave 3', 1],
      ['wave 4', 2],
    ]);
    assert.deepEqual(shape(planWaves({ tenants: ['a', 'a', 'b'], canaries: { count: 5 }, waves: { percentages: [100] } })), [['canary', 2]]);
  });

  it('plans a 5,000-tenant fleet quickly', () => {
    const started = performance.now();
    const plan = planWaves({ tenants: fleet(5000), canaries: { count: 5 }, waves: { percentages: [1, 10, 25, 50, 100] } });
    assert.equal(plan.reduce((n, w) => n + w.tenants.length, 0), 5000);
    assert.ok(performance.now() - started < 500);
  });
});

describe('wave schema', () => {
  it('defaults to 10/50/100 percent and refuses both forms or decreasing percentages', () => {
    assert.deepEqual(WavesSchema.parse(undefined), { percentages: [10, 50, 100] });
    assert.match(WavesSchema.safeParse({ percentages: [50], sizes: [1] }).error!.issues[0]!.message, /not both/);
    assert.match(WavesSchema.safeParse({ percentages: [50, 10] }).error!.issues[0]!.message, /must increase/);
  });

  it('fleet input defaults: the runbook selector, one canary, budget 0, rollback failed tenants', () => {
    const input = FleetUpgradeInputSchema.parse({ name: 'nov', upgrade: { version: '0.2.1', compatibility: { file: '/m.yaml' } } });
    assert.equal(input.tenants.selector, 'tenant=true,managed-by=soctalk');
    assert.deepEqual(input.canaries, { count: 1 });
    assert.deepEqual(input.failureBudget, { maxFailed: 0 });
    assert.equal(input.failedTenants, 'rollback');
    assert.equal(input.inFlight, 'finish');
    assert.equal(input.bakeTime, 600_000);
    assert.equal(input.upgrade.helmTimeout, 15 * 60_000);
    assert.equal(input.upgrade.heartbeat.settle, 60_000);
  });
});

describe('failure budget', () => {
  it('holds up to maxFailed and breaks past it', () => {
    assert.equal(budgetExceeded({ maxFailed: 2 }, 2, 100), undefined);
    assert.equal(budgetExceeded({ maxFailed: 2 }, 3, 100), '3 tenant(s) failed, more than the failure budget of 2');
  });

  it('holds up to the ratio of the fleet and breaks past it', () => {
    assert.equal(budgetExceeded({ maxFailedRatio: 0.05 }, 5, 100), undefined);
    assert.equal(budgetExceeded({ maxFailedRatio: 0.05 }, 6, 100), '6 of 100 tenants failed (6.0%), more than the failure budget of 5.0%');
  });

  it('with both, whichever breaks first halts', () => {
    assert.match(budgetExceeded({ maxFailed: 10, maxFailedRatio: 0.01 }, 2, 100)!, /2 of 100/);
    assert.equal(budgetExceeded({}, 50, 100), undefined, 'no budget set: never halts on failures alone');
  });
});

describe('tenant selection', () => {
  it('maps tenant-<slug> namespaces to slugs, ignoring others', () => {
    assert.deepEqual(slugsFromNamespaces(['tenant-beta', 'default', 'tenant-acme', 'tenant-', 'tenant-acme']), ['acme', 'beta']);
  });
  it('removes exclusions and sorts', () => {
    assert.deepEqual(selectTenants(['gamma', 'acme', 'beta'], ['beta']), ['acme', 'gamma']);
  });
});
