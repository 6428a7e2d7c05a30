/**
 * Maintenance windows ("Upgrade in a low-traffic window"): days of the week and hours in
 * an IANA time zone. Pure functions over instants, using only Intl, so the workflow can
 * compute when to start and the unit tests can pin every edge (overnight windows, DST).
 */
import { z } from 'zod';
import { DurationSchema } from '../duration.js';
import { schemasOf } from '../shared-schemas.js';

const schema = schemasOf('domain/soctalk/maintenance-window');

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HHMM = schema('HHMM', () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 02:00 or 22:30'));

export const MaintenanceWindowSchema = schema('MaintenanceWindowSchema', () =>
  z
    .object({
      /** Days the window opens on (its start's local day). Empty: every day. */
      days: z.array(z.enum(WEEKDAYS)).default([]),
      /** Local opening time; an end at or before the start means the window runs past midnight. */
      start: HHMM,
      end: HHMM,
      timeZone: z
        .string()
        .default('UTC')
        .refine((tz) => isTimeZone(tz), { message: 'an IANA time zone such as Europe/Rome or UTC' }),
      /** How long the upgrade is expected to take; it is not started unless it fits before the window closes. */
      estimatedDuration: DurationSchema.default(30 * 60_000),
    })
    .strict(),
);

export type MaintenanceWindow = z.output<typeof MaintenanceWindowSchema>;

export interface WindowDecision {
  /** The upgrade may start now. */
  openNow: boolean;
  /** The start of the window the upgrade runs in (now when open). */
  startAt: Date;
  /** When that window closes. */
  closesAt: Date;
  /** 0 when open now. */
  waitMs: number;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(at: Date, timeZone: string): LocalParts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3) as Weekday),
  };
}

/** The time zone's offset from UTC at an instant, in ms (local = utc + offset). */
function offsetAt(at: number, timeZone: string): number {
  const p = localParts(new Date(at), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return asUtc - Math.floor(at / MINUTE) * MINUTE;
}

/** The instant of a local wall-clock time (the later reading when DST makes it ambiguous). */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return guess;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Length of the window in ms (an end at or before the start crosses midnight). */
export function windowLengthMs(w: Pick<MaintenanceWindow, 'start' | 'end'>): number {
  const len = (minutesOf(w.end) - minutesOf(w.start) + 24 * 60) % (24 * 60);
  return (len === 0 ? 24 * 60 : len) * MINUTE;
}

/**
 * When an upgrade of `estimatedDuration` may start: now, when a window is open and the
 * upgrade still fits before it closes; otherwise the next window start. Undefined when no
 * window can ever fit it (the estimate is longer than the window).
 */
export function nextWindowStart(w: MaintenanceWindow, now: Date): WindowDecision | undefined {
  const length = windowLengthMs(w);
  if (w.estimatedDuration > length) return undefined;
  const startMin = minutesOf(w.start);
  const nowMs = now.getTime();
  // Yesterday's window may still be open (overnight windows); look 8 days ahead at most.
  for (let d = -1; d <= 8; d++) {
    const local = localParts(new Date(nowMs + d * DAY), w.timeZone);
    if (w.days.length > 0 && !w.days.includes(WEEKDAYS[local.weekday]!)) continue;
    const start = instantOf(local.year, local.month, local.day, Math.floor(startMin / 60), startMin % 60, w.timeZone);
    const closes = start + length;
    const latestStart = closes - w.estimatedDuration;
    if (nowMs >= start && nowMs <= latestStart) return { openNow: true, startAt: now, closesAt: new Date(closes), waitMs: 0 };
    if (start > nowMs) return { openNow: false, startAt: new Date(start), closesAt: new Date(closes), waitMs: start - nowMs };
  }
  return undefined;
}
