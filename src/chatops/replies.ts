/**
 * The text the service answers in chat; everything that comes from a run is escaped
 * (mrkdwn.ts).
 */
import type { RunStatus, StepOutcome } from '../workflows/lib/status.js';
import type { ChatVerb } from './commands.js';
import { gateLines } from './gate-lines.js';
import { escapeMrkdwn } from './mrkdwn.js';
import type { ControlAck, RunControlError } from './run-control.js';

export interface SlackReply {
  /** `in_channel` for decisions (the channel sees who decided); `ephemeral` for everything else. */
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

/** Slack truncates long messages anyway; cutting here keeps the end marker visible. */
const MAX_TEXT = 3500;

export function ephemeral(text: string): SlackReply {
  return { response_type: 'ephemeral', text: cap(text) };
}

const PAST_TENSE: Record<Exclude<ChatVerb, 'status'>, string> = {
  approve: 'approved',
  reject: 'rejected',
  abort: 'aborted',
  pause: 'paused',
  resume: 'resumed',
  promote: 'promoted',
};

export function decisionReply(verb: Exclude<ChatVerb, 'status'>, runId: string, by: string, ack: ControlAck): SlackReply {
  if (ack.alreadyHandled) return alreadyHandledReply(verb, runId, `its answer then: ${ack.message} (phase: ${ack.phase})`);
  const text = `${escapeMrkdwn(by)} ${PAST_TENSE[verb]} run \`${escapeMrkdwn(runId)}\`: ${escapeMrkdwn(ack.message)} (phase: ${escapeMrkdwn(ack.phase)})`;
  return { response_type: 'in_channel', text: cap(text) };
}

/** A replayed request (this replica remembers it, Temporal has its Update, or another replica's attempt was applied): not applied again. */
export function alreadyHandledReply(verb: string, runId: string | undefined, detail: string): SlackReply {
  const target = runId ? ` on run \`${escapeMrkdwn(runId)}\`` : '';
  return ephemeral(`Already handled: this exact request (${verb}${target}) was carried out before, so it was not applied again; ${escapeMrkdwn(detail)}`);
}

export function refusalReply(verb: ChatVerb, runId: string, err: RunControlError): SlackReply {
  const lead =
    err.kind === 'refused' ? `Refused: ${verb} on run \`${escapeMrkdwn(runId)}\`` : err.kind === 'not-found' ? 'Not found' : 'No answer yet';
  return ephemeral(`${lead}: ${escapeMrkdwn(err.message)}`);
}

const STEP_ICON: Record<StepOutcome, string> = {
  running: ':hourglass_flowing_sand:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  compensated: ':leftwards_arrow_with_hook:',
};

export function statusReply(runId: string, status: RunStatus, commandName: string): SlackReply {
  const where = [status.release && `release ${status.release}`, status.namespace && `in ${status.namespace}`].filter(Boolean).join(' ');
  const lines = [`*${escapeMrkdwn(status.runbook)}* run \`${escapeMrkdwn(runId)}\`: phase *${escapeMrkdwn(status.phase)}*${where ? ` (${escapeMrkdwn(where)})` : ''}`];
  for (const step of status.steps) {
    lines.push(`${STEP_ICON[step.outcome] ?? '•'} ${escapeMrkdwn(step.name)}${step.detail ? `: ${escapeMrkdwn(step.detail)}` : ''}`);
  }
  lines.push(...gateLines(runId, status, commandName));
  if (status.abortRequested) {
    lines.push(`Abort requested by ${escapeMrkdwn(status.abortRequested.by)}: ${escapeMrkdwn(status.abortRequested.reason)}`);
  }
  if (status.outcome) {
    lines.push(`Outcome: ${escapeMrkdwn(status.outcome.message)}`);
    for (const c of status.outcome.compensations) lines.push(`  ↩ ${escapeMrkdwn(c)}`);
  }
  return ephemeral(lines.join('\n'));
}

function cap(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}\n… (truncated: use the CLI's \`runbook status\` for everything)`;
}
