/**
 * The figures both fleet benchmarks print, each beside the issue's target, and the machine's
 * load while they ran (a 2-core machine shared with other work: the load says how much of it
 * the benchmark had).
 */
import { cpus, loadavg } from 'node:os';
import type { FleetRunFigures } from './fleet-run.js';
import type { HistoryTiming } from './history-timing.js';

export const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
export const kb = (b: number) => `${(b / 1000).toFixed(1)} KB`;

/** Temporal's payload warning (limit.blobSize.warn) and the history the issue allows. */
export const PAYLOAD_WARN_BYTES = 512 * 1024;
export const HISTORY_TARGET_EVENTS = 10_000;
export const WORKER_RSS_TARGET_BYTES = 400 * 1024 * 1024;

const mark = (ok: boolean) => (ok ? 'meets' : 'MISSES');

export function machineLine(): string {
  const [one, five] = loadavg();
  return `machine:                 ${cpus().length} cores, load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) at the end`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** One line of where a workflow's time went (bench/history-timing.ts). */
export function timingLine(t: HistoryTiming): string {
  return (
    `${seconds(t.wallMs)} wall: activities ran ${seconds(t.activityRunMs)}, waited for a poller ${seconds(t.activityQueueMs)}; ` +
    `${t.workflowTasks.toFixed(1)} workflow tasks waited ${seconds(t.workflowTaskQueueMs)}, ran ${seconds(t.workflowTaskRunMs)}; ` +
    `timers ${seconds(t.timerMs)}${t.childStartMs ? `; children took ${seconds(t.childStartMs)} to start` : ''}`
  );
}

export function printFigures(f: FleetRunFigures, tenants: number): void {
  const largestHistory = Math.max(f.largestParentHistory, f.largestTenantHistory);
  console.log(`upgraded / failed:       ${f.done} / ${f.failed}`);
  console.log(`waves:                   ${f.plan.map((w) => `${w.name}=${w.size}`).join(', ')}`);
  console.log(`wall time:               ${(f.wallMs / 1000).toFixed(1)} s (${(f.wallMs / tenants).toFixed(1)} ms per tenant)`);
  console.log(
    `worker process alone:    peak RSS ${mib(f.workerPeakRssBytes)} (VmHWM; target <= ${mib(WORKER_RSS_TARGET_BYTES)}: ${mark(f.workerPeakRssBytes <= WORKER_RSS_TARGET_BYTES)}), CPU ${f.workerCpuSeconds.toFixed(0)} s (${((f.workerCpuSeconds * 1000) / tenants).toFixed(1)} ms per tenant)`,
  );
  if (f.serverCpuSeconds !== undefined) {
    console.log(`dev server:              CPU ${f.serverCpuSeconds.toFixed(0)} s during the run (${((f.serverCpuSeconds * 1000) / tenants).toFixed(1)} ms per tenant), on the same cores`);
  }
  console.log(`activities:              ${f.fleetActivities} in the fleet parent, ${f.tenantActivities} per tenant (local ones included)`);
  console.log(`a tenant's time:         ${timingLine(f.tenantTiming)} (mean of 20 spread over the fleet)`);
  console.log(`the fleet parent's time: ${timingLine(f.parentTiming)}`);
  console.log(`a tenant's history:      ${f.tenantEventTypes.map(([type, n]) => `${n} ${type}`).join(', ')}`);
  console.log(`server events:           ${f.eventsPerTenant.toFixed(1)} per tenant (all workflows)`);
  console.log(
    `largest history:         ${largestHistory} events (target <= ${HISTORY_TARGET_EVENTS}: ${mark(largestHistory <= HISTORY_TARGET_EVENTS)}): parent ${f.largestParentHistory} (${f.generations} generation(s)), tenant ${f.largestTenantHistory}`,
  );
  console.log(
    `largest payload:         ${kb(f.largestEventBytes)} history event (target <= ${kb(PAYLOAD_WARN_BYTES)}: ${mark(f.largestEventBytes <= PAYLOAD_WARN_BYTES)}; ${f.largestEventWhere}), continue-as-new carry ${f.largestCarryBytes ? kb(f.largestCarryBytes) : 'none'}`,
  );
  console.log(
    `payload store:           ${f.offloaded ? `${f.offloaded.objects} payload(s) offloaded (largest ${kb(f.offloaded.largestBytes)}, ${kb(f.offloaded.totalBytes)} in all); history holds their claims` : 'off (BENCH_PAYLOAD_STORE=off)'}`,
  );
  console.log(`server/worker errors:    ${f.workerErrors.length} warnings or errors in the worker's log (target 0)${f.workerErrors.length ? `, first: ${f.workerErrors[0]}` : ''}`);
  console.log(machineLine());
}
