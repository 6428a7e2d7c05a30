/**
 * The whole chat-ops path against a real Temporal dev server: the service's own process
 * (src/chatops/main.ts, configured by the environment) receives signed slash commands over
 * loopback HTTP and drives a real workflow through Updates and the status Query. Refused
 * requests are checked on the workflow itself: no decision reached it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { type ChatOpsProcess, startChatOps } from './chatops-process.js';
import type { chatopsDecisionGate } from './fixtures/decision-workflow.js';
import { send, signSlashCommand } from './slack-client.js';

const SECRET = 'temporal-test-signing-secret-77d1';
const TASK_QUEUE = `chatops-${process.pid}`;

function temporalCli(): string {
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) {
    throw new Error('TEMPORAL_CLI_PATH is not set: run `eval "$(bash scripts/toolchain.sh env temporal)"` first (tests never download servers)');
  }
  return path;
}

describe('chat-ops against a real Temporal server', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let chatops: ChatOpsProcess;
  let chatopsEnv: Record<string, string>;
  const sign = (text: string, userId = 'U123') => signSlashCommand(SECRET, { text, userId });

  before(async () => {
    // The SDK's INFO logs (webpack, worker state) would drown the test report.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCli() }, ip: '127.0.0.1' } });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: fileURLToPath(new URL('./fixtures/decision-workflow.ts', import.meta.url)),
    });
    running = worker.run();
    chatopsEnv = {
      SLACK_SIGNING_SECRET: SECRET,
      CHATOPS_USERS: 'U123=alice',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      // The first Update waits for the worker's first workflow task; keep it on the fast path.
      CHATOPS_REPLY_DEADLINE_MS: '2900',
    };
    chatops = await startChatOps(chatopsEnv);
  });

  after(async () => {
    const code = await chatops?.stop();
    worker?.shutdown();
    await running;
    await env?.teardown();
    assert.equal(code, 0, 'chat-ops exits cleanly on SIGTERM');
  });

  async function startRun(id: string): Promise<WorkflowHandle<typeof chatopsDecisionGate>> {
    const handle = await env.client.workflow.start<typeof chatopsDecisionGate>('chatopsDecisionGate', { taskQueue: TASK_QUEUE, workflowId: id });
    // Wait until the workflow has run its first task and answers queries.
    await handle.query(statusQuery);
    return handle;
  }

  it('is ready once Temporal answers', async () => {
    const res = await fetch(`${chatops.baseUrl}/readyz`);
    assert.equal(res.status, 200);
  });

  it('approves a run end to end; refused requests never reach it', async () => {
    const id = `chatops-e2e-${Date.now()}`;
    const handle = await startRun(id);

    // The validator refuses: the reason comes back to chat, nothing is recorded.
    const refused = await send(chatops.baseUrl, sign(`approve ${id} looks fine`));
    assert.equal(refused.status, 200);
    assert.equal(refused.json.text, `Refused: approve on run \`${id}\`: this release has schema changes: approve with --ack-schema-changes`);

    // An unknown user, a forged signature and a stale request are turned away at the door.
    assert.equal((await send(chatops.baseUrl, sign(`approve ${id} --ack-schema-changes`, 'U999'))).status, 403);
    assert.equal((await send(chatops.baseUrl, signSlashCommand(SECRET, { text: `approve ${id} --ack-schema-changes`, secret: 'forged' }))).status, 401);
    const stale = signSlashCommand(SECRET, { text: `approve ${id} --ack-schema-changes`, timestamp: Math.floor(Date.now() / 1000) - 600 });
    assert.equal((await send(chatops.baseUrl, stale)).status, 401);
    const untouched = await handle.query(statusQuery);
    assert.equal(untouched.phase, 'waiting-approval');
    assert.deepEqual(untouched.decisions, [], 'no refused request reached the workflow');

    // The status command reads the run.
    const status = await send(chatops.baseUrl, sign(`status ${id}`));
    assert.match(status.json.text ?? '', /phase \*waiting-approval\*/);
    assert.match(status.json.text ?? '', /--ack-schema-changes/);

    // A correct approval goes through, recorded under the approver's name; its replay does not.
    const approve = sign(`approve ${id} --ack-schema-changes migrations reviewed`);
    const accepted = await send(chatops.baseUrl, approve);
    assert.equal(accepted.status, 200);
    assert.equal(accepted.json.response_type, 'in_channel');
    assert.equal(accepted.json.text, `alice approved run \`${id}\`: approve recorded (phase: completed)`);
    // Replayed to the same process: its in-memory window answers, nothing reaches the run.
    const replayed = await send(chatops.baseUrl, approve);
    assert.equal(replayed.status, 200);
    assert.match(replayed.json.text ?? '', /^Already handled: this exact request \(approve on run `.*`\) was carried out before/);

    assert.equal(await handle.result(), 'approve by alice');
    const final = await handle.query(statusQuery);
    assert.equal(final.decisions.length, 1);
    assert.equal(final.decisions[0]?.by, 'alice');
    assert.equal(final.decisions[0]?.comment, 'migrations reviewed');

    // The run has finished: a late decision is answered, not crashed on.
    const late = await send(chatops.baseUrl, sign(`reject ${id} too late`));
    assert.match(late.json.text ?? '', /^Not found: run .* was not found, or it has already finished$/);
  });

  it('a decision replayed after a restart (or to another replica) is the same Update: answered "already handled", applied once', async () => {
    const id = `chatops-restart-${Date.now()}`;
    const handle = await startRun(id);
    const approve = sign(`approve ${id} --ack-schema-changes first and only`);
    const first = await send(chatops.baseUrl, approve);
    assert.equal(first.json.text, `alice approved run \`${id}\`: approve recorded (phase: completed)`);

    // A fresh process has no memory of the request; a second replica is the same case.
    assert.equal(await chatops.stop(), 0);
    chatops = await startChatOps(chatopsEnv);
    const replay = await send(chatops.baseUrl, approve);
    assert.equal(replay.status, 200);
    assert.equal(replay.json.response_type, 'ephemeral', 'the channel is not told about a second approval');
    assert.equal(
      replay.json.text,
      `Already handled: this exact request (approve on run \`${id}\`) was carried out before, so it was not applied again; its answer then: approve recorded (phase: completed)`,
    );

    assert.equal(await handle.result(), 'approve by alice');
    const final = await handle.query(statusQuery);
    assert.equal(final.decisions.length, 1, 'Temporal applied the decision once');
    const history = await handle.fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    assert.equal(updates.length, 1, 'one Update in the history');
  });

  it('answers for a run that does not exist', async () => {
    const res = await send(chatops.baseUrl, sign('abort no-such-run wrong cluster'));
    assert.equal(res.status, 200);
    assert.match(res.json.text ?? '', /Not found: run no-such-run was not found/);
  });
});
