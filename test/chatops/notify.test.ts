/** The notify activity against a local webhook receiver on loopback. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { NOTIFICATION_FAILED, type NotifyEvent, createNotifyActivities } from '../../src/activities/notify.js';
import { Receiver } from './http-helpers.js';

const event: NotifyEvent = {
  kind: 'waiting-approval',
  runbook: 'helm-upgrade',
  workflowId: 'helm-upgrade-soctalk-1',
  release: 'soctalk',
  namespace: 'soctalk',
  summary: 'image 0.1.0 -> 0.2.0',
  approveCommand: '/upgrade approve helm-upgrade-soctalk-1',
};

// The token part of a real webhook URL is a credential: it must not show up in errors.
const TOKEN_PATH = '/services/T000/B000/XXXXsecretXXXX';

describe('notify activity', () => {
  const webhook = new Receiver();
  before(() => webhook.start(TOKEN_PATH));
  after(() => webhook.stop());
  beforeEach(() => {
    webhook.status = 200;
  });

  it('posts Slack incoming-webhook JSON', async () => {
    const notifier = createNotifyActivities({ webhookUrl: webhook.url });
    const result = await notifier.notify(event);
    assert.deepEqual(result, { sent: true, status: 200 });
    const req = webhook.received.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, TOKEN_PATH);
    assert.equal(req.headers['content-type'], 'application/json');
    const body = JSON.parse(req.body) as { text: string; blocks: Array<{ text: { text: string } }> };
    assert.match(body.text, /helm-upgrade run `helm-upgrade-soctalk-1` is waiting for approval/);
    assert.ok(body.blocks.some((b) => b.text.text.includes('/upgrade approve helm-upgrade-soctalk-1')));
  });

  it('throws a retryable failure when the webhook answers 500', async () => {
    webhook.status = 500;
    const notifier = createNotifyActivities({ webhookUrl: webhook.url });
    const err = await notifier.notify({ ...event, kind: 'failed' }).then(
      () => assert.fail('notify resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, NOTIFICATION_FAILED);
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /answered 500/);
    assert.ok(!err.message.includes('secret'), 'the webhook URL stays out of the message');
  });

  it('does not retry what retrying cannot fix (a revoked webhook)', async () => {
    webhook.status = 404;
    webhook.answer = 'no_service';
    try {
      const notifier = createNotifyActivities({ webhookUrl: webhook.url });
      await assert.rejects(notifier.notify(event), (e: unknown) => e instanceof ApplicationFailure && e.nonRetryable && /404 \(no_service\).*NOTIFY_WEBHOOK_URL/.test(e.message));
    } finally {
      webhook.answer = 'ok';
    }
  });

  it('gives up after its timeout with a retryable failure', async () => {
    webhook.status = 'hang';
    const notifier = createNotifyActivities({ webhookUrl: webhook.url, timeoutMs: 200 });
    await assert.rejects(notifier.notify(event), (e: unknown) => e instanceof ApplicationFailure && !e.nonRetryable && /no answer within 200ms/.test(e.message));
  });

  it('is a no-op without a webhook', async () => {
    const before = webhook.received.length;
    assert.deepEqual(await createNotifyActivities({}).notify(event), { sent: false });
    assert.deepEqual(await createNotifyActivities({ webhookUrl: '  ' }).notify(event), { sent: false });
    assert.equal(webhook.received.length, before);
  });

  it('refuses a webhook URL that is not http(s), naming the variable', () => {
    assert.throws(() => createNotifyActivities({ webhookUrl: 'hooks.slack.com/services/x' }), /NOTIFY_WEBHOOK_URL must be an http\(s\) URL/);
  });
});
