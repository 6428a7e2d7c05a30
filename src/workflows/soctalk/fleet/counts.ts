/**
 * How many tenants of each wave are in each state, kept up to date as tenants move, so
 * what the fleet publishes on every change (totals, the Web UI's wave table, the failure
 * budget) costs the same for 20 tenants as for 20,000. Counting the records instead made
 * every tenant start and end walk the whole fleet: quadratic in its size.
 */
import type { FleetTotals, TenantRecord, TenantState } from './progress.js';

export interface WaveCounts {
  upgraded: number;
  failed: number;
  running: number;
  pending: number;
  /** Skipped by an operator, a conflict, or aborted in flight. */
  skipped: number;
}

const column = (s: TenantState): keyof WaveCounts =>
  s === 'succeeded' ? 'upgraded' : s === 'failed' ? 'failed' : s === 'running' ? 'running' : s === 'pending' ? 'pending' : 'skipped';

const empty = (): WaveCounts => ({ upgraded: 0, failed: 0, running: 0, pending: 0, skipped: 0 });

export class FleetCounts {
  private readonly waves: WaveCounts[] = [];
  /** Failed tenants in the order they failed (insertion-ordered), for the details' short list. */
  readonly failed = new Set<string>();

  /** Counts records that exist already (a carried generation). */
  static of(records: Record<string, TenantRecord>): FleetCounts {
    const counts = new FleetCounts();
    for (const [tenant, r] of Object.entries(records)) counts.add(tenant, r);
    return counts;
  }

  wave(index: number): WaveCounts {
    while (this.waves.length <= index) this.waves.push(empty());
    return this.waves[index]!;
  }

  add(tenant: string, r: TenantRecord): void {
    this.wave(r.w)[column(r.s)] += 1;
    if (r.s === 'failed') this.failed.add(tenant);
  }

  remove(tenant: string, r: TenantRecord): void {
    this.wave(r.w)[column(r.s)] -= 1;
    if (r.s === 'failed') this.failed.delete(tenant);
  }

  totals(): FleetTotals {
    const t: FleetTotals = { tenants: 0, done: 0, failed: 0, running: 0, pending: 0, skipped: 0 };
    for (const c of this.waves) {
      t.done += c.upgraded;
      t.failed += c.failed;
      t.running += c.running;
      t.pending += c.pending;
      t.skipped += c.skipped;
    }
    t.tenants = t.done + t.failed + t.running + t.pending + t.skipped;
    return t;
  }
}
