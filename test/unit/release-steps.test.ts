import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/domain/failure-types.js';
import { helmRollbackName, rollbackTargetProblem, selectRollbackTarget } from '../../src/workflows/release-steps/index.js';

const history = [2, 3, 4, 5].map((revision) => ({ revision, updated: '', status: revision === 5 ? 'deployed' : 'superseded', chart: `opencti-${revision < 3 ? '1' : '2'}.0.0` }));

describe('rollback target selection (one rule for every runbook)', () => {
  it('defaults to the newest revision older than the current one', () => {
    assert.deepEqual(selectRollbackTarget('opencti', history, 5), { revision: 4, entry: history[2] });
    assert.equal(selectRollbackTarget('opencti', history, 5, 2).revision, 2);
  });

  for (const [name, current, requested, message] of [
    ['the current revision', 5, 5, 'toRevision: 5 is not older than the current revision 5'],
    ['a newer revision', 4, 5, 'toRevision: 5 is not older than the current revision 4'],
    ['a revision helm no longer keeps', 5, 1, 'toRevision: revision 1 is not in the history of opencti (revisions: 2, 3, 4, 5)'],
    ['no older revision at all', 2, undefined, 'toRevision: opencti has no revision older than the current revision 2 (revisions: 2, 3, 4, 5)'],
  ] as const) {
    it(`refuses ${name} as InvalidInput naming the field`, () => {
      assert.equal(rollbackTargetProblem('opencti', history, current, requested), message);
      assert.throws(
        () => selectRollbackTarget('opencti', history, current, requested),
        (err: unknown) => err instanceof ApplicationFailure && err.type === FailureType.InvalidInput && err.nonRetryable && err.message === message,
      );
    });
  }

  it('names the compensation the same way everywhere', () => {
    assert.equal(helmRollbackName('soctalk-system', 3), 'helm rollback soctalk-system to revision 3');
  });
});
