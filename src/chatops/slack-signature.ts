/**
 * Verifies that a request really comes from Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature` must be `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`
 * keyed with the app's signing secret.
 *
 * Two defences on top of the MAC itself:
 * - a freshness window: a captured request cannot be sent again once its timestamp is older
 *   than the window (the timestamp is inside the MAC, so it cannot be refreshed);
 * - a replay memory: inside the window, each (timestamp, signature) pair is accepted once.
 *   Without it, an attacker who sees one signed `/upgrade approve` could resend it for five
 *   minutes. The memory only ever holds pairs that carried a valid MAC, so nobody without
 *   the secret can grow it, and entries are dropped as soon as they leave the window.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_VERSION = 'v0';
/** Slack's recommendation, and the window the issue asks for. */
export const DEFAULT_WINDOW_SECONDS = 5 * 60;

export interface SlackRequestParts {
  /** X-Slack-Request-Timestamp, as sent (seconds since the epoch). */
  timestamp: string | undefined;
  /** X-Slack-Signature, as sent. */
  signature: string | undefined;
  /** The body exactly as received: re-encoding a parsed form would change the bytes. */
  rawBody: string | Buffer;
}

export type VerifyFailure = 'missing-headers' | 'malformed-timestamp' | 'stale-timestamp' | 'bad-signature' | 'replayed';

export type VerifyResult = { ok: true } | { ok: false; failure: VerifyFailure; message: string };

export interface SlackVerifierOptions {
  signingSecret: string;
  windowSeconds?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
}

export interface SlackVerifier {
  verify(request: SlackRequestParts): VerifyResult;
}

/** `v0=<hex>` for a body: what Slack sends, and what tests use to sign their requests. */
export function computeSlackSignature(signingSecret: string, timestamp: string, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`${SLACK_SIGNATURE_VERSION}:${timestamp}:`);
  mac.update(rawBody);
  return `${SLACK_SIGNATURE_VERSION}=${mac.digest('hex')}`;
}

/**
 * The Temporal Update ID of a verified request: a digest of its timestamp and signature, so
 * the same signed request is the same Update on every replica and after any restart, and
 * Temporal applies it once. The signature covers the body, so two different commands never
 * share an ID; nobody without the signing secret can choose one.
 */
export function updateIdForSignedRequest(timestamp: string, signature: string): string {
  return `chatops-${createHash('sha256').update(`${timestamp}:${signature}`).digest('hex').slice(0, 32)}`;
}

export function createSlackVerifier(options: SlackVerifierOptions): SlackVerifier {
  if (!options.signingSecret) throw new Error('the Slack signing secret is empty: set SLACK_SIGNING_SECRET to the app\'s "Signing Secret"');
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const now = options.now ?? Date.now;
  /** `${timestamp}:${signature}` → the epoch second after which it can be forgotten. */
  const seen = new Map<string, number>();

  const forgetExpired = (nowSeconds: number): void => {
    for (const [key, expiresAt] of seen) if (expiresAt < nowSeconds) seen.delete(key);
  };

  return {
    verify({ timestamp, signature, rawBody }) {
      if (!timestamp || !signature) {
        return fail('missing-headers', 'X-Slack-Request-Timestamp and X-Slack-Signature headers are required');
      }
      if (!/^\d{1,12}$/.test(timestamp)) return fail('malformed-timestamp', 'X-Slack-Request-Timestamp is not a number of seconds');
      const nowSeconds = Math.floor(now() / 1000);
      const ts = Number(timestamp);
      // Both directions: a timestamp far in the future would otherwise stay valid for longer.
      if (Math.abs(nowSeconds - ts) > windowSeconds) {
        return fail('stale-timestamp', `request timestamp is more than ${windowSeconds}s away from the server clock`);
      }
      const expected = Buffer.from(computeSlackSignature(options.signingSecret, timestamp, rawBody), 'utf8');
      const given = Buffer.from(signature, 'utf8');
      // timingSafeEqual throws on unequal lengths; the length of a valid signature is public anyway.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return fail('bad-signature', 'signature does not match the signing secret');
      }
      forgetExpired(nowSeconds);
      const key = `${timestamp}:${signature}`;
      if (seen.has(key)) return fail('replayed', 'this signed request was already accepted once');
      // Remember it for as long as its timestamp could still pass the freshness check.
      seen.set(key, ts + windowSeconds);
      return { ok: true };
    },
  };
}

function fail(failure: VerifyFailure, message: string): VerifyResult {
  return { ok: false, failure, message };
}
