/**
 * `runbook fleet <id> [--watch]`: a fleet run tenant by tenant, from its `fleetProgress`
 * query: the waves, each tenant's state, duration, revision and message. With --watch it
 * refreshes in place on a terminal, and prints one line per change otherwise (logs, CI).
 */
import type { Client } from '@temporalio/client';
import { type FleetProgress, type FleetProgressFilter, fleetProgressQuery, type TenantProgress, type TenantState } from '../../workflows/soctalk/fleet/progress.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { shortTime, table } from '../format-status.js';
import { type OutputFormat, renderData } from '../output.js';
import { readRun } from '../read-run.js';
import { exitCodeFor, isSettled } from '../run-state.js';
import { callRun } from '../temporal-errors.js';

export interface FleetOptions {
  watch?: boolean;
  interval: number;
  state?: string;
  format: OutputFormat;
}

const TENANT_STATES: readonly TenantState[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'conflict', 'aborted'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** "revision 3 -> 4" in a tenant's message (what the tenant upgrade reported), else a `revision` field. */
export function revisionOf(t: TenantProgress): string {
  const explicit = (t as TenantProgress & { revision?: number | string }).revision;
  if (explicit !== undefined) return String(explicit);
  const m = /revision (\d+) -> (\d+)/.exec(t.message ?? '');
  return m ? `${m[1]} -> ${m[2]}` : '-';
}

export function formatFleet(runId: string, p: FleetProgress, now = Date.now()): string[] {
  const t = p.totals;
  const out = [
    `Fleet:     ${p.name} (${runId}) -> ${p.version}`,
    `State:     ${p.state}${p.paused ? ' (paused)' : ''}${p.wave ? `, ${p.wave.name}: ${p.wave.stage}` : ''}`,
    `Tenants:   ${t.tenants} total, ${t.done} upgraded, ${t.failed} failed, ${t.running} running, ${t.pending} pending, ${t.skipped} skipped/conflict/aborted`,
  ];
  if (p.halted) out.push(`Halted:    ${p.halted}`);
  out.push('');
  out.push(
    ...table(
      ['WAVE', 'CANARY', 'TENANTS', 'STARTED', 'ENDED', 'BAKED UNTIL'],
      p.waves.map((w) => [w.name, w.canary ? 'yes' : 'no', String(w.size), shortTime(w.startedAt), shortTime(w.endedAt), shortTime(w.bakedUntil)]),
    ),
  );
  out.push('');
  const waveName = (i: number) => p.waves[i]?.name ?? String(i);
  out.push(
    ...table(
      ['TENANT', 'WAVE', 'STATE', 'DURATION', 'ATTEMPTS', 'REVISION', 'MESSAGE'],
      p.tenants.map((x) => [
        x.tenant,
        waveName(x.wave),
        x.state,
        duration(x.durationMs ?? (x.state === 'running' && x.startedAt ? now - Date.parse(x.startedAt) : undefined)),
        String(x.attempts),
        revisionOf(x),
        (x.message ?? '').replace(/\s*\n\s*/g, ' '),
      ]),
    ),
  );
  if (p.tenants.length < t.tenants) out.push(`(${t.tenants - p.tenants.length} more tenants not shown: narrow with --state)`);
  return out;
}

/** One line per tenant whose state changed since the last reading (non-terminal output). */
export function fleetChanges(before: FleetProgress | undefined, after: FleetProgress): string[] {
  const old = new Map((before?.tenants ?? []).map((x) => [x.tenant, x.state]));
  const lines: string[] = [];
  if (!before || before.state !== after.state || before.wave?.name !== after.wave?.name || before.wave?.stage !== after.wave?.stage) {
    lines.push(`fleet ${after.name}: ${after.state}${after.wave ? ` (${after.wave.name}: ${after.wave.stage})` : ''}`);
  }
  for (const x of after.tenants) {
    if (old.get(x.tenant) === x.state) continue;
    const rev = revisionOf(x);
    lines.push(`  ${x.tenant}: ${x.state}${x.durationMs !== undefined ? ` in ${duration(x.durationMs)}` : ''}${rev !== '-' ? `, revision ${rev}` : ''}${x.message ? ` (${x.message})` : ''}`);
  }
  return lines;
}

async function readFleet(ctx: CliContext, client: Client, runId: string, filter: FleetProgressFilter): Promise<FleetProgress> {
  return callRun(client, runId, ctx.timeoutMs, () => client.workflow.getHandle(runId).query(fleetProgressQuery, filter));
}

export async function fleetCommand(ctx: CliContext, runId: string, opts: FleetOptions): Promise<ExitCodeValue> {
  if (opts.state !== undefined && !TENANT_STATES.includes(opts.state as TenantState)) {
    throw new CliError(ExitCode.InvalidInput, `--state ${opts.state}: expected one of ${TENANT_STATES.join(', ')}`);
  }
  const filter: FleetProgressFilter = { ...(opts.state ? { state: opts.state as TenantState } : {}), limit: 5000 };
  const { client } = await ctx.temporal();
  let previous: FleetProgress | undefined;
  for (;;) {
    const report = await readRun(client, runId, ctx.timeoutMs);
    const progress = await readFleet(ctx, client, runId, filter);
    const code = exitCodeFor(report.state);
    const settled = isSettled(report.state);
    if (opts.format !== 'text') {
      if (!opts.watch || settled) {
        ctx.stdout(renderData(opts.format, { workflowId: runId, state: report.state, exitCode: code, fleet: progress }));
        return code;
      }
    } else if (!opts.watch) {
      for (const line of formatFleet(runId, progress)) ctx.stdout(line);
      return code;
    } else if (ctx.isTTY) {
      // Redraw in place: home, clear the screen, print the view.
      ctx.stdout(`\x1b[H\x1b[2J${formatFleet(runId, progress).join('\n')}\n\n(refreshing every ${Math.round(opts.interval / 1000)}s; Ctrl-C stops watching, not the fleet)`);
    } else {
      for (const line of fleetChanges(previous, progress)) ctx.stdout(`${shortTime(new Date().toISOString())}  ${line}`);
    }
    previous = progress;
    if (settled) {
      if (!ctx.isTTY) ctx.stdout(`fleet ${progress.name}: ${report.state.replace(/-/g, ' ')}`);
      return code;
    }
    await sleep(opts.interval);
  }
}
