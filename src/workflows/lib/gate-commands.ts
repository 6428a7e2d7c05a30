/**
 * What each kind of human wait accepts and the CLI command that sends each message: plain
 * data with no workflow API, so the workflow's gate (which states them in its status) and
 * the CLI (which derives them for runs from before that contract) print the same commands.
 */
import type { GateView } from './status.js';

export type GateKind = GateView['kind'];
/** The messages that decide a gate (abort is accepted at every gate and handled by Run). */
export type GateMessage = 'approve' | 'reject' | 'promote' | 'resume';
export type DecidingMessage = Exclude<GateMessage, 'resume'>;

/** What each kind of gate accepts, besides abort. */
export const GATE_ACCEPTS: Record<GateKind, readonly GateMessage[]> = {
  approval: ['approve', 'reject'],
  promotion: ['promote'],
  paused: ['resume'],
};

/** How every surface names a kind of human wait (Web UI details, the gate's timer in the event history). */
export const GATE_HEADLINE: Record<GateKind, string> = {
  approval: 'Waiting for approval',
  promotion: 'Waiting for promotion',
  paused: 'Paused, waiting for resume',
};

/**
 * The one line the gate's timer carries as its summary: the Web UI's event history (the tab
 * it opens on) then shows what the run waits for and the command that decides it, not "1".
 */
export function gateTimerSummary(view: Pick<GateView, 'kind' | 'name' | 'commands'>): string {
  const line = `${GATE_HEADLINE[view.kind]}: ${view.name.replace(/\s+/g, ' ')}${view.commands[0] ? ` -- ${view.commands[0]}` : ''}`;
  // The server keeps summaries short: the command matters more than a long gate name, but both fit the usual case.
  return line.length <= TIMER_SUMMARY_MAX ? line : `${line.slice(0, TIMER_SUMMARY_MAX - 3)}...`;
}

const TIMER_SUMMARY_MAX = 400;

/** Quotes one word for a POSIX shell: pasted commands must be safe whatever the ID holds. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The CLI command that sends `message` to the run `workflowId`. */
export function gateCommand(message: GateMessage | 'abort', workflowId: string, opts: { requiresSchemaAck?: boolean } = {}): string {
  const id = shellQuote(workflowId);
  if (message === 'abort') return `runbook abort ${id} --reason '<reason>'`;
  if (message === 'approve' && opts.requiresSchemaAck) return `runbook approve ${id} --ack-schema-changes`;
  return `runbook ${message} ${id}`;
}
