/**
 * Run notifications to a Slack incoming webhook (or anything that accepts its JSON):
 * waiting for approval, completed, failed, rolled back, aborted.
 *
 * A notification is a courtesy, never a gate: workflows call `notify` with a short retry
 * policy and do not wait on it for progress. So this activity fails fast (a timeout on the
 * POST), throws a retryable failure for transient answers (5xx, 429, network) and a
 * non-retryable one when retrying cannot help (the webhook was revoked or the payload is
 * refused), and does nothing when no webhook is configured.
 *
 * The webhook URL is a credential (whoever has it can post to the channel): it never
 * appears in a log line or an error message.
 */
import { Redactor } from './redaction.js';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failure-types.js';
import type { RunNotification } from '../domain/notification.js';

/** The environment variable the worker reads the webhook URL from. */
export const NOTIFY_WEBHOOK_URL_ENV = 'NOTIFY_WEBHOOK_URL';
/** ApplicationFailure type of a notification that did not go out. */
export const NOTIFICATION_FAILED = FailureType.NotificationFailed;

export type NotifyKind = RunNotification['kind'];

/** A run notification with the workflow ID filled in. */
export type NotifyEvent = RunNotification & { workflowId: string };

/** The calling workflow's ID, when running as an activity. */
function callerWorkflowId(): string {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface NotifyResult {
  sent: boolean;
  status?: number;
}

export interface NotifyActivitiesOptions {
  webhookUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

export interface SlackWebhookMessage {
  text: string;
  blocks?: Array<Record<string, unknown>>;
}

const HEADLINE: Record<NotifyKind, { icon: string; what: string }> = {
  'waiting-approval': { icon: ':raised_hand:', what: 'is waiting for approval' },
  completed: { icon: ':white_check_mark:', what: 'completed' },
  failed: { icon: ':x:', what: 'failed' },
  'rolled-back': { icon: ':leftwards_arrow_with_hook:', what: 'rolled back' },
  aborted: { icon: ':octagonal_sign:', what: 'was aborted' },
};

/** Slack's limit for a section block's text is 3000 characters. */
const MAX_SECTION = 2900;

export function createNotifyActivities(options: NotifyActivitiesOptions = {}) {
  const webhookUrl = options.webhookUrl?.trim() || undefined;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const redactor = new Redactor();
  if (webhookUrl && !/^https?:\/\//i.test(webhookUrl)) {
    throw new Error(`${NOTIFY_WEBHOOK_URL_ENV} must be an http(s) URL (a Slack incoming webhook: https://hooks.slack.com/services/...)`);
  }

  // An arrow property, not a method: the worker registers activities unbound.
  return {
    notify: async (notification: RunNotification): Promise<NotifyResult> => {
      if (!webhookUrl) return { sent: false };
      const event: NotifyEvent = { ...notification, workflowId: notification.workflowId ?? callerWorkflowId() };
      let res: Response;
      try {
        res = await doFetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // The summary carries failure messages and previews: hide URL passwords and key=value secrets once more.
          body: redactor.text(JSON.stringify(formatSlackMessage(event))),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        // Network errors and our own timeout: worth another try.
        const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : describe(err);
        throw ApplicationFailure.retryable(`notification webhook unreachable: ${why}`, NOTIFICATION_FAILED);
      }
      if (res.ok) {
        await res.body?.cancel();
        return { sent: true, status: res.status };
      }
      const answer = (await res.text().catch(() => '')).slice(0, 200);
      const message = `notification webhook answered ${res.status}${answer ? ` (${answer})` : ''}`;
      if (res.status >= 500 || res.status === 429 || res.status === 408) {
        throw ApplicationFailure.retryable(message, NOTIFICATION_FAILED);
      }
      // 4xx: Slack's no_service / invalid_payload / channel_not_found do not heal by retrying.
      throw ApplicationFailure.nonRetryable(`${message}: check ${NOTIFY_WEBHOOK_URL_ENV}`, NOTIFICATION_FAILED);
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;

export function formatSlackMessage(event: NotifyEvent): SlackWebhookMessage {
  const { icon, what } = HEADLINE[event.kind];
  const target = [event.release && `release ${event.release}`, event.namespace && `in ${event.namespace}`].filter(Boolean).join(' ');
  const headline = `${icon} ${escape(event.runbook)} run \`${escape(event.workflowId)}\` ${what}${target ? ` (${escape(target)})` : ''}`;
  const blocks: Array<Record<string, unknown>> = [section(`*${headline}*`)];
  // Slack refuses a section with empty text (invalid_blocks).
  if (event.summary.trim()) blocks.push(section(escape(event.summary)));
  if (event.kind === 'waiting-approval' && event.approveCommand) {
    blocks.push(section(`Approve with \`${escape(event.approveCommand)}\``));
  }
  // `text` is what notifications and clients without blocks show.
  const first = firstLine(event.summary).trim();
  return { text: first ? `${headline}: ${escape(first)}` : headline, blocks };
}

function section(text: string): Record<string, unknown> {
  const capped = text.length > MAX_SECTION ? `${text.slice(0, MAX_SECTION)}…` : text;
  return { type: 'section', text: { type: 'mrkdwn', text: capped } };
}

/** Slack's control characters; a release note must not ping @channel or forge links. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici puts the useful part (ECONNREFUSED...) in `cause`.
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
