/**
 * Chat-ops at every gate, against a real dev server and worker running the real fleet
 * workflow (its tenants' activities recorded stand-ins) and the CLI tests' runbook on the
 * shared `Run`: `status` names what the run waits for and the slash commands it accepts
 * now, and each printed command, typed back into chat, is accepted. Two chat-ops processes
 * on one server receive the same signed decision at the same moment: exactly one of them
 * announces it, the other answers "Already handled", and the run records it once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { fleetWorkflowId, releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import { fleetProgressQuery } from '../../src/workflows/soctalk/fleet/progress.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';
import { eventually, tenantMocks, upgradeSpec } from '../workflows/soctalk-tenant-mocks.js';
import { type ChatOpsProcess, startChatOps } from './chatops-process.js';
import { Receiver } from './http-helpers.js';
import { type SignedRequest, send, signSlashCommand } from './slack-client.js';

const SECRET = 'gates-test-signing-secret-3c1e';
const USERS = { alice: 'U100', bob: 'U200', carol: 'U300' } as const;
type User = keyof typeof USERS;
const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** Slack's mrkdwn entities, shown as the characters they stand for. */
const shown = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The slash commands after "Decide with" as Slack shows them, without the leading `/upgrade `. */
function decideWith(text: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith('Decide with '));
  assert.ok(line, `no "Decide with" line in:\n${text}`);
  return [...line.matchAll(/`\/upgrade ([^`]+)`/g)].map((m) => shown(m[1]!));
}

const PAST: Record<string, string> = { approve: 'approved', reject: 'rejected', abort: 'aborted' };

/** What a person types for a printed command: the placeholders filled in. */
const typed = (command: string, words: string) => command.replace(/ \[(comment|reason)\]$| <reason>$/, ` ${words}`);

describe('chat-ops at every gate, and two replicas given one request (real dev server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let queue: string;
  let mocks: ReturnType<typeof tenantMocks>;
  const replicas: ChatOpsProcess[] = [];
  // Both replicas post late answers (past Slack's 3 s) here; the race counts them too.
  const responseUrl = new Receiver();

  const sign = (text: string, as: User): SignedRequest => signSlashCommand(SECRET, { text, userId: USERS[as], userName: as, responseUrl: responseUrl.url });
  const chat = async (text: string, as: User, replica = 0) => (await send(replicas[replica]!.baseUrl, sign(text, as))).json;

  before(async () => {
    env = await createLocalEnv();
    queue = uniqueTaskQueue('chatops-gates');
    mocks = tenantMocks({ hold: ['pz1'], failing: ['cf2'] });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../cli/fixtures/gate-workflows.ts', import.meta.url)), logger: quietLogger }),
      activities: mocks.activities,
    });
    running = worker.run();
    await responseUrl.start('/commands/T1/2/race');
    const chatopsEnv = {
      SLACK_SIGNING_SECRET: SECRET,
      CHATOPS_USERS: Object.entries(USERS).map(([name, id]) => `${id}=${name}`).join(','),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      CHATOPS_REPLY_DEADLINE_MS: '2900',
    };
    for (let i = 0; i < 2; i += 1) replicas.push(await startChatOps(chatopsEnv));
  });

  after(async () => {
    const codes = await Promise.all(replicas.map((r) => r.stop()));
    // A held tenant would keep the worker from shutting down when a test failed midway.
    mocks?.release('pz1');
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
    await responseUrl.stop();
    assert.deepEqual(codes, replicas.map(() => 0), 'each chat-ops exits cleanly on SIGTERM');
  });

  /** A run of the CLI tests' runbook waiting at its approval gate (four-eyes: alice requested it). */
  async function approvalRun(release: string): Promise<{ id: string; handle: WorkflowHandle }> {
    const id = releaseWorkflowId('tenants', release);
    const handle = await env.client.workflow.start('cliFixtureUpgrade', { taskQueue: queue, workflowId: id, args: [{ release, namespace: 'tenants', version: '2.0.0', requestedBy: 'alice' }] });
    await eventually(() => handle.query(statusQuery), (s) => s.gate?.kind === 'approval', { ms: 30_000 });
    return { id, handle };
  }

  async function startFleet(name: string, input: Partial<FleetUpgradeInput>) {
    return env.client.workflow.start(soctalkFleetUpgrade, {
      taskQueue: queue,
      workflowId: fleetWorkflowId(name),
      args: [{ name, upgrade: { ...upgradeSpec, heartbeat: { settle: '1s' } }, bakeTime: '1s', ...input }],
    });
  }

  /**
   * Sends one signed request to both replicas at once and returns both final answers: an
   * answer later than the reply deadline arrives at response_url instead.
   */
  async function race(request: SignedRequest): Promise<{ response_type?: string; text?: string }[]> {
    const before = responseUrl.received.length;
    const first = await Promise.all(replicas.map((r) => send(r.baseUrl, request)));
    const late = first.filter((a) => /has not answered yet/.test(a.json.text ?? '')).length;
    await responseUrl.waitFor(before + late, 60_000);
    const posted = responseUrl.received.slice(before).map((r) => JSON.parse(r.body) as { response_type?: string; text?: string });
    return [...first.filter((a) => !/has not answered yet/.test(a.json.text ?? '')).map((a) => a.json), ...posted];
  }

  it('approval gate: status names approve, reject and abort as slash commands; each typed back is accepted', async () => {
    for (const decision of ['approve', 'reject', 'abort']) {
      const { id, handle } = await approvalRun(`chat-${decision}`);
      const status = await chat(`status ${id}`, 'bob');
      assert.match(status.text ?? '', /^\*Waiting for approval\*: approve upgrade \(since .*, times out .*\)$/m);
      const commands = decideWith(status.text ?? '');
      assert.deepEqual(commands, [`approve ${id} [comment]`, `reject ${id} [comment]`, `abort ${id} <reason>`]);
      assert.match(status.text ?? '', /^\(four eyes: anyone but alice\)$/m);
      assert.match(status.text ?? '', /^> upgrade chat-\w+ to 2\.0\.0/m, 'the summary, after the commands');

      const answer = await chat(typed(commands.find((c) => c.startsWith(`${decision} `))!, 'checked in chat'), 'bob');
      assert.equal(answer.response_type, 'in_channel', answer.text);
      assert.match(answer.text ?? '', new RegExp(`^bob ${PAST[decision]} run \`${id}\``));
      await handle.result().catch(() => undefined);
      const final = await handle.query(statusQuery);
      // An abort is the run's own request, not a gate decision: the status keeps it apart.
      if (decision === 'abort') assert.equal(final.abortRequested?.by, 'bob');
      assert.deepEqual(final.decisions.map((d) => [d.kind, d.by]), decision === 'abort' ? [] : [[decision, 'bob']]);
    }
  });

  it('promotion gate: status names promote (never approve) and abort; promote typed back is accepted', async () => {
    const id = fleetWorkflowId('chat-promo');
    const fleet = await startFleet('chat-promo', {
      tenants: { list: ['cp1', 'cp2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
      canaries: { count: 1 },
      manualPromotion: true,
      requestedBy: 'alice',
      approval: { required: true, approvers: ['alice', 'carol'], fourEyes: true, timeout: 3_600_000 },
    });
    await eventually(() => fleet.query(statusQuery), (s) => s.gate?.kind === 'promotion', { ms: 60_000 });
    const status = await chat(`status ${id}`, 'carol');
    assert.match(status.text ?? '', /^\*Waiting for promotion\*: promote to wave 1 /m);
    const commands = decideWith(status.text ?? '');
    assert.deepEqual(commands, [`promote ${id} [comment]`, `abort ${id} <reason>`]);
    assert.doesNotMatch(status.text ?? '', /\/upgrade approve/, 'a promotion gate refuses approve: chat must not offer it');
    assert.match(status.text ?? '', /^\(approvers: alice, carol; four eyes: anyone but alice\)$/m);

    const answer = await chat(typed(commands[0]!, 'canary looks healthy'), 'carol');
    assert.match(answer.text ?? '', new RegExp(`^carol promoted run \`${id}\`: promoted to wave 1`));
    await fleet.result();
  });

  it('paused fleet: status names resume and abort; resume typed back is accepted', async () => {
    const id = fleetWorkflowId('chat-pausing');
    const fleet = await startFleet('chat-pausing', { tenants: { list: ['pz1', 'pz2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' }, canaries: { count: 1 } });
    await eventually(() => fleet.query(fleetProgressQuery), (p) => p.tenants.some((t) => t.tenant === 'pz1' && t.state === 'running'), { ms: 30_000 });
    const paused = await chat(`pause ${id} noisy alerts`, 'alice');
    assert.match(paused.text ?? '', new RegExp(`^alice paused run \`${id}\``));
    const status = await chat(`status ${id}`, 'bob');
    assert.match(status.text ?? '', /^\*Paused, waiting for resume\*: paused before the next tenant of canary/m);
    const commands = decideWith(status.text ?? '');
    assert.deepEqual(commands, [`resume ${id} [reason]`, `abort ${id} <reason>`]);

    const answer = await chat(typed(commands[0]!, 'alerts explained'), 'bob');
    assert.match(answer.text ?? '', new RegExp(`^bob resumed run \`${id}\`: resumed`));
    mocks.release('pz1');
    await fleet.result();
  });

  it('a fleet that completed with a failed tenant: status names the tenant and why', async () => {
    const id = fleetWorkflowId('chat-mixed');
    const fleet = await startFleet('chat-mixed', {
      tenants: { list: ['cf1', 'cf2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
      canaries: { count: 1 },
      failureBudget: { maxFailed: 1 },
    });
    await fleet.result();
    const status = await chat(`status ${id}`, 'bob');
    assert.match(status.text ?? '', /phase \*completed-with-failures\*/);
    assert.match(status.text ?? '', /^Outcome: completed with 1 failure\(s\): cf2 \(failed: deploy\/soctalk-adapter in tenant-cf2 did not become ready/m);
    assert.doesNotMatch(status.text ?? '', /Decide with/, 'an ended run waits for nobody');
  });

  it('one signed request at both replicas at once: one announces the decision, the other says "Already handled", the run records it once', async () => {
    // Rounds on a run that ends with the approval and on one that goes on after the
    // promotion: the second replica's attempt meets a finished run or a running one.
    const rounds: { id: string; handle: WorkflowHandle; text: string; announced: RegExp }[] = [];
    for (const n of [1, 2, 3]) {
      const { id, handle } = await approvalRun(`chat-race-${n}`);
      rounds.push({ id, handle, text: `approve ${id} race ${n}`, announced: new RegExp(`^bob approved run \`${id}\`: approved "approve upgrade"`) });
    }
    const fleet = await startFleet('chat-race', {
      tenants: { list: ['cr1', 'cr2'], exclude: [], selector: 'tenant=true,managed-by=soctalk' },
      canaries: { count: 1 },
      manualPromotion: true,
    });
    await eventually(() => fleet.query(statusQuery), (s) => s.gate?.kind === 'promotion', { ms: 60_000 });
    const fleetId = fleetWorkflowId('chat-race');
    rounds.push({ id: fleetId, handle: fleet, text: `promote ${fleetId} race`, announced: new RegExp(`^bob promoted run \`${fleetId}\``) });

    for (const round of rounds) {
      const answers = await race(sign(round.text, 'bob'));
      assert.equal(answers.length, 2, JSON.stringify(answers));
      const announced = answers.filter((a) => a.response_type === 'in_channel');
      const handled = answers.filter((a) => /^Already handled: this exact request/.test(a.text ?? ''));
      assert.equal(announced.length, 1, `exactly one replica announces the decision: ${JSON.stringify(answers)}`);
      assert.match(announced[0]!.text ?? '', round.announced);
      assert.equal(handled.length, 1, `the other says "Already handled": ${JSON.stringify(answers)}`);
      assert.equal(handled[0]!.response_type, 'ephemeral', 'the channel hears of the decision once');

      const decided = (await round.handle.query(statusQuery)).decisions.filter((d) => d.by === 'bob');
      assert.equal(decided.length, 1, 'one decision in the workflow');
      const history = await round.handle.fetchHistory();
      assert.equal((history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 1, 'one Update in the history');
    }
    await fleet.result();
  });
});
