import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MaintenanceWindowSchema, nextWindowStart, windowLengthMs } from '../../src/domain/soctalk/maintenance-window.js';

const win = (w: Record<string, unknown>) => MaintenanceWindowSchema.parse(w);
const at = (iso: string) => new Date(iso);

describe('maintenance window', () => {
  it('is open now when inside the window and the upgrade still fits', () => {
    const d = nextWindowStart(win({ start: '01:00', end: '05:00', estimatedDuration: '1h' }), at('2026-11-22T02:00:00Z'))!;
    assert.equal(d.openNow, true);
    assert.equal(d.waitMs, 0);
    assert.equal(d.closesAt.toISOString(), '2026-11-22T05:00:00.000Z');
  });

  it('waits for the next window when the rest of the current one is too short', () => {
    const d = nextWindowStart(win({ start: '01:00', end: '05:00', estimatedDuration: '1h' }), at('2026-11-22T04:30:00Z'))!;
    assert.equal(d.openNow, false);
    assert.equal(d.startAt.toISOString(), '2026-11-23T01:00:00.000Z');
    assert.equal(d.waitMs, 20.5 * 3_600_000);
  });

  it('honours the days of the week in the window time zone', () => {
    // 2026-11-22 is a Sunday. Saturday/Sunday only, 22:00-02:00 in Rome (UTC+1 in November).
    const w = win({ days: ['sat'], start: '22:00', end: '02:00', timeZone: 'Europe/Rome', estimatedDuration: '30m' });
    const d = nextWindowStart(w, at('2026-11-22T12:00:00Z'))!;
    assert.equal(d.startAt.toISOString(), '2026-11-28T21:00:00.000Z');
    assert.equal(d.closesAt.toISOString(), '2026-11-29T01:00:00.000Z');
    // Sunday 00:30 Rome is still inside Saturday's overnight window.
    const inside = nextWindowStart(w, at('2026-11-28T23:30:00Z'))!;
    assert.equal(inside.openNow, true);
  });

  it('follows daylight saving time: 02:00 New York is 07:00Z in winter, 06:00Z in summer', () => {
    const w = win({ start: '02:00', end: '04:00', timeZone: 'America/New_York' });
    assert.equal(nextWindowStart(w, at('2026-01-10T12:00:00Z'))!.startAt.toISOString(), '2026-01-11T07:00:00.000Z');
    assert.equal(nextWindowStart(w, at('2026-07-10T12:00:00Z'))!.startAt.toISOString(), '2026-07-11T06:00:00.000Z');
  });

  it('returns nothing when the upgrade can never fit, and measures overnight windows', () => {
    assert.equal(nextWindowStart(win({ start: '02:00', end: '02:20', estimatedDuration: '30m' }), at('2026-11-22T00:00:00Z')), undefined);
    assert.equal(windowLengthMs({ start: '22:00', end: '02:00' }), 4 * 3_600_000);
    assert.equal(windowLengthMs({ start: '00:00', end: '00:00' }), 24 * 3_600_000);
  });

  it('refuses unknown time zones and malformed times, naming the field', () => {
    const bad = MaintenanceWindowSchema.safeParse({ start: '25:00', end: '01:00', timeZone: 'Mars/Olympus' });
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['start', 'timeZone']);
  });
});
