/**
 * What a fleet run returns: the plan, every tenant's outcome and how many generations it
 * took. It is one payload whatever the fleet's size, so each list of tenants names at most
 * RESULT_TENANTS_MAX of them and says how many it left out; the totals count all, and
 * `runbook fleet <id> [--state ...]` (the fleetProgress query) lists every tenant.
 */
import type { PlannedWave } from '../../../domain/soctalk/wave-plan.js';
import type { FleetTotals, TenantState } from './progress.js';
import type { FleetState } from './state.js';

/** 1,000 tenant names are about 15 KB; five such lists stay far below the 512 KB payload warning. */
export const RESULT_TENANTS_MAX = 1000;

export interface FleetResult {
  name: string;
  version: string;
  dryRun: boolean;
  systemVersion: string;
  /** Plan mode only: why the system-first gate would refuse. */
  systemGateProblem?: string;
  tenants: string[];
  plan: { name: string; canary: boolean; size: number; tenants: string[] }[];
  totals: FleetTotals;
  failed: { tenant: string; message?: string }[];
  skipped: { tenant: string; state: TenantState; message?: string }[];
  /** Set when a list above names only its first RESULT_TENANTS_MAX tenants: how many each left out. */
  notListed?: { tenants?: number; plan?: number[]; failed?: number; skipped?: number };
  generations: number;
  historyEvents: number[];
}

const first = <T>(all: T[]): T[] => all.slice(0, RESULT_TENANTS_MAX);
const leftOut = (all: unknown[]) => Math.max(0, all.length - RESULT_TENANTS_MAX);

export function fleetResult(
  state: FleetState,
  r: { name: string; version: string; dryRun: boolean; generation: number; historyEvents: number[]; plan?: PlannedWave[]; problem?: string },
): FleetResult {
  const entries = Object.entries(state.records);
  const tenants = state.order.length ? state.order : entries.map(([t]) => t);
  const plan = r.plan
    ? r.plan.map((w) => ({ name: w.name, canary: w.canary, tenants: w.tenants }))
    : state.waves.map((w) => ({ name: w.name, canary: w.canary, tenants: state.inWave(w.index).map(([t]) => t) }));
  const failed = entries.filter(([, t]) => t.s === 'failed').map(([tenant, t]) => ({ tenant, ...(t.m ? { message: t.m } : {}) }));
  const skipped = entries
    .filter(([, t]) => t.s === 'skipped' || t.s === 'conflict' || t.s === 'aborted')
    .map(([tenant, t]) => ({ tenant, state: t.s, ...(t.m ? { message: t.m } : {}) }));
  const notListed = {
    ...(leftOut(tenants) ? { tenants: leftOut(tenants) } : {}),
    ...(plan.some((w) => leftOut(w.tenants)) ? { plan: plan.map((w) => leftOut(w.tenants)) } : {}),
    ...(leftOut(failed) ? { failed: leftOut(failed) } : {}),
    ...(leftOut(skipped) ? { skipped: leftOut(skipped) } : {}),
  };
  return {
    name: r.name,
    version: r.version,
    dryRun: r.dryRun,
    systemVersion: state.systemVersion,
    ...(r.problem ? { systemGateProblem: r.problem } : {}),
    tenants: first(tenants),
    plan: plan.map((w) => ({ ...w, size: w.tenants.length, tenants: first(w.tenants) })),
    totals: state.totals(),
    failed: first(failed),
    skipped: first(skipped),
    ...(Object.keys(notListed).length ? { notListed } : {}),
    generations: r.generation + 1,
    historyEvents: r.historyEvents,
  };
}
