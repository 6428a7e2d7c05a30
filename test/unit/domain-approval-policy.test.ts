import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortRefusal, ApprovalPolicySchema, approvalRefusal, rejectionRefusal, type ApprovalPolicy, type GateState } from '../../src/domain/approval-policy.js';

const anyone: ApprovalPolicy = ApprovalPolicySchema.parse({});
const listed: ApprovalPolicy = ApprovalPolicySchema.parse({ approvers: ['alice', 'bob'] });
const fourEyes: ApprovalPolicy = ApprovalPolicySchema.parse({ fourEyes: true });
const waiting: GateState = { waiting: true, requiresSchemaAck: false, requestedBy: 'carol' };

describe('ApprovalPolicySchema', () => {
  it('defaults: approval required, anyone may decide, no four-eyes, 24h timeout', () => {
    assert.deepEqual(anyone, { required: true, approvers: [], fourEyes: false, timeout: 86_400_000 });
  });

  it('timeouts as durations; unknown keys and empty approver names refused', () => {
    assert.equal(ApprovalPolicySchema.parse({ timeout: '2h' }).timeout, 7_200_000);
    assert.deepEqual(ApprovalPolicySchema.safeParse({ approver: ['x'] }).error?.issues[0]?.code, 'unrecognized_keys');
    assert.deepEqual(ApprovalPolicySchema.safeParse({ approvers: [''] }).error?.issues[0]?.path, ['approvers', 0]);
  });
});

describe('approvalRefusal', () => {
  it('a valid approval', () => {
    assert.equal(approvalRefusal(anyone, waiting, { by: 'dave' }), undefined);
    assert.equal(approvalRefusal(listed, waiting, { by: 'alice' }), undefined);
  });

  it('"by" must name someone: missing, empty, blank or not a string', () => {
    for (const by of [undefined, '', '   ', 42, null, { name: 'alice' }]) {
      assert.equal(approvalRefusal(anyone, waiting, { by }), 'the approval must say who approves: set "by" to your name', JSON.stringify(by));
    }
  });

  it('the identity is trimmed before it is checked', () => {
    assert.equal(approvalRefusal(listed, waiting, { by: '  alice ' }), undefined);
  });

  it('wrong phase: the run is not waiting for approval', () => {
    assert.equal(approvalRefusal(anyone, { ...waiting, waiting: false }, { by: 'dave' }), 'the run is not waiting for approval');
  });

  it('not on the list of approvers', () => {
    assert.equal(approvalRefusal(listed, waiting, { by: 'mallory' }), 'mallory is not an allowed approver (allowed: alice, bob)');
    // Exact match: no case folding, no prefixes.
    assert.match(approvalRefusal(listed, waiting, { by: 'Alice' }) ?? '', /not an allowed approver/);
  });

  it('four-eyes: the requester cannot approve their own run; someone else can', () => {
    assert.equal(approvalRefusal(fourEyes, waiting, { by: 'carol' }), 'four-eyes approval is on: carol requested this run and cannot approve it');
    assert.equal(approvalRefusal(fourEyes, waiting, { by: ' carol ' }), 'four-eyes approval is on: carol requested this run and cannot approve it');
    assert.equal(approvalRefusal(fourEyes, waiting, { by: 'dave' }), undefined);
    // Without four-eyes the requester may approve.
    assert.equal(approvalRefusal(anyone, waiting, { by: 'carol' }), undefined);
    // No recorded requester: nobody is excluded.
    assert.equal(approvalRefusal(fourEyes, { waiting: true, requiresSchemaAck: false }, { by: 'carol' }), undefined);
  });

  it('four-eyes and an approver list together: the list is checked first', () => {
    const both = ApprovalPolicySchema.parse({ approvers: ['carol', 'dave'], fourEyes: true });
    assert.match(approvalRefusal(both, waiting, { by: 'carol' }) ?? '', /^four-eyes/);
    assert.match(approvalRefusal(both, waiting, { by: 'erin' }) ?? '', /not an allowed approver/);
    assert.equal(approvalRefusal(both, waiting, { by: 'dave' }), undefined);
  });

  it('schema changes must be acknowledged with exactly true', () => {
    const gate = { ...waiting, requiresSchemaAck: true };
    const msg = 'this upgrade has schema changes that helm rollback cannot revert: approve with acknowledgeSchemaChanges: true (CLI: --ack-schema-changes)';
    assert.equal(approvalRefusal(anyone, gate, { by: 'dave' }), msg);
    for (const ack of [false, 'true', 1, 'yes']) assert.equal(approvalRefusal(anyone, gate, { by: 'dave', acknowledgeSchemaChanges: ack }), msg, String(ack));
    assert.equal(approvalRefusal(anyone, gate, { by: 'dave', acknowledgeSchemaChanges: true }), undefined);
  });

  it('the order of refusals: identity, phase, list, four-eyes, schema', () => {
    const closed: GateState = { waiting: false, requiresSchemaAck: true, requestedBy: 'carol' };
    assert.match(approvalRefusal(listed, closed, {}) ?? '', /must say who/);
    assert.match(approvalRefusal(listed, closed, { by: 'mallory' }) ?? '', /not waiting/);
    assert.match(approvalRefusal(listed, { ...closed, waiting: true }, { by: 'mallory' }) ?? '', /not an allowed approver/);
  });

  it('tolerates a missing args object (a Signal with no payload)', () => {
    assert.match(approvalRefusal(anyone, waiting, undefined as unknown as object) ?? '', /must say who approves/);
  });
});

describe('rejectionRefusal', () => {
  it('identity, phase and list apply; four-eyes and schema acknowledgement do not', () => {
    assert.equal(rejectionRefusal(anyone, waiting, {}), 'the rejection must say who rejects: set "by" to your name');
    assert.equal(rejectionRefusal(anyone, { ...waiting, waiting: false }, { by: 'dave' }), 'the run is not waiting for approval');
    assert.equal(rejectionRefusal(listed, waiting, { by: 'mallory' }), 'mallory is not an allowed approver (allowed: alice, bob)');
    assert.equal(rejectionRefusal(fourEyes, { ...waiting, requiresSchemaAck: true }, { by: 'carol' }), undefined);
    assert.equal(rejectionRefusal(listed, waiting, { by: 'bob' }), undefined);
  });
});

describe('abortRefusal', () => {
  it('needs who and why', () => {
    assert.equal(abortRefusal(anyone, 'carol', { reason: 'x' }, false), 'the abort must say who aborts: set "by" to your name');
    for (const reason of [undefined, '', '  ', 7]) {
      assert.equal(abortRefusal(anyone, 'carol', { by: 'dave', reason }, false), 'the abort needs a reason: set "reason"', String(reason));
    }
  });

  it('an ended run cannot be aborted', () => {
    assert.equal(abortRefusal(anyone, 'carol', { by: 'carol', reason: 'wrong target' }, true), 'the run has already ended');
  });

  it('the requester may always abort, even when not on the approver list', () => {
    assert.equal(abortRefusal(listed, 'carol', { by: 'carol', reason: 'wrong target' }, false), undefined);
    assert.equal(abortRefusal(listed, 'carol', { by: ' carol ', reason: 'wrong target' }, false), undefined);
  });

  it('others must be allowed approvers', () => {
    assert.equal(abortRefusal(listed, 'carol', { by: 'mallory', reason: 'x' }, false), 'mallory is not an allowed approver (allowed: alice, bob)');
    assert.equal(abortRefusal(listed, 'carol', { by: 'alice', reason: 'x' }, false), undefined);
    assert.equal(abortRefusal(anyone, undefined, { by: 'anyone', reason: 'x' }, false), undefined);
  });

  it('four-eyes does not stop the requester from aborting', () => {
    assert.equal(abortRefusal(fourEyes, 'carol', { by: 'carol', reason: 'stop' }, false), undefined);
  });
});
