import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { RunControlError, toRunControlError } from '../../src/chatops/run-control.js';

function mapped(err: unknown): RunControlError {
  try {
    toRunControlError(err, 'run-1', 60_000);
  } catch (e) {
    assert.ok(e instanceof RunControlError, `expected a RunControlError, got ${String(e)}`);
    return e;
  }
  assert.fail('toRunControlError returned');
}

describe('toRunControlError', () => {
  it("shows a validator's refusal as its own message", () => {
    const err = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'schema changes not acknowledged: approve with --ack-schema-changes' }));
    const result = mapped(err);
    assert.equal(result.kind, 'refused');
    assert.equal(result.message, 'schema changes not acknowledged: approve with --ack-schema-changes');
  });

  it('says when the run does not exist or has finished', () => {
    const result = mapped(new WorkflowNotFoundError('workflow execution already completed', 'run-1', undefined));
    assert.equal(result.kind, 'not-found');
    assert.match(result.message, /run run-1 was not found, or it has already finished/);
  });

  it('says when nobody answered in time, and that the request may still apply', () => {
    const result = mapped(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout'));
    assert.equal(result.kind, 'timeout');
    assert.match(result.message, /within 60s .* may still be applied/);
  });

  it('rethrows outages unchanged', () => {
    const outage = new Error('14 UNAVAILABLE: connection refused');
    assert.throws(() => toRunControlError(outage, 'run-1', 1000), (e) => e === outage);
  });
});
