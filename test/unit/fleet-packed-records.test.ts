import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packRecords, unpackRecords } from '../../src/workflows/soctalk/fleet/packed-records.js';
import type { TenantRecord } from '../../src/workflows/soctalk/fleet/progress.js';
import { FleetState } from '../../src/workflows/soctalk/fleet/state.js';

const t0 = Date.parse('2026-12-02T10:00:00.000Z');

describe('fleet records packed for continue-as-new', () => {
  it('unpacks to exactly the records that were packed, in their order', () => {
    const records: Record<string, TenantRecord> = {
      acme: { w: 0, s: 'succeeded', a: t0, b: t0 + 61_234, n: 1, m: '0.1.0 -> 0.2.1, revision 3 -> 4' },
      beta: { w: 1, s: 'failed', a: t0 + 5, b: t0 + 90_000, n: 2, m: 'deploy/soctalk-adapter did not become ready' },
      gamma: { w: 1, s: 'pending', a: t0 + 7, b: t0 + 8, n: 1 },
      delta: { w: 2, s: 'running', a: t0 + 100_000, n: 1 },
      eps: { w: 2, s: 'skipped', m: 'skipped by alice: freeze' },
      zeta: { w: 12, s: 'pending' },
      eta: { w: 0, s: 'succeeded', a: t0 + 1, b: t0 + 2, n: 1, m: '0.1.0 -> 0.2.1, revision 3 -> 4' },
    };
    const packed = packRecords(structuredClone(records));
    assert.deepEqual(unpackRecords(structuredClone(packed)), records);
    assert.deepEqual(Object.keys(unpackRecords(packed)), Object.keys(records));
    assert.equal(packed.messages.length, 3, 'a message shared by tenants is carried once');
  });

  it('an empty fleet packs and unpacks', () => {
    assert.deepEqual(unpackRecords(packRecords({})), {});
  });

  it('costs a tenant its name plus about 20 bytes, a fifth of the records as objects', () => {
    const records: Record<string, TenantRecord> = {};
    for (let i = 0; i < 5000; i++) {
      records[`tenant-${String(i).padStart(5, '0')}`] = { w: 3, s: 'succeeded', a: t0 + i * 20, b: t0 + i * 20 + 150, n: 1, m: '0.1.0 -> 0.2.1, revision 3 -> 4' };
    }
    const packed = JSON.stringify(packRecords(records)).length;
    const plain = JSON.stringify(records).length;
    assert.ok(packed < 5000 * (12 + 20), `packed: ${packed} bytes`);
    assert.ok(packed * 4 < plain, `packed ${packed} bytes against ${plain} as objects`);
  });

  it('a carried fleet counts its tenants per wave and state as the first generation did', () => {
    const s = new FleetState();
    s.plan([
      { index: 0, name: 'canary', canary: true, tenants: ['a'] },
      { index: 1, name: 'wave 1', canary: false, tenants: ['b', 'c', 'd'] },
    ]);
    s.started('a', t0);
    s.finished('a', 'succeeded', 'ok', t0 + 10, { maxFailed: 5 });
    s.started('b', t0 + 11);
    s.finished('b', 'failed', 'broke', t0 + 20, { maxFailed: 5 });
    s.skip('c', 'alice');
    const next = new FleetState(structuredClone(s.snapshot()));
    assert.deepEqual(next.totals(), s.totals());
    assert.deepEqual(next.counts.wave(1), { upgraded: 0, failed: 1, running: 0, pending: 1, skipped: 1 });
    assert.deepEqual([...next.counts.failed], ['b']);
    assert.equal(next.waveDetail(1), s.waveDetail(1));
  });
});

describe('FleetState counts follow every move', () => {
  it('a retried tenant leaves the failed count and joins its new wave as pending', () => {
    const s = new FleetState();
    s.plan([
      { index: 0, name: 'canary', canary: false, tenants: ['a'] },
      { index: 1, name: 'wave 1', canary: false, tenants: ['b'] },
    ]);
    s.started('a', 0);
    s.finished('a', 'failed', 'x', 1, { maxFailed: 5 });
    assert.deepEqual(s.totals(), { tenants: 2, done: 0, failed: 1, running: 0, pending: 1, skipped: 0 });
    s.stage = 'bake';
    s.retry('a');
    assert.deepEqual(s.totals(), { tenants: 2, done: 0, failed: 0, running: 0, pending: 2, skipped: 0 });
    assert.deepEqual(s.counts.wave(0), { upgraded: 0, failed: 0, running: 0, pending: 0, skipped: 0 });
    assert.equal(s.counts.wave(1).pending, 2);
    assert.equal(s.counts.failed.size, 0);
  });
});
