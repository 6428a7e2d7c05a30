/**
 * The fleet as an entity: its tenants' records, the waves, where it stands (stage, pause,
 * halt) and the queue of the wave running now. Each operator message is a method that
 * judges (`…Refusal`) and one that applies; `nextStage` says what the fleet does next.
 * Nothing here touches Temporal, so all of it is unit-tested without a server; the
 * workflow wires messages to these methods and runs the chosen action.
 */
import { budgetExceeded, type FailureBudget } from '../../../domain/soctalk/wave-plan.js';
import type { OutcomeFailure } from '../../lib/status.js';
import { FleetCounts } from './counts.js';
import { packRecords, unpackRecords, type PackedRecords } from './packed-records.js';
import type { FleetTotals, TenantRecord, TenantState, WaveSummary } from './progress.js';

/**
 * promote: the previous wave baked, the next one may need a promotion; resume: promoted
 * (or no promotion needed), a pause holds it; upgrade: the wave runs; bake: it ran.
 */
export type Stage = 'promote' | 'resume' | 'upgrade' | 'bake';

/** What the fleet does next, chosen from its state alone. */
export type FleetAction =
  | { kind: 'promote'; wave: number }
  | { kind: 'wait-for-resume'; wave: number }
  | { kind: 'upgrade'; wave: number }
  | { kind: 'bake'; wave: number; last: boolean }
  | { kind: 'done' };

export interface StageInput {
  stage: Stage;
  wave: number;
  waveCount: number;
  paused: boolean;
  manualPromotion: boolean;
}

/** The transition function: one action per state, like a reconciler choosing its next step. */
export function nextStage(s: StageInput): FleetAction {
  if (s.wave >= s.waveCount) return { kind: 'done' };
  switch (s.stage) {
    case 'promote':
      if (s.manualPromotion && s.wave > 0) return { kind: 'promote', wave: s.wave };
      return nextStage({ ...s, stage: 'resume' });
    case 'resume':
      return s.paused ? { kind: 'wait-for-resume', wave: s.wave } : { kind: 'upgrade', wave: s.wave };
    case 'upgrade':
      return { kind: 'upgrade', wave: s.wave };
    case 'bake':
      return { kind: 'bake', wave: s.wave, last: s.wave === s.waveCount - 1 };
  }
}

/** What one generation hands the next through continue-as-new: compact by design. */
export interface FleetSnapshot {
  systemVersion: string;
  waves: WaveSummary[];
  /** The tenant records as columns (packed-records.ts): the part that grows with the fleet. */
  tenants: PackedRecords;
  wave: number;
  stage: Stage;
  paused: boolean;
}

const MESSAGE_MAX = 1500;
/**
 * A tenant's outcome, bounded: the command line of a failed command (long, and the same for
 * every tenant) shrinks to its first two words, and a long message keeps its end, where helm's
 * own error is.
 */
export const clip = (s: string): string => {
  // ASCII dots: the message goes into status, the Web UI and chat, where "…" mixes with ASCII text.
  const short = s.replace(/`([^`]*)`/g, (_all, cmd: string) => `\`${cmd.split(' ').slice(0, 2).join(' ')} ...\``);
  return short.length > MESSAGE_MAX ? `...${short.slice(-(MESSAGE_MAX - 3))}` : short;
};

const reasonSuffix = (reason?: string) => (reason ? `: ${reason}` : '');
/** States a tenant can be retried from. */
const RETRYABLE: TenantState[] = ['failed', 'skipped', 'conflict', 'aborted'];

export class FleetState {
  systemVersion: string;
  waves: WaveSummary[];
  records: Record<string, TenantRecord>;
  wave: number;
  stage: Stage;
  paused: boolean;
  /** Why the fleet stopped starting tenants (canary failed, budget crossed); not carried: a halt ends the run. */
  halted: string | undefined;
  /** Tenants in plan order (the first generation only; later ones use the records' order). */
  order: string[] = [];
  /** Tenants to start in the current wave, in order (retries are appended). */
  queue: string[] = [];
  /** Tenants currently upgrading. */
  readonly running = new Set<string>();
  /** Tenants per wave and state, kept as they move: nothing published walks every record. */
  readonly counts: FleetCounts;
  /** Bumped on every change, so the loop can wait for "something happened". */
  changes = 0;
  /** Told of every change (the workflow publishes progress). */
  onChange: () => void = () => undefined;
  /** The run has ended: messages are refused. */
  isEnded: () => boolean = () => false;

  get ended(): boolean {
    return this.isEnded();
  }

  constructor(carried?: FleetSnapshot) {
    this.systemVersion = carried?.systemVersion ?? '';
    this.waves = carried?.waves ?? [];
    this.records = carried ? unpackRecords(carried.tenants) : {};
    this.counts = FleetCounts.of(this.records);
    this.wave = carried?.wave ?? 0;
    this.stage = carried?.stage ?? 'upgrade';
    this.paused = carried?.paused ?? false;
  }

  snapshot(): FleetSnapshot {
    return { systemVersion: this.systemVersion, waves: this.waves, tenants: packRecords(this.records), wave: this.wave, stage: this.stage, paused: this.paused };
  }

  totals(): FleetTotals {
    return this.counts.totals();
  }

  /** Every change of a tenant's state or wave goes through here, so the counts stay true. */
  private move(tenant: string, record: TenantRecord, s: TenantState, w = record.w): void {
    this.counts.remove(tenant, record);
    record.s = s;
    record.w = w;
    this.counts.add(tenant, record);
  }

  stageInput(manualPromotion: boolean): StageInput {
    return { stage: this.stage, wave: this.wave, waveCount: this.waves.length, paused: this.paused, manualPromotion };
  }

  touch(): void {
    this.changes += 1;
    this.onChange();
  }

  waveName(i = this.wave): string {
    return this.waves[i]?.name ?? `wave ${i}`;
  }

  /** Records the plan: every tenant pending in its wave. */
  plan(waves: { index: number; name: string; canary: boolean; tenants: string[] }[]): void {
    this.order = waves.flatMap((w) => w.tenants);
    this.waves = waves.map((w) => ({ index: w.index, name: w.name, canary: w.canary, size: w.tenants.length }));
    for (const w of waves) {
      for (const t of w.tenants) {
        const record: TenantRecord = { w: w.index, s: 'pending' };
        this.records[t] = record;
        this.counts.add(t, record);
      }
    }
    this.touch();
  }

  inWave(wave = this.wave): [string, TenantRecord][] {
    return Object.entries(this.records).filter(([, r]) => r.w === wave);
  }

  pendingInWave(wave = this.wave): string[] {
    return this.inWave(wave)
      .filter(([, r]) => r.s === 'pending')
      .map(([t]) => t);
  }

  // ---- operator messages: a refusal (undefined when valid), then the change ----

  pauseRefusal(): string | undefined {
    if (this.ended) return 'the fleet has ended';
    return this.paused ? 'the fleet is already paused' : undefined;
  }

  pause(): string {
    this.paused = true;
    this.touch();
    return `paused: no new tenant starts; ${this.running.size} in-flight tenant(s) finish`;
  }

  resumeRefusal(): string | undefined {
    if (this.ended) return 'the fleet has ended';
    return this.paused ? undefined : 'the fleet is not paused';
  }

  resume(): string {
    this.paused = false;
    this.touch();
    return 'resumed';
  }

  skipRefusal(tenant: unknown): string | undefined {
    if (this.ended) return 'the fleet has ended';
    const r = typeof tenant === 'string' ? this.records[tenant] : undefined;
    if (!r) return `${String(tenant)} is not in this fleet`;
    if (r.s !== 'pending') return `tenant ${String(tenant)} is ${r.s}: only pending tenants can be skipped`;
    return undefined;
  }

  skip(tenant: string, by: string, reason?: string): string {
    const r = this.records[tenant]!;
    this.move(tenant, r, 'skipped');
    r.m = clip(`skipped by ${by}${reasonSuffix(reason)}`);
    this.touch();
    return `tenant ${tenant} will not be upgraded by this fleet`;
  }

  retryRefusal(tenant: unknown): string | undefined {
    if (this.ended) return 'the fleet has ended';
    if (this.halted) return 'the fleet has halted';
    const r = typeof tenant === 'string' ? this.records[tenant] : undefined;
    if (!r) return `${String(tenant)} is not in this fleet`;
    if (!RETRYABLE.includes(r.s)) return `tenant ${String(tenant)} is ${r.s}: only failed, skipped, conflicting or aborted tenants can be retried`;
    return undefined;
  }

  retry(tenant: string): string {
    const r = this.records[tenant]!;
    // Into the wave running now (or about to be promoted), or the next one during a bake.
    const target = this.stage === 'bake' ? Math.min(this.wave + 1, this.waves.length - 1) : this.wave;
    this.move(tenant, r, 'pending', target);
    delete r.m;
    if (this.stage === 'upgrade' && target === this.wave) this.queue.push(tenant);
    this.touch();
    return `tenant ${tenant} will be retried in ${this.waveName(target)}`;
  }

  // ---- what the children report ----

  started(tenant: string, now: number): void {
    const record = this.records[tenant]!;
    this.move(tenant, record, 'running');
    record.a = now;
    record.n = (record.n ?? 0) + 1;
    delete record.b;
    delete record.m;
    this.running.add(tenant);
    this.touch();
  }

  finished(tenant: string, state: Exclude<TenantState, 'pending' | 'running'>, message: string, now: number, budget: FailureBudget): void {
    const record = this.records[tenant]!;
    this.move(tenant, record, state);
    record.m = clip(message);
    record.b = now;
    this.running.delete(tenant);
    this.checkBudget(tenant, record, budget);
    this.touch();
  }

  private checkBudget(tenant: string, record: TenantRecord, budget: FailureBudget): void {
    if (this.halted || record.s !== 'failed') return;
    if (this.waves[record.w]?.canary) {
      this.halted = `canary tenant ${tenant} failed: ${record.m ?? 'unknown error'}`;
      return;
    }
    const totals = this.totals();
    const over = budgetExceeded(budget, totals.failed, totals.tenants);
    if (over) this.halted = over;
  }

  /** The next tenant the wave may start, dropping queued ones that were skipped meanwhile. */
  nextQueued(): string | undefined {
    while (this.queue.length && this.records[this.queue[0]!]!.s !== 'pending') this.queue.shift();
    return this.queue[0];
  }

  /** Tenants that did not end upgraded, each with why: what a completed fleet reports. */
  failures(): OutcomeFailure[] {
    return Object.entries(this.records)
      .filter(([, r]) => RETRYABLE.includes(r.s))
      .map(([tenant, r]) => ({ tenant, reason: `${r.s}${r.m ? `: ${r.m}` : ''}` }));
  }

  /** Why a halted fleet failed, naming the failed tenants (the first ten). */
  haltedMessage(): string {
    const failed = [...this.counts.failed];
    const list = failed
      .slice(0, 10)
      .map((t) => `${t}: ${this.records[t]?.m ?? '?'}`)
      .join('; ');
    const more = failed.length > 10 ? `; and ${failed.length - 10} more` : '';
    return `fleet halted in ${this.waveName()}: ${this.halted}. ${this.totals().pending} tenant(s) left untouched. Failed: ${list}${more}`;
  }

  /** One line for a wave's step: what happened to its tenants. */
  waveDetail(wave = this.wave): string {
    const c = this.counts.wave(wave);
    return `${c.upgraded} upgraded, ${c.failed} failed, ${c.skipped} skipped, ${c.pending} pending`;
  }
}
