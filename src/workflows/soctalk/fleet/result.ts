/** What a fleet run returns: the plan, every tenant's outcome and how many generations it took. */
import type { PlannedWave } from '../../../domain/soctalk/wave-plan.js';
import { totalsOf, type TenantState } from './progress.js';
import type { FleetState } from './state.js';

export interface FleetResult {
  name: string;
  version: string;
  dryRun: boolean;
  systemVersion: string;
  /** Plan mode only: why the system-first gate would refuse. */
  systemGateProblem?: string;
  tenants: string[];
  plan: { name: string; canary: boolean; tenants: string[] }[];
  totals: ReturnType<typeof totalsOf>;
  failed: { tenant: string; message?: string }[];
  skipped: { tenant: string; state: TenantState; message?: string }[];
  generations: number;
  historyEvents: number[];
}

export function fleetResult(
  state: FleetState,
  r: { name: string; version: string; dryRun: boolean; generation: number; historyEvents: number[]; plan?: PlannedWave[]; problem?: string },
): FleetResult {
  const entries = Object.entries(state.records);
  return {
    name: r.name,
    version: r.version,
    dryRun: r.dryRun,
    systemVersion: state.systemVersion,
    ...(r.problem ? { systemGateProblem: r.problem } : {}),
    tenants: state.order.length ? state.order : entries.map(([t]) => t),
    plan: r.plan
      ? r.plan.map((w) => ({ name: w.name, canary: w.canary, tenants: w.tenants }))
      : state.waves.map((w) => ({ name: w.name, canary: w.canary, tenants: state.inWave(w.index).map(([t]) => t) })),
    totals: totalsOf(state.records),
    failed: entries.filter(([, t]) => t.s === 'failed').map(([tenant, t]) => ({ tenant, ...(t.m ? { message: t.m } : {}) })),
    skipped: entries
      .filter(([, t]) => t.s === 'skipped' || t.s === 'conflict' || t.s === 'aborted')
      .map(([tenant, t]) => ({ tenant, state: t.s, ...(t.m ? { message: t.m } : {}) })),
    generations: r.generation + 1,
    historyEvents: r.historyEvents,
  };
}
