/**
 * What a run waits for, as chat shows it: the same gate view the CLI prints and the Web UI
 * details carry (the workflow's own, or the CLI's derivation for runs from before that
 * contract), so an approval, a fleet's promotion and a paused fleet each name the slash
 * commands the run accepts now, never an approve that the run would refuse.
 */
import { gateOf } from '../cli/gate.js';
import { GATE_HEADLINE } from '../workflows/lib/gate-commands.js';
import type { GateView, RunStatus } from '../workflows/lib/status.js';
import { chatCommandFor } from './commands.js';
import { escapeMrkdwn } from './mrkdwn.js';

export function gateLines(runId: string, status: RunStatus, commandName: string): string[] {
  const gate = gateOf(runId, status);
  if (!gate) return [];
  const times = [gate.since && `since ${gate.since}`, gate.timeoutAt && `times out ${gate.timeoutAt}`].filter(Boolean).join(', ');
  const lines = [`*${GATE_HEADLINE[gate.kind]}*: ${escapeMrkdwn(gate.name)}${times ? ` (${times})` : ''}`];
  const ackSchemaChanges = gate.kind === 'approval' && status.pendingApproval?.requiresSchemaAck === true;
  lines.push(`Decide with ${deciding(gate, runId, commandName, ackSchemaChanges).map((c) => `\`${escapeMrkdwn(c)}\``).join(', ')}`);
  const who = whoMayDecide(gate, status);
  if (who) lines.push(`(${escapeMrkdwn(who)})`);
  // Last: a diff summary can be long, and a long reply is cut at its end, not at the commands.
  if (gate.summary) lines.push(`> ${escapeMrkdwn(gate.summary).replace(/\n/g, '\n> ')}`);
  return lines;
}

/**
 * One command per message the gate accepts, in its order. `accepts` and `commands` are
 * parallel lists; a message chat has no verb for keeps the gate's own CLI command.
 */
function deciding(gate: GateView, runId: string, commandName: string, ackSchemaChanges: boolean): string[] {
  return gate.accepts.map((message, i) => chatCommandFor(message, runId, commandName, { ackSchemaChanges }) ?? gate.commands[i] ?? message);
}

/** The policy's limits on who decides; a paused fleet is resumed by its operators, as the run checks. */
function whoMayDecide(gate: GateView, status: RunStatus): string | undefined {
  const pending = status.pendingApproval;
  if (!pending || gate.kind === 'paused') return undefined;
  const who: string[] = [];
  if (pending.allowedApprovers?.length) who.push(`approvers: ${pending.allowedApprovers.join(', ')}`);
  if (pending.fourEyes) who.push(`four eyes: ${pending.requestedBy ? `anyone but ${pending.requestedBy}` : 'not the requester'}`);
  return who.length ? who.join('; ') : undefined;
}
