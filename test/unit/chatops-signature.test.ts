import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeSlackSignature, createSlackVerifier } from '../../src/chatops/slack-signature.js';

// The worked example from Slack's documentation ("Verifying requests from Slack").
const SLACK_DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_DOC_TIMESTAMP = '1531420618';
const SLACK_DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe('Slack request signatures', () => {
  const secret = 'test-signing-secret';
  const nowSeconds = 1_700_000_000;
  const clock = { ms: nowSeconds * 1000 };
  const verifier = () => createSlackVerifier({ signingSecret: secret, now: () => clock.ms });
  const signed = (body: string, ts = String(nowSeconds)) => ({ timestamp: ts, signature: computeSlackSignature(secret, ts, body), rawBody: body });

  it("matches Slack's documented example", () => {
    assert.equal(computeSlackSignature(SLACK_DOC_SECRET, SLACK_DOC_TIMESTAMP, SLACK_DOC_BODY), SLACK_DOC_SIGNATURE);
    const v = createSlackVerifier({ signingSecret: SLACK_DOC_SECRET, now: () => Number(SLACK_DOC_TIMESTAMP) * 1000 + 30_000 });
    assert.deepEqual(v.verify({ timestamp: SLACK_DOC_TIMESTAMP, signature: SLACK_DOC_SIGNATURE, rawBody: Buffer.from(SLACK_DOC_BODY) }), { ok: true });
  });

  it('accepts a correctly signed, fresh request', () => {
    assert.deepEqual(verifier().verify(signed('text=status+r1')), { ok: true });
  });

  it('refuses a body changed after signing', () => {
    const req = signed('text=approve+r1');
    const result = verifier().verify({ ...req, rawBody: 'text=approve+r2' });
    assert.equal(result.ok || result.failure, 'bad-signature');
  });

  it('refuses a signature made with another secret, and one of another length', () => {
    const v = verifier();
    const other = computeSlackSignature('another-secret', String(nowSeconds), 'a=1');
    const r1 = v.verify({ timestamp: String(nowSeconds), signature: other, rawBody: 'a=1' });
    assert.equal(r1.ok || r1.failure, 'bad-signature');
    const r2 = v.verify({ timestamp: String(nowSeconds), signature: 'v0=abc', rawBody: 'a=1' });
    assert.equal(r2.ok || r2.failure, 'bad-signature');
  });

  it('refuses missing headers and a non-numeric timestamp', () => {
    const v = verifier();
    const r1 = v.verify({ timestamp: undefined, signature: 'v0=00', rawBody: '' });
    assert.equal(r1.ok || r1.failure, 'missing-headers');
    const r2 = v.verify({ ...signed('a=1'), timestamp: '17e8' });
    assert.equal(r2.ok || r2.failure, 'malformed-timestamp');
  });

  it('refuses timestamps more than 5 minutes away, in either direction', () => {
    const v = verifier();
    for (const ts of [nowSeconds - 301, nowSeconds + 301]) {
      const result = v.verify(signed('a=1', String(ts)));
      assert.equal(result.ok || result.failure, 'stale-timestamp', `ts ${ts - nowSeconds}s`);
    }
    assert.deepEqual(v.verify(signed('a=1', String(nowSeconds - 300))), { ok: true }, 'exactly 5 minutes is still inside');
  });

  it('accepts a signed request once: a replay inside the window is refused', () => {
    const v = verifier();
    const req = signed('text=approve+r1');
    assert.deepEqual(v.verify(req), { ok: true });
    const again = v.verify(req);
    assert.equal(again.ok || again.failure, 'replayed');
    // A different request in the same second is not a replay.
    assert.deepEqual(v.verify(signed('text=approve+r2')), { ok: true });
  });

  it('forgets accepted requests once they have left the window (they are stale by then)', () => {
    const v = verifier();
    const req = signed('a=1');
    assert.deepEqual(v.verify(req), { ok: true });
    clock.ms += 301_000;
    try {
      const later = v.verify(req);
      assert.equal(later.ok || later.failure, 'stale-timestamp');
    } finally {
      clock.ms = nowSeconds * 1000;
    }
  });

  it('refuses to start without a secret, naming the variable', () => {
    assert.throws(() => createSlackVerifier({ signingSecret: '' }), /SLACK_SIGNING_SECRET/);
  });
});
