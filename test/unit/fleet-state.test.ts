import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetState, nextStage, type StageInput } from '../../src/workflows/soctalk/fleet/state.js';

const budget = { maxFailed: 1 } as const;

function planned(): FleetState {
  const s = new FleetState();
  s.plan([
    { index: 0, name: 'canary', canary: true, tenants: ['a'] },
    { index: 1, name: 'wave 1', canary: false, tenants: ['b', 'c', 'd'] },
  ]);
  return s;
}

describe('fleet nextStage (the transition function)', () => {
  const at = (over: Partial<StageInput>): StageInput => ({ stage: 'upgrade', wave: 0, waveCount: 3, paused: false, manualPromotion: false, ...over });

  it('upgrades, bakes, then promotes to the next wave', () => {
    assert.deepEqual(nextStage(at({ stage: 'upgrade' })), { kind: 'upgrade', wave: 0 });
    assert.deepEqual(nextStage(at({ stage: 'bake' })), { kind: 'bake', wave: 0, last: false });
    assert.deepEqual(nextStage(at({ stage: 'bake', wave: 2 })), { kind: 'bake', wave: 2, last: true });
    assert.deepEqual(nextStage(at({ stage: 'promote', wave: 1 })), { kind: 'upgrade', wave: 1 }, 'without manual promotion the next wave just starts');
  });

  it('waits at the promotion gate only with manual promotion, never before the first wave', () => {
    assert.deepEqual(nextStage(at({ stage: 'promote', wave: 1, manualPromotion: true })), { kind: 'promote', wave: 1 });
    assert.deepEqual(nextStage(at({ stage: 'promote', wave: 0, manualPromotion: true })), { kind: 'upgrade', wave: 0 });
  });

  it('a pause holds the next wave after promotion', () => {
    assert.deepEqual(nextStage(at({ stage: 'resume', wave: 1, paused: true })), { kind: 'wait-for-resume', wave: 1 });
    assert.deepEqual(nextStage(at({ stage: 'promote', wave: 1, paused: true })), { kind: 'wait-for-resume', wave: 1 });
    assert.deepEqual(nextStage(at({ stage: 'resume', wave: 1 })), { kind: 'upgrade', wave: 1 });
  });

  it('is done after the last wave', () => {
    assert.deepEqual(nextStage(at({ stage: 'promote', wave: 3 })), { kind: 'done' });
  });
});

describe('FleetState operator messages', () => {
  it('pause and resume refuse what would change nothing', () => {
    const s = planned();
    assert.equal(s.resumeRefusal(), 'the fleet is not paused');
    assert.equal(s.pauseRefusal(), undefined);
    assert.match(s.pause(), /^paused: no new tenant starts; 0 in-flight tenant\(s\) finish$/);
    assert.equal(s.pauseRefusal(), 'the fleet is already paused');
    assert.equal(s.resume(), 'resumed');
    s.isEnded = () => true;
    assert.equal(s.pauseRefusal(), 'the fleet has ended');
  });

  it('skips only pending tenants and retries only ones that did not succeed', () => {
    const s = planned();
    assert.equal(s.skipRefusal('nope'), 'nope is not in this fleet');
    s.started('a', 1_000);
    assert.equal(s.skipRefusal('a'), 'tenant a is running: only pending tenants can be skipped');
    assert.equal(s.skip('d', 'alice', 'customer freeze'), 'tenant d will not be upgraded by this fleet');
    assert.equal(s.records.d!.m, 'skipped by alice: customer freeze');
    assert.match(s.retryRefusal('b') ?? '', /tenant b is pending: only failed, skipped, conflicting or aborted/);
    assert.equal(s.retryRefusal('d'), undefined);
  });

  it('a retry during a bake goes to the next wave; during an upgrade it joins the queue', () => {
    const s = planned();
    s.started('a', 0);
    s.finished('a', 'conflict', 'another run', 1, budget);
    s.stage = 'bake';
    assert.equal(s.retry('a'), 'tenant a will be retried in wave 1');
    assert.equal(s.records.a!.w, 1);
    s.wave = 1;
    s.stage = 'upgrade';
    s.skip('b', 'bob');
    s.retry('b');
    assert.deepEqual(s.queue, ['b']);
  });

  it('a failed canary halts the fleet; past the budget a failed tenant does too', () => {
    const canary = planned();
    canary.started('a', 0);
    canary.finished('a', 'failed', 'did not become ready', 5, budget);
    assert.equal(canary.halted, 'canary tenant a failed: did not become ready');
    assert.equal(canary.retryRefusal('a'), 'the fleet has halted');

    const wave = planned();
    wave.wave = 1;
    for (const t of ['b', 'c']) {
      wave.started(t, 0);
      wave.finished(t, 'failed', 'x', 1, budget);
    }
    assert.match(wave.halted ?? '', /2 tenant\(s\) failed, more than the failure budget of 1/);
  });

  it('names every tenant that did not end upgraded, with why', () => {
    const s = planned();
    s.started('a', 0);
    s.finished('a', 'succeeded', '0.2.0 -> 0.2.1', 1, { maxFailed: 5 });
    s.started('b', 0);
    s.finished('b', 'failed', 'deploy/soctalk-adapter did not become ready', 1, { maxFailed: 5 });
    s.skip('c', 'alice', 'freeze');
    s.started('d', 0);
    s.finished('d', 'conflict', 'another run is already upgrading tenant-d', 1, { maxFailed: 5 });
    assert.deepEqual(s.failures(), [
      { tenant: 'b', reason: 'failed: deploy/soctalk-adapter did not become ready' },
      { tenant: 'c', reason: 'skipped: skipped by alice: freeze' },
      { tenant: 'd', reason: 'conflict: another run is already upgrading tenant-d' },
    ]);
    assert.equal(s.waveDetail(1), '0 upgraded, 1 failed, 2 skipped, 0 pending');
  });

  it('carries its snapshot across continue-as-new', () => {
    const s = planned();
    s.pause();
    s.stage = 'bake';
    const next = new FleetState(structuredClone(s.snapshot()));
    assert.deepEqual(next.snapshot(), s.snapshot());
    assert.equal(next.paused, true);
  });
});

describe('FleetState halt message', () => {
  it('names the wave, what is left and the failed tenants', () => {
    const s = planned();
    s.started('a', 0);
    s.finished('a', 'failed', 'did not become ready', 1, budget);
    assert.equal(s.haltedMessage(), 'fleet halted in canary: canary tenant a failed: did not become ready. 3 tenant(s) left untouched. Failed: a: did not become ready');
  });
});
