/**
 * Chat-ops as a trusted relay, end to end: the service's own process (with its SSH key,
 * CHATOPS_SIGN_KEY) turns a Slack-signed slash command into a decision signed for the Slack
 * user, against a real Temporal dev server and a worker running the real
 * soctalk-system-rollback workflow (activities mocked). The workflow verifies it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { soctalkSystemRollback } from '../../src/workflows/soctalk/system-rollback.js';
import { KeyDir, type TestKey } from '../helpers/ssh-keys.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { systemActivities } from '../workflows/soctalk-system-mocks.js';
import { type ChatOpsProcess, startChatOps } from './chatops-process.js';
import { send, signSlashCommand } from './slack-client.js';

const SECRET = 'relay-test-signing-secret-4c2e';

describe('chat-ops signs decisions as a trusted relay', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let chatops: ChatOpsProcess;
  const keys = new KeyDir();
  let relay: TestKey;
  let sam: TestKey;
  const taskQueue = uniqueTaskQueue('relay');

  before(async () => {
    env = await createLocalEnv();
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: systemActivities().activities });
    running = worker.run();
    relay = keys.key('chat-ops');
    sam = keys.key('sam');
    chatops = await startChatOps({
      SLACK_SIGNING_SECRET: SECRET,
      CHATOPS_USERS: 'U123=sam,U456=ria',
      CHATOPS_SIGN_KEY: relay.privatePath,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      CHATOPS_REPLY_DEADLINE_MS: '2900',
    });
  });

  after(async () => {
    await chatops?.stop();
    worker?.shutdown();
    await running;
    await env?.teardown();
    keys.cleanup();
  });

  it('an approval from a mapped Slack user is signed by chat-ops and recorded as "sam via chat-ops (Slack U123)"', async () => {
    // The release's business ID: the rollback refuses any other.
    const workflowId = releaseWorkflowId('soctalk-system', 'soctalk-system');
    const handle = await env.client.workflow.start(soctalkSystemRollback, {
      taskQueue,
      workflowId,
      args: [
        {
          toRevision: 2,
          requestedBy: 'ria',
          approval: {
            signatures: 'required',
            approvers: [{ name: 'sam', keys: [sam.publicKey] }, 'ria'],
            // The policy trusts the relay for U123 only; U456 is on chat-ops' list but not here.
            relays: [{ name: 'chat-ops', key: relay.publicKey, users: { 'slack:U123': 'sam' } }],
          },
        },
      ],
    });
    for (let i = 0; i < 400 && (await handle.query(statusQuery)).phase !== 'waiting-approval'; i++) await new Promise((r) => setTimeout(r, 25));

    const untrusted = await send(chatops.baseUrl, signSlashCommand(SECRET, { text: `approve ${workflowId} fine`, userId: 'U456' }));
    assert.match(untrusted.json.text ?? '', /Refused: .*chat-ops is not trusted to act for slack:U456/);

    const approved = await send(chatops.baseUrl, signSlashCommand(SECRET, { text: `approve ${workflowId} rollback reviewed`, userId: 'U123' }));
    assert.equal(approved.json.response_type, 'in_channel', approved.json.text);
    await handle.result();
    const decision = (await handle.query(statusQuery)).decisions.find((d) => d.kind === 'approve')!;
    assert.equal(decision.by, 'sam');
    assert.equal(decision.signer, 'sam via chat-ops (Slack U123)');
    assert.equal(decision.fingerprint, relay.fingerprint);
    assert.equal(decision.comment, 'rollback reviewed');
    assert.match(decision.statement ?? '', /\nvia: slack:U123\n/);
  });
});
