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
