import { z } from 'zod';
import { schemasOf } from './shared-schemas.js';

const schema = schemasOf('domain/duration');

/**
 * Durations in input are strings such as "90s", "10m", "24h", "1h30m" (what operators
 * type and what the runbooks say), or a number of milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)(ms|s|m|h|d)/g;
const WHOLE = /^(\d+(ms|s|m|h|d))+$/;

export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) {
    throw new Error(`"${text}" is not a duration: use a number with a unit, such as 90s, 10m, 24h or 1h30m`);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/**
 * Upper bounds (the grammar of every duration in input): a command's timeout, a poll or a
 * settle time is at most 24 hours (no helm, kubectl or pg_dump step of the runbooks is
 * meant to run longer, and helm must never receive `--timeout 8.6e+30ms`); a wait for
 * people (approval, statement age, a fleet's bake time) is at most 30 days.
 */
export const MAX_COMMAND_DURATION_MS = 24 * HOUR_MS;
export const MAX_WAIT_DURATION_MS = 30 * DAY_MS;

/**
 * A zod field that accepts "10m"-style strings or milliseconds and yields milliseconds, at
 * most `maxMs`; longer than zero unless `allowZero` (a pause that 0 turns off).
 */
export function durationUpTo(maxMs: number, { allowZero = false } = {}) {
  const limit = maxMs < 2 * DAY_MS && maxMs % HOUR_MS === 0 ? `${maxMs / HOUR_MS}h` : humanDuration(maxMs);
  const whole = z.number().int('a duration in milliseconds is a whole number');
  return z.union([allowZero ? whole.nonnegative('a duration cannot be negative') : whole.positive('a duration must be longer than zero'), z.string()]).transform((value, ctx) => {
    let ms: number;
    if (typeof value === 'number') ms = value;
    else {
      try {
        ms = value.trim() === '0' && allowZero ? 0 : parseDurationMs(value);
        if (ms <= 0 && !allowZero) throw new Error(`"${value}" must be longer than zero`);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }
    if (!(ms <= maxMs)) {
      ctx.addIssue({ code: 'custom', message: `${typeof value === 'string' ? `"${value}"` : `${value}ms`} is longer than the limit of ${limit}: use at most ${limit}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A command timeout, a poll interval, a settle time: at most 24h. */
export const DurationSchema = schema('DurationSchema', () => durationUpTo(MAX_COMMAND_DURATION_MS));

/** A wait for people (approval timeout, bake time): at most 30 days. */
export const WaitDurationSchema = schema('WaitDurationSchema', () => durationUpTo(MAX_WAIT_DURATION_MS));

/**
 * A pause the runbook takes for its own sake (heartbeats settle, a wave bakes): 0 turns it
 * off and the step is skipped. A pause is a durable timer, and the server fires a timer up
 * to about a second late, so even a 1 ms pause costs a second per tenant.
 */
export const PauseDurationSchema = schema('PauseDurationSchema', () => durationUpTo(MAX_COMMAND_DURATION_MS, { allowZero: true }));
export const BakeDurationSchema = schema('BakeDurationSchema', () => durationUpTo(MAX_WAIT_DURATION_MS, { allowZero: true }));

/** Go's duration syntax for helm and kubectl flags: 600000 -> "600s". */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function humanDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
