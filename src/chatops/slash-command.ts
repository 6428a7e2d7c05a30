/**
 * One slash command, from the signed request to the answer: verify the signature, map the
 * chat user to an approver, parse the command, carry it out through RunControl, and answer
 * in Slack's format. The order matters: nothing about the request is trusted (not even the
 * user ID) until the signature checks, and nothing reaches a run until the user is known.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type ChatCommand, parseCommandText, parseSlashCommandForm, usage } from './commands.js';
import type { IdentityAllowList } from './identity.js';
import type { Logger } from './log.js';
import { type SlackReply, alreadyHandledReply, decisionReply, ephemeral, refusalReply, statusReply } from './replies.js';
import { type RunControl, RunControlError } from './run-control.js';
import { type SlackVerifier, updateIdForSignedRequest } from './slack-signature.js';

export interface SlashCommandDeps {
  verifier: SlackVerifier;
  allowList: IdentityAllowList;
  runControl: RunControl;
  logger: Logger;
  /**
   * Slack gives up on a slash command after 3 seconds. A command still running at this
   * deadline is answered "working on it" and its result is posted to response_url.
   */
  replyDeadlineMs?: number;
  /** Posts a late reply; by default with fetch. */
  postLateReply?: (responseUrl: string, reply: SlackReply) => Promise<void>;
}

export interface HttpAnswer {
  status: number;
  /** null: an empty 200 (Slack's ssl_check). */
  body: SlackReply | null;
}

export type SlashCommandHandler = (request: { headers: IncomingHttpHeaders; rawBody: Buffer }) => Promise<HttpAnswer>;

export function createSlashCommandHandler(deps: SlashCommandDeps): SlashCommandHandler {
  const { verifier, allowList, runControl, logger } = deps;
  const replyDeadlineMs = deps.replyDeadlineMs ?? 2500;
  const postLateReply = deps.postLateReply ?? postWithFetch;

  return async ({ headers, rawBody }) => {
    // Slack checks the endpoint's certificate with `ssl_check=1` posts that carry no
    // command; answering 200 without doing anything is all it expects.
    if (isSslCheck(rawBody)) return { status: 200, body: null };
    const timestamp = header(headers, 'x-slack-request-timestamp');
    const signature = header(headers, 'x-slack-signature');
    const verdict = verifier.verify({ timestamp, signature, rawBody });
    if (!verdict.ok && verdict.failure === 'replayed') {
      // The first line against replays: this replica carried it out moments ago. (After a
      // restart, or on another replica, the Update ID below catches it instead.)
      const replayed = replayedCommand(rawBody);
      logger.warn('slack request replayed', { verb: replayed.verb, runId: replayed.runId });
      return { status: 200, body: alreadyHandledReply(replayed.verb, replayed.runId, 'this service received it moments ago') };
    }
    if (!verdict.ok) {
      logger.warn('slack request refused', { reason: verdict.failure });
      return { status: 401, body: ephemeral(`Request refused: ${verdict.message}.`) };
    }

    const parsedForm = parseSlashCommandForm(rawBody.toString('utf8'));
    if (!parsedForm.ok) return { status: 400, body: ephemeral(parsedForm.message) };
    const form = parsedForm.form;

    const by = allowList.resolve(form.userId);
    if (!by) {
      logger.warn('chat user not on the allow-list', { userId: form.userId, userName: form.userName });
      return {
        status: 403,
        body: ephemeral(`You (${form.userId}) are not on the chat-ops allow-list, so nothing was sent to the run. Ask an operator to add your user ID to the allow-list (CHATOPS_USERS, or chatops.users in the Helm chart).`),
      };
    }

    const parsed = parseCommandText(form.text, form.command);
    if (!parsed.ok) return { status: 200, body: ephemeral(parsed.message) };
    const command = parsed.command;
    if (command.verb === 'help') return { status: 200, body: ephemeral(usage(form.command)) };

    // Derived from the signed request: the same request always maps to the same Update ID.
    const idempotencyKey = updateIdForSignedRequest(timestamp!, signature!);
    const started = Date.now();
    const outcome = carryOut(command, by, idempotencyKey, form.command, form.userId).then(({ reply, result }) => {
      logger.info('slash command', { verb: command.verb, runId: command.runId, userId: form.userId, by, result, durationMs: Date.now() - started });
      return reply;
    });

    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), replyDeadlineMs);
    });
    const first = await Promise.race([outcome, late]);
    clearTimeout(timer);
    if (first !== 'late') return { status: 200, body: first };

    const responseUrl = form.responseUrl;
    void outcome.then(async (reply) => {
      if (!responseUrl) {
        logger.warn('late reply dropped: the request had no response_url', { verb: command.verb, runId: command.runId });
        return;
      }
      try {
        await postLateReply(responseUrl, reply);
      } catch (err) {
        logger.warn('late reply could not be posted', { verb: command.verb, runId: command.runId, error: (err as Error).message });
      }
    });
    return { status: 200, body: ephemeral(`Sent \`${command.verb}\` to run \`${command.runId}\`; the run has not answered yet, its answer will follow here.`) };
  };

  /** Never rejects: every failure becomes a reply, so the late path cannot leak a rejection. */
  async function carryOut(
    command: Exclude<ChatCommand, { verb: 'help' }>,
    by: string,
    idempotencyKey: string,
    commandName: string,
    userId: string,
  ): Promise<{ reply: SlackReply; result: string }> {
    const { runId } = command;
    const opts = { idempotencyKey, chatUser: `slack:${userId}` };
    try {
      switch (command.verb) {
        case 'status':
          return { reply: statusReply(runId, await runControl.status(runId), commandName), result: 'ok' };
        case 'approve': {
          const args = { by, ...optional('comment', command.comment), ...(command.acknowledgeSchemaChanges ? { acknowledgeSchemaChanges: true } : {}) };
          return accepted(command.verb, runId, by, await runControl.approve(runId, args, opts));
        }
        case 'reject':
        case 'promote':
          return accepted(command.verb, runId, by, await runControl[command.verb](runId, { by, ...optional('comment', command.comment) }, opts));
        case 'abort':
          return accepted(command.verb, runId, by, await runControl.abort(runId, { by, reason: command.reason }, opts));
        case 'pause':
        case 'resume':
          return accepted(command.verb, runId, by, await runControl[command.verb](runId, { by, ...optional('reason', command.reason) }, opts));
      }
    } catch (err) {
      if (err instanceof RunControlError) return { reply: refusalReply(command.verb, runId, err), result: err.kind };
      logger.error('run control failed', { verb: command.verb, runId, error: err instanceof Error ? err.message : String(err) });
      return { reply: ephemeral('Could not carry this out: Temporal did not answer normally (the chat-ops logs have the error). Check the status of the run before trying again.'), result: 'error' };
    }
  }
}

function accepted(...[verb, runId, by, ack]: Parameters<typeof decisionReply>): { reply: SlackReply; result: string } {
  return { reply: decisionReply(verb, runId, by, ack), result: 'accepted' };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** What a replayed request asked, for the reply only (its signature was valid). */
function replayedCommand(rawBody: Buffer): { verb: string; runId?: string } {
  const form = parseSlashCommandForm(rawBody.toString('utf8'));
  if (!form.ok) return { verb: 'command' };
  const parsed = parseCommandText(form.form.text, form.form.command);
  if (!parsed.ok || parsed.command.verb === 'help') return { verb: 'command' };
  return { verb: parsed.command.verb, runId: parsed.command.runId };
}

function isSslCheck(rawBody: Buffer): boolean {
  if (rawBody.length > 1024) return false;
  const params = new URLSearchParams(rawBody.toString('utf8'));
  return params.get('ssl_check') === '1' && !params.has('command');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function postWithFetch(responseUrl: string, reply: SlackReply): Promise<void> {
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reply),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
