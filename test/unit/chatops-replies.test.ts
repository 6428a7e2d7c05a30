import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decisionReply, refusalReply, statusReply } from '../../src/chatops/replies.js';
import { RunControlError } from '../../src/chatops/run-control.js';
import { formatSlackMessage } from '../../src/activities/notify.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';

const waiting: RunStatus = {
  runbook: 'helm-upgrade',
  release: 'soctalk',
  namespace: 'soctalk',
  phase: 'waiting-approval',
  steps: [
    { name: 'preflight', startedAt: '2025-01-01T00:00:00Z', endedAt: '2025-01-01T00:01:00Z', outcome: 'succeeded', detail: 'cluster healthy' },
    { name: 'diff', startedAt: '2025-01-01T00:01:00Z', outcome: 'running' },
  ],
  pendingApproval: {
    gate: 'upgrade',
    since: '2025-01-01T00:02:00Z',
    timeoutAt: '2025-01-02T00:02:00Z',
    fourEyes: true,
    requiresSchemaAck: true,
    summary: 'image 0.1.0 -> 0.2.0\n<!channel> 2 migrations',
  },
  gate: null,
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

  it('shows the steps, what the run waits for and how to approve; escapes mentions', () => {
    const { text } = statusReply('run-1', waiting, '/upgrade');
    assert.match(text, /\*helm-upgrade\* run `run-1`: phase \*waiting-approval\* \(release soctalk in soctalk\)/);
    assert.match(text, /:white_check_mark: preflight: cluster healthy/);
    assert.match(text, /Waiting for approval\* at gate `upgrade`/);
    assert.match(text, /Approve with `\/upgrade approve run-1 --ack-schema-changes \[comment\]` \(four eyes/);
    assert.match(text, /&lt;!channel&gt;/);
    assert.doesNotMatch(text, /<!channel>/);
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
