/**
 * The fleet's compact per-tenant state. It crosses continue-as-new, so it is kept small
 * (about 60 bytes a tenant: 5,000 tenants stay well under the payload limits) and expanded
 * only when the progress query asks.
 */
import { defineQuery } from '@temporalio/workflow';

export type TenantState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'conflict' | 'aborted';

/** One tenant: w wave, s state, a/b start/end (epoch ms), n attempts, m message. */
export interface TenantRecord {
  w: number;
  s: TenantState;
  a?: number;
  b?: number;
  n?: number;
  m?: string;
}

export interface WaveSummary {
  index: number;
  name: string;
  canary: boolean;
  size: number;
  startedAt?: string;
  endedAt?: string;
  bakedUntil?: string;
}

export interface FleetTotals {
  tenants: number;
  done: number;
  failed: number;
  running: number;
  pending: number;
  /** Skipped by an operator, refused because another run upgrades the tenant (conflict), or aborted. */
  skipped: number;
}

export interface TenantProgress {
  tenant: string;
  wave: number;
  state: TenantState;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  attempts: number;
  message?: string;
}

export interface FleetProgress {
  name: string;
  version: string;
  state: string;
  wave?: { index: number; name: string; stage: string };
  paused: boolean;
  halted?: string;
  waves: WaveSummary[];
  totals: FleetTotals;
  /** Continue-as-new generations so far (history stays bounded). */
  generation: number;
  tenants: TenantProgress[];
}

export interface FleetProgressFilter {
  state?: TenantState;
  tenant?: string;
  limit?: number;
}

export const fleetProgressQuery = defineQuery<FleetProgress, [FleetProgressFilter?]>('fleetProgress');

export function totalsOf(records: Record<string, TenantRecord>): FleetTotals {
  const t: FleetTotals = { tenants: 0, done: 0, failed: 0, running: 0, pending: 0, skipped: 0 };
  for (const r of Object.values(records)) {
    t.tenants += 1;
    if (r.s === 'succeeded') t.done += 1;
    else if (r.s === 'failed') t.failed += 1;
    else if (r.s === 'running') t.running += 1;
    else if (r.s === 'pending') t.pending += 1;
    else t.skipped += 1;
  }
  return t;
}

export function expandRecord(tenant: string, r: TenantRecord): TenantProgress {
  return {
    tenant,
    wave: r.w,
    state: r.s,
    ...(r.a !== undefined ? { startedAt: new Date(r.a).toISOString() } : {}),
    ...(r.b !== undefined ? { endedAt: new Date(r.b).toISOString() } : {}),
    ...(r.a !== undefined && r.b !== undefined ? { durationMs: r.b - r.a } : {}),
    attempts: r.n ?? 0,
    ...(r.m ? { message: r.m } : {}),
  };
}
