/**
 * The text the service answers in chat. Slack renders `mrkdwn`, so everything that comes
 * from a run (summaries, reasons, comments) is escaped: a `<!channel>` inside a release
 * note must not ping a whole channel.
 */
import type { RunStatus, StepOutcome } from '../workflows/lib/status.js';
import { ACK_SCHEMA_CHANGES_FLAG, type ChatVerb } from './commands.js';
import type { ControlAck, RunControlError } from './run-control.js';

export interface SlackReply {
  /** `in_channel` for decisions (the channel sees who decided); `ephemeral` for everything else. */
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

/** Slack truncates long messages anyway; cutting here keeps the end marker visible. */
const MAX_TEXT = 3500;

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

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

/** A replayed request (this replica remembers it, or Temporal has its Update): nothing is sent again. */
export function alreadyHandledReply(verb: string, runId: string | undefined, detail: string): SlackReply {
  const target = runId ? ` on run \`${escapeMrkdwn(runId)}\`` : '';
  return ephemeral(`Already handled: this exact request (${verb}${target}) was carried out before, so nothing was sent again; ${escapeMrkdwn(detail)}`);
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
  const pending = status.pendingApproval;
  if (pending) {
    lines.push(`*Waiting for approval* at gate \`${escapeMrkdwn(pending.gate)}\` since ${pending.since} (times out ${pending.timeoutAt})`);
    if (pending.summary) lines.push(`> ${escapeMrkdwn(pending.summary).replace(/\n/g, '\n> ')}`);
    const flag = pending.requiresSchemaAck ? ` ${ACK_SCHEMA_CHANGES_FLAG}` : '';
    lines.push(`Approve with \`${commandName} approve ${escapeMrkdwn(runId)}${flag} [comment]\`${pending.fourEyes ? ' (four eyes: not by the requester)' : ''}`);
  }
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
