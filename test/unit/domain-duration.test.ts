import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BakeDurationSchema, DurationSchema, goDuration, humanDuration, parseDurationMs, PauseDurationSchema } from '../../src/domain/duration.js';

describe('parseDurationMs', () => {
  it('the units operators type', () => {
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('90s'), 90_000);
    assert.equal(parseDurationMs('10m'), 600_000);
    assert.equal(parseDurationMs('24h'), 86_400_000);
    assert.equal(parseDurationMs('2d'), 172_800_000);
  });

  it('compound durations add up; surrounding spaces are ignored', () => {
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('1m30s500ms'), 90_500);
    assert.equal(parseDurationMs('  10m\n'), 600_000);
    assert.equal(parseDurationMs('0s'), 0);
  });

  it('refuses what is not a duration, quoting it and showing examples', () => {
    for (const bad of ['', '10', 'ten minutes', '10 m', '1.5h', '-5m', '10M', '5y', 'm10', '10m ago']) {
      assert.throws(() => parseDurationMs(bad), (err: Error) => {
        assert.equal(err.message, `"${bad}" is not a duration: use a number with a unit, such as 90s, 10m, 24h or 1h30m`);
        return true;
      });
    }
  });
});

describe('DurationSchema', () => {
  const Schema = z.object({ timeout: DurationSchema });

  it('accepts "10m" strings and positive integer milliseconds, yielding milliseconds', () => {
    assert.deepEqual(Schema.parse({ timeout: '10m' }), { timeout: 600_000 });
    assert.deepEqual(Schema.parse({ timeout: 1500 }), { timeout: 1500 });
  });

  it('refuses zero, negative and fractional numbers, zero-length strings and garbage, at the field', () => {
    for (const bad of [0, -1, 1.5, '0s', '0m0s', 'soon', '']) {
      const r = Schema.safeParse({ timeout: bad });
      assert.equal(r.success, false, String(bad));
      assert.deepEqual(r.error.issues[0]?.path, ['timeout'], String(bad));
    }
    assert.match(Schema.safeParse({ timeout: '0s' }).error?.issues[0]?.message ?? '', /"0s" must be longer than zero/);
    assert.match(Schema.safeParse({ timeout: 'soon' }).error?.issues[0]?.message ?? '', /"soon" is not a duration/);
  });

  it('works with .default()', () => {
    assert.deepEqual(z.object({ t: DurationSchema.default(600_000) }).parse({}), { t: 600_000 });
  });
});

describe('PauseDurationSchema and BakeDurationSchema (a pause that 0 turns off)', () => {
  it('accept zero as a number, "0" and "0s", and what DurationSchema accepts', () => {
    for (const Pause of [PauseDurationSchema, BakeDurationSchema]) {
      const Schema = z.object({ settle: Pause });
      for (const zero of [0, '0', '0s', '0m0s']) assert.deepEqual(Schema.parse({ settle: zero }), { settle: 0 }, String(zero));
      assert.deepEqual(Schema.parse({ settle: '60s' }), { settle: 60_000 });
    }
  });

  it('still refuse negative and fractional numbers and garbage, at the field', () => {
    const Schema = z.object({ settle: PauseDurationSchema });
    for (const bad of [-1, 1.5, 'soon', '', '-0s']) {
      const r = Schema.safeParse({ settle: bad });
      assert.equal(r.success, false, String(bad));
      assert.deepEqual(r.error.issues[0]?.path, ['settle'], String(bad));
    }
    assert.match(Schema.safeParse({ settle: -1 }).error?.issues[0]?.message ?? '', /a duration cannot be negative/);
  });

  it('keep their limits: 24h for a pause, 30 days for a bake', () => {
    assert.match(z.object({ s: PauseDurationSchema }).safeParse({ s: '25h' }).error?.issues[0]?.message ?? '', /longer than the limit of 24h/);
    assert.deepEqual(z.object({ s: BakeDurationSchema }).parse({ s: '25h' }), { s: 90_000_000 });
    assert.match(z.object({ s: BakeDurationSchema }).safeParse({ s: '31d' }).error?.issues[0]?.message ?? '', /longer than the limit of 30d/);
  });
});

describe('goDuration (helm/kubectl --timeout)', () => {
  it('whole seconds as "Ns", anything else in milliseconds', () => {
    assert.equal(goDuration(600_000), '600s');
    assert.equal(goDuration(1000), '1s');
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(1500), '1500ms');
    assert.equal(goDuration(1), '1ms');
  });

  it('always something Go parses: digits and a unit, no fractions', () => {
    for (const ms of [1, 999, 1000, 1001, 59_999, 86_400_000, 123_456_789]) assert.match(goDuration(ms), /^\d+(ms|s)$/);
  });
});

describe('humanDuration', () => {
  it('the largest whole unit', () => {
    assert.equal(humanDuration(172_800_000), '2d');
    assert.equal(humanDuration(86_400_000), '1d');
    assert.equal(humanDuration(7_200_000), '2h');
    assert.equal(humanDuration(5_400_000), '90m');
    assert.equal(humanDuration(600_000), '10m');
    assert.equal(humanDuration(90_000), '90s');
    assert.equal(humanDuration(1500), '1500ms');
  });

  it('round-trips through parseDurationMs', () => {
    for (const ms of [250, 1000, 90_000, 600_000, 5_400_000, 86_400_000, 90_061_001]) assert.equal(parseDurationMs(humanDuration(ms)), ms);
  });
});
