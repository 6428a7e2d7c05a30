/**
 * Sends slash commands the way Slack does: an urlencoded form, signed with the app's
 * signing secret. Every part can be overridden to forge a bad request.
 */
import { randomUUID } from 'node:crypto';
import { computeSlackSignature } from '../../src/chatops/slack-signature.js';

export interface SlashCommandRequest {
  text: string;
  userId?: string;
  userName?: string;
  responseUrl?: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Overrides the computed signature. */
  signature?: string;
  /** Signs with this secret instead of the right one. */
  secret?: string;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signSlashCommand(secret: string, req: SlashCommandRequest): SignedRequest {
  const form = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    channel_id: 'C0001',
    command: '/upgrade',
    text: req.text,
    user_id: req.userId ?? 'U123',
    user_name: req.userName ?? 'alice',
    ...(req.responseUrl ? { response_url: req.responseUrl } : {}),
    // Slack makes every invocation unique with a trigger_id: two identical commands typed
    // in the same second are different requests, not a replay.
    trigger_id: randomUUID(),
  });
  const body = form.toString();
  const timestamp = String(req.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': req.signature ?? computeSlackSignature(req.secret ?? secret, timestamp, body),
    },
  };
}

export async function send(baseUrl: string, signed: SignedRequest): Promise<{ status: number; json: { response_type?: string; text?: string } }> {
  const res = await fetch(`${baseUrl}/slack/commands`, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: res.status, json: (await res.json()) as { response_type?: string; text?: string } };
}
