/**
 * The tenant records as they cross continue-as-new: columns instead of one JSON object a
 * tenant. A record as an object costs about 110 bytes (its keys, an ISO-free but 13-digit
 * start and end, a message that is the same words for most tenants); as columns a tenant
 * costs its name plus about 17 bytes: a state letter, its wave, start and end as base-36
 * offsets from the fleet's first timestamp, and an index into the distinct messages.
 * Unpacking gives back exactly the records that were packed.
 */
import type { TenantRecord, TenantState } from './progress.js';

export interface PackedRecords {
  /** Tenant names joined by commas (a tenant slug is a DNS label: never a comma). */
  names: string;
  /** One letter a tenant (STATE_LETTERS). */
  states: string;
  waves: number[];
  /** Epoch ms the offsets in `times` count from. */
  epoch: number;
  /** Per tenant `<start>.<end>` in base 36 from `epoch`, either part empty when unset; joined by commas. */
  times: string;
  /** Attempts where they differ from the default (1 once started, none before), by tenant index. */
  attempts: Record<number, number>;
  /** The distinct messages, and per tenant an index into them (-1: none). */
  messages: string[];
  message: number[];
}

const STATE_LETTERS: Record<TenantState, string> = { pending: 'p', running: 'r', succeeded: 's', failed: 'f', skipped: 'k', conflict: 'c', aborted: 'a' };
const LETTER_STATES = Object.fromEntries(Object.entries(STATE_LETTERS).map(([s, l]) => [l, s as TenantState]));

const defaultAttempts = (r: TenantRecord) => (r.a !== undefined ? 1 : undefined);

export function packRecords(records: Record<string, TenantRecord>): PackedRecords {
  const entries = Object.entries(records);
  let epoch = Infinity;
  for (const [, r] of entries) epoch = Math.min(epoch, r.a ?? Infinity, r.b ?? Infinity);
  if (epoch === Infinity) epoch = 0;
  const offset = (t: number | undefined) => (t === undefined ? '' : (t - epoch).toString(36));
  const dictionary = new Map<string, number>();
  const packed: PackedRecords = { names: '', states: '', waves: [], epoch, times: '', attempts: {}, messages: [], message: [] };
  const times: string[] = [];
  entries.forEach(([, r], i) => {
    packed.states += STATE_LETTERS[r.s];
    packed.waves.push(r.w);
    times.push(r.a === undefined && r.b === undefined ? '' : `${offset(r.a)}.${offset(r.b)}`);
    if (r.n !== defaultAttempts(r)) packed.attempts[i] = r.n ?? 0;
    if (r.m === undefined) packed.message.push(-1);
    else {
      let index = dictionary.get(r.m);
      if (index === undefined) {
        index = packed.messages.push(r.m) - 1;
        dictionary.set(r.m, index);
      }
      packed.message.push(index);
    }
  });
  packed.names = entries.map(([tenant]) => tenant).join(',');
  packed.times = times.join(',');
  return packed;
}

export function unpackRecords(p: PackedRecords): Record<string, TenantRecord> {
  const records: Record<string, TenantRecord> = {};
  if (p.names === '') return records;
  const times = p.times.split(',');
  p.names.split(',').forEach((tenant, i) => {
    const r: TenantRecord = { w: p.waves[i]!, s: LETTER_STATES[p.states[i]!]! };
    const [a, b] = times[i] ? times[i].split('.') : [];
    if (a) r.a = p.epoch + parseInt(a, 36);
    if (b) r.b = p.epoch + parseInt(b, 36);
    const n = i in p.attempts ? p.attempts[i] : defaultAttempts(r);
    if (n !== undefined) r.n = n;
    const m = p.message[i]!;
    if (m >= 0) r.m = p.messages[m]!;
    records[tenant] = r;
  });
  return records;
}
