/**
 * What a run waits for and the commands that decide it, as the workflow states them.
 *
 * Contract with the workflows (RunStatus.gate): `commands` are full CLI commands that the
 * workflow accepts in its current state, already shell-safe. The CLI prints those. A run
 * from before that contract has no `gate`: then the commands are derived from the phase
 * the workflow reports (waiting-approval, waiting-promotion, paused), each of which names
 * exactly one decision its runbook accepts there (and a fleet's published `paused` fact),
 * never from the kind of runbook.
 */
import type { GateView, RunStatus } from '../workflows/lib/status.js';
import { GATE_ACCEPTS, gateCommand, type GateMessage } from '../workflows/lib/gate-commands.js';
import { shellCommand, singleQuoted } from './shell-quote.js';

/** A run's status crosses the wire as JSON: the gate it reports is checked, not trusted. */
function isGateView(value: unknown): value is GateView {
  if (typeof value !== 'object' || value === null) return false;
  const g = value as Partial<GateView>;
  return typeof g.kind === 'string' && typeof g.name === 'string' && Array.isArray(g.accepts) && Array.isArray(g.commands);
}

/** Decision -> the CLI's command name (Update names are camelCase, commands kebab-case). */
const COMMAND_OF: Record<string, string> = { skipTenant: 'skip-tenant', retryTenant: 'retry-tenant' };

/**
 * `runbook <decision> '<id>'` plus the flags a decision needs to be valid when pasted: for
 * the gate messages and abort, the gate primitive's own command (what the workflow prints).
 */
export function commandFor(decision: string, runId: string, options: { ackSchemaChanges?: boolean } = {}): string {
  const name = COMMAND_OF[decision] ?? decision;
  if (isGateCommand(name)) return gateCommand(name, runId, { requiresSchemaAck: options.ackSchemaChanges ?? false });
  // skip-tenant, retry-tenant need a tenant: not something to paste without choosing one.
  if (name === 'skip-tenant' || name === 'retry-tenant') return `runbook ${name} ${singleQuoted(runId)} TENANT`;
  return `runbook ${shellCommand([name])} ${singleQuoted(runId)}`;
}

const isGateCommand = (name: string): name is GateMessage | 'abort' => name === 'abort' || Object.values(GATE_ACCEPTS).some((m) => m.includes(name as GateMessage));

/** The run's gate: the workflow's own view, or one derived from its phase for older runs. */
export function gateOf(runId: string, status: RunStatus): GateView | null {
  const declared = (status as RunStatus & { gate?: unknown }).gate;
  if (declared !== undefined) return isGateView(declared) ? declared : null;
  const pending = status.pendingApproval;
  if (status.phase === 'waiting-promotion' && pending) {
    return derived(runId, { kind: 'promotion', name: pending.gate, summary: pending.summary, since: pending.since, timeoutAt: pending.timeoutAt, accepts: [...GATE_ACCEPTS.promotion, 'abort'] });
  }
  if (pending) {
    return derived(
      runId,
      { kind: 'approval', name: pending.gate, summary: pending.summary, since: pending.since, timeoutAt: pending.timeoutAt, accepts: [...GATE_ACCEPTS.approval, 'abort'] },
      pending.requiresSchemaAck,
    );
  }
  // A fleet paused while tenants are in flight still reports its upgrade phase; its published facts say paused.
  const fleetPaused = (status.facts?.fleet as { paused?: unknown } | undefined)?.paused === true;
  if (status.phase === 'paused' || fleetPaused) {
    return derived(runId, { kind: 'paused', name: 'paused', summary: 'the run is paused', since: '', accepts: [...GATE_ACCEPTS.paused, 'abort'] });
  }
  return null;
}

function derived(runId: string, gate: Omit<GateView, 'commands'>, ackSchemaChanges = false): GateView {
  return { ...gate, commands: gate.accepts.map((d) => commandFor(d, runId, { ackSchemaChanges })) };
}

/** The lines `status` and `watch` print under "Waiting for ...": the commands, then who may decide. */
export function gateLines(gate: GateView, status: RunStatus): string[] {
  const lines = gate.commands.map((c) => `  ${c}`);
  const pending = status.pendingApproval;
  const who: string[] = [];
  if (pending?.allowedApprovers?.length) who.push(`approvers: ${pending.allowedApprovers.join(', ')}`);
  if (pending?.fourEyes) who.push(`four-eyes: ${pending.requestedBy ? `anyone but ${pending.requestedBy}` : 'not the requester'}`);
  if (pending?.requiresSchemaAck) who.push('schema changes: approval needs --ack-schema-changes');
  if (who.length) lines.push(`  (${who.join('; ')})`);
  if (gate.commands.some((c) => /^runbook (approve|reject|promote) /.test(c))) lines.push('  (add --comment TEXT to record why)');
  return lines;
}

export function gateTitle(gate: GateView): string {
  const times = [gate.since ? `since ${shortTime(gate.since)}` : '', gate.timeoutAt ? `times out ${shortTime(gate.timeoutAt)}` : ''].filter(Boolean).join(', ');
  const suffix = times ? ` (${times})` : '';
  switch (gate.kind) {
    case 'approval':
      return `Waiting for approval: ${gate.name}${suffix}`;
    case 'promotion':
      return `Waiting for promotion: ${gate.name}${suffix}`;
    case 'paused':
      return `Paused${gate.name && gate.name !== 'paused' ? `: ${gate.name}` : ''}${suffix}`;
  }
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
