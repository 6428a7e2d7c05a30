/**
 * The chat-ops service over real HTTP on loopback, with a recording RunControl standing in
 * for Temporal: what a signed request carries through, and what every refused request
 * does not.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createAllowList } from '../../src/chatops/identity.js';
import { createJsonLogger } from '../../src/chatops/log.js';
import { createChatOpsServer } from '../../src/chatops/server.js';
import { createSlackVerifier } from '../../src/chatops/slack-signature.js';
import { Receiver, close, listen } from './http-helpers.js';
import { RecordingRunControl } from './recording-run-control.js';
import { send, signSlashCommand } from './slack-client.js';

const SECRET = 'chatops-test-signing-secret-5f3a9c';

describe('chat-ops HTTP service', () => {
  const runControl = new RecordingRunControl();
  const logLines: string[] = [];
  const responseUrl = new Receiver();
  let ready: 'ok' | 'down' | 'hang' = 'ok';
  let server: Server;
  let baseUrl: string;
  const sign = (req: Parameters<typeof signSlashCommand>[1]) => signSlashCommand(SECRET, req);

  before(async () => {
    await responseUrl.start('/commands/T1/1/abc');
    server = createChatOpsServer({
      verifier: createSlackVerifier({ signingSecret: SECRET }),
      allowList: createAllowList([
        ['U123', 'alice'],
        ['U456', 'bob'],
      ]),
      runControl,
      logger: createJsonLogger({ level: 'debug', write: (line) => logLines.push(line) }),
      replyDeadlineMs: 300,
      checkReady: () =>
        ready === 'ok' ? Promise.resolve() : ready === 'down' ? Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:7233')) : new Promise<void>(() => {}),
      readyTimeoutMs: 200,
    });
    baseUrl = await listen(server);
  });

  after(async () => {
    await close(server);
    await responseUrl.stop();
    // Whatever happened above, the signing secret never reached the log.
    assert.ok(logLines.length > 0);
    for (const line of logLines) assert.ok(!line.includes(SECRET), `the secret leaked into a log line: ${line}`);
  });

  beforeEach(() => {
    runControl.calls.length = 0;
    runControl.refuseWith = undefined;
    runControl.failWith = undefined;
    runControl.delayMs = 0;
  });

  it('carries a signed approve to the run, as the mapped approver, and announces it', async () => {
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-42 --ack-schema-changes checked the migrations', userId: 'U123' }));
    assert.equal(status, 200);
    assert.equal(json.response_type, 'in_channel');
    assert.equal(json.text, 'alice approved run `run-42`: approve recorded (phase: upgrading)');
    assert.equal(runControl.calls.length, 1);
    const call = runControl.calls[0]!;
    assert.equal(call.method, 'approve');
    assert.equal(call.runId, 'run-42');
    assert.deepEqual(call.args, { by: 'alice', comment: 'checked the migrations', acknowledgeSchemaChanges: true });
    assert.match(call.options?.idempotencyKey ?? '', /^chatops-[0-9a-f]{32}$/);
  });

  it('maps every verb to its call', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['reject run-1 not tonight', 'reject', { by: 'bob', comment: 'not tonight' }],
      ['abort run-1 wrong cluster', 'abort', { by: 'bob', reason: 'wrong cluster' }],
      ['pause run-1', 'pause', { by: 'bob' }],
      ['resume run-1 back', 'resume', { by: 'bob', reason: 'back' }],
      ['promote run-1', 'promote', { by: 'bob' }],
      ['status run-1', 'status', undefined],
    ];
    for (const [text, method, args] of cases) {
      const { status } = await send(baseUrl, sign({ text, userId: 'U456' }));
      assert.equal(status, 200, text);
      const call = runControl.calls.at(-1)!;
      assert.equal(call.method, method, text);
      assert.deepEqual(call.args, args, text);
    }
    assert.equal(runControl.calls.length, cases.length);
  });

  it('refuses a bad signature, and nothing reaches the run', async () => {
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-1', secret: 'not-the-secret' }));
    assert.equal(status, 401);
    assert.match(json.text ?? '', /signature does not match/);
    assert.equal(runControl.calls.length, 0);
  });

  it('refuses a body altered after signing', async () => {
    const signed = sign({ text: 'status run-1' });
    const { status } = await send(baseUrl, { ...signed, body: signed.body.replace('status', 'approve') });
    assert.equal(status, 401);
    assert.equal(runControl.calls.length, 0);
  });

  it('refuses a stale timestamp, and nothing reaches the run', async () => {
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-1', timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }));
    assert.equal(status, 401);
    assert.match(json.text ?? '', /more than 300s away/);
    assert.equal(runControl.calls.length, 0);
  });

  it('answers a replayed request "already handled": the decision is carried out once', async () => {
    const signed = sign({ text: 'approve run-7' });
    assert.equal((await send(baseUrl, signed)).status, 200);
    const replay = await send(baseUrl, signed);
    assert.equal(replay.status, 200);
    assert.equal(replay.json.response_type, 'ephemeral');
    assert.match(replay.json.text ?? '', /^Already handled: this exact request \(approve on run `run-7`\) was carried out before, so it was not applied again/);
    assert.equal(runControl.calls.length, 1);
  });

  it('refuses a user missing from the allow-list, and nothing reaches the run', async () => {
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-1', userId: 'U999', userName: 'mallory' }));
    assert.equal(status, 403);
    assert.match(json.text ?? '', /U999\) are not on the chat-ops allow-list/);
    assert.equal(runControl.calls.length, 0);
    assert.ok(logLines.some((l) => l.includes('"userId":"U999"') && l.includes('not on the allow-list')));
  });

  it("answers with the validator's reason when the run refuses", async () => {
    runControl.refuseWith = 'this release has schema changes: approve with --ack-schema-changes';
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-1' }));
    assert.equal(status, 200);
    assert.equal(json.response_type, 'ephemeral');
    assert.equal(json.text, 'Refused: approve on run `run-1`: this release has schema changes: approve with --ack-schema-changes');
  });

  it('answers usage errors privately without calling the run', async () => {
    const { status, json } = await send(baseUrl, sign({ text: 'abort run-1' }));
    assert.equal(status, 200);
    assert.equal(json.response_type, 'ephemeral');
    assert.match(json.text ?? '', /abort needs a reason/);
    assert.equal(runControl.calls.length, 0);
  });

  it('answers the status of a run', async () => {
    runControl.statusAnswer = { ...runControl.statusAnswer, phase: 'waiting-approval' };
    const { json } = await send(baseUrl, sign({ text: 'status run-1' }));
    assert.equal(json.response_type, 'ephemeral');
    assert.match(json.text ?? '', /\*helm-upgrade\* run `run-1`: phase \*waiting-approval\*/);
  });

  it('answers a slow run within the deadline and posts its answer to response_url', async () => {
    runControl.delayMs = 800;
    const before = responseUrl.received.length;
    const started = Date.now();
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-9', responseUrl: responseUrl.url }));
    assert.equal(status, 200);
    assert.ok(Date.now() - started < 700, 'answered before the run did');
    assert.match(json.text ?? '', /has not answered yet/);
    await responseUrl.waitFor(before + 1);
    const late = responseUrl.received.at(-1)!;
    assert.equal(late.path, '/commands/T1/1/abc');
    assert.deepEqual(JSON.parse(late.body), { response_type: 'in_channel', text: 'alice approved run `run-9`: approve recorded (phase: upgrading)' });
  });

  it('hides an outage behind a generic answer and logs it', async () => {
    runControl.failWith = new Error('14 UNAVAILABLE: No connection established');
    const { status, json } = await send(baseUrl, sign({ text: 'approve run-1' }));
    assert.equal(status, 200);
    assert.match(json.text ?? '', /Temporal did not answer normally/);
    assert.ok(logLines.some((l) => l.includes('"level":"error"') && l.includes('No connection established')));
  });

  it('serves liveness and readiness', async () => {
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
    try {
      ready = 'down';
      const res = await fetch(`${baseUrl}/readyz`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { status: 'not-ready' }, 'the reason stays in the log');
      assert.ok(logLines.some((l) => l.includes('ECONNREFUSED')));
      // A check that never answers still gives the kubelet an answer in time.
      ready = 'hang';
      const started = Date.now();
      assert.equal((await fetch(`${baseUrl}/readyz`)).status, 503);
      assert.ok(Date.now() - started < 1000);
    } finally {
      ready = 'ok';
    }
  });

  it("answers Slack's ssl_check with an empty 200 and does nothing", async () => {
    const res = await fetch(`${baseUrl}/slack/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'ssl_check=1&token=abc',
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.equal(runControl.calls.length, 0);
  });

  it('refuses what is not a slash command', async () => {
    assert.equal((await fetch(`${baseUrl}/slack/commands`)).status, 405);
    const json = await fetch(`${baseUrl}/slack/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    const big = await fetch(`${baseUrl}/slack/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `text=${'a'.repeat(70 * 1024)}`,
    });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${baseUrl}/nope`)).status, 404);
    assert.equal(runControl.calls.length, 0);
  });
});
