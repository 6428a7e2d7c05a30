import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionReply, refusalReply, statusReply } from '../../src/chatops/replies.js';
import { RunControlError } from '../../src/chatops/run-control.js';
import { formatSlackMessage } from '../../src/activities/notify.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';

const pendingApproval = {
  gate: 'upgrade',
  since: '2025-01-01T00:02:00Z',
  timeoutAt: '2025-01-02T00:02:00Z',
  requestedBy: 'alice',
  fourEyes: true,
  requiresSchemaAck: true,
  summary: 'image 0.1.0 -> 0.2.0\n<!channel> 2 migrations',
};

const waiting: RunStatus = {
  runbook: 'helm-upgrade',
  release: 'soctalk',
  namespace: 'soctalk',
  phase: 'waiting-approval',
  steps: [
    { name: 'preflight', startedAt: '2025-01-01T00:00:00Z', endedAt: '2025-01-01T00:01:00Z', outcome: 'succeeded', detail: 'cluster healthy' },
    { name: 'diff', startedAt: '2025-01-01T00:01:00Z', outcome: 'running' },
  ],
  pendingApproval,
  // As the workflow's gate primitive states it (lib/gate.ts).
  gate: {
    kind: 'approval',
    name: 'upgrade',
    summary: pendingApproval.summary,
    since: pendingApproval.since,
    timeoutAt: pendingApproval.timeoutAt,
    accepts: ['approve', 'reject', 'abort'],
    commands: ["runbook approve 'run-1' --ack-schema-changes", "runbook reject 'run-1'", "runbook abort 'run-1' --reason '<reason>'"],
  },
  decisions: [],
  invalidMessages: [],
  facts: {},
};

describe('chat replies', () => {
  it('announces an accepted decision in the channel, with who decided', () => {
    const reply = decisionReply('approve', 'run-1', 'alice', { accepted: true, phase: 'upgrading', message: 'approved' });
    assert.equal(reply.response_type, 'in_channel');
    assert.equal(reply.text, 'alice approved run `run-1`: approved (phase: upgrading)');
  });

  it("answers a refusal privately, with the validator's reason", () => {
    const reply = refusalReply('approve', 'run-1', new RunControlError('refused', 'alice requested this run; four eyes needed'));
    assert.equal(reply.response_type, 'ephemeral');
    assert.match(reply.text, /^Refused: approve on run `run-1`: alice requested this run; four eyes needed$/);
  });

  it('shows the steps, what the run waits for and the commands that decide it; escapes mentions', () => {
    const { text } = statusReply('run-1', waiting, '/upgrade');
    assert.match(text, /\*helm-upgrade\* run `run-1`: phase \*waiting-approval\* \(release soctalk in soctalk\)/);
    assert.match(text, /:white_check_mark: preflight: cluster healthy/);
    assert.match(text, /^\*Waiting for approval\*: upgrade \(since 2025-01-01T00:02:00Z, times out 2025-01-02T00:02:00Z\)$/m);
    assert.match(text, /^Decide with `\/upgrade approve run-1 --ack-schema-changes \[comment\]`, `\/upgrade reject run-1 \[comment\]`, `\/upgrade abort run-1 &lt;reason&gt;`$/m);
    assert.match(text, /^\(four eyes: anyone but alice\)$/m);
    assert.match(text, /&lt;!channel&gt;/);
    assert.doesNotMatch(text, /<!channel>/);
    assert.ok(text.indexOf('Decide with') < text.indexOf('> image'), 'the commands come before the summary, which may be cut');
  });

  it('a promotion gate offers promote and abort, never approve', () => {
    const promotion: RunStatus = {
      ...waiting,
      phase: 'waiting-promotion',
      pendingApproval: { ...pendingApproval, gate: 'promote to wave 1', requiresSchemaAck: false, fourEyes: false, allowedApprovers: ['carol'] },
      gate: { kind: 'promotion', name: 'promote to wave 1', summary: 'canary baked', since: '2025-01-01T00:02:00Z', accepts: ['promote', 'abort'], commands: ["runbook promote 'fleet:prod'", "runbook abort 'fleet:prod' --reason '<reason>'"] },
    };
    const { text } = statusReply('fleet:prod', promotion, '/upgrade');
    assert.match(text, /^\*Waiting for promotion\*: promote to wave 1 \(since 2025-01-01T00:02:00Z\)$/m);
    assert.match(text, /^Decide with `\/upgrade promote fleet:prod \[comment\]`, `\/upgrade abort fleet:prod &lt;reason&gt;`$/m);
    assert.match(text, /^\(approvers: carol\)$/m);
    assert.doesNotMatch(text, /\/upgrade approve/);
  });

  it('a paused fleet offers resume and abort', () => {
    const paused: RunStatus = {
      ...waiting,
      phase: 'upgrading',
      pendingApproval: null,
      gate: { kind: 'paused', name: 'paused before the next tenant of wave 1', summary: 'no new tenant starts', since: '2025-01-01T00:02:00Z', accepts: ['resume', 'abort'], commands: ["runbook resume 'fleet:prod'", "runbook abort 'fleet:prod' --reason '<reason>'"] },
    };
    const { text } = statusReply('fleet:prod', paused, '/my-upgrade');
    assert.match(text, /^\*Paused, waiting for resume\*: paused before the next tenant of wave 1/m);
    assert.match(text, /^Decide with `\/my-upgrade resume fleet:prod \[reason\]`, `\/my-upgrade abort fleet:prod &lt;reason&gt;`$/m);
  });

  it('a run from before the gate contract: the gate the CLI derives from its phase', () => {
    const { gate: _, ...older } = waiting;
    const { text } = statusReply('run-1', { ...older, pendingApproval: { ...pendingApproval, gate: 'promote to wave 2' }, phase: 'waiting-promotion' } as RunStatus, '/upgrade');
    assert.match(text, /^Decide with `\/upgrade promote run-1 \[comment\]`, `\/upgrade abort run-1 &lt;reason&gt;`$/m);
    assert.equal(statusReply('run-1', { ...waiting, pendingApproval: null, gate: null }, '/upgrade').text.includes('Decide with'), false, 'no gate, no commands');
  });
});

describe('notification message format', () => {
  it('has a text fallback and blocks, with the approve command when waiting', () => {
    const message = formatSlackMessage({
      kind: 'waiting-approval',
      runbook: 'helm-upgrade',
      workflowId: 'run-1',
      release: 'soctalk',
      namespace: 'prod',
      summary: 'image 0.1.0 -> 0.2.0\nno schema changes',
      approveCommand: '/upgrade approve run-1',
    });
    assert.equal(message.text, ':raised_hand: helm-upgrade run `run-1` is waiting for approval (release soctalk in prod): image 0.1.0 -&gt; 0.2.0');
    assert.equal(message.blocks?.length, 3);
    assert.deepEqual(message.blocks?.[2], { type: 'section', text: { type: 'mrkdwn', text: 'Approve with `/upgrade approve run-1`' } });
  });

  it('leaves out an empty summary block (Slack refuses empty sections)', () => {
    const message = formatSlackMessage({ kind: 'completed', runbook: 'helm-upgrade', workflowId: 'run-1', summary: '' });
    assert.equal(message.text, ':white_check_mark: helm-upgrade run `run-1` completed');
    assert.equal(message.blocks?.length, 1);
  });
});
