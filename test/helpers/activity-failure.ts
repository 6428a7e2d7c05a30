// The ApplicationFailure an activity (or anything that throws like one) rejects with; fails
// the test when the promise resolves or rejects with something else.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

export async function activityFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    return err;
  }
  assert.fail('expected a failure');
}
