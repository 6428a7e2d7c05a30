import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/domain/failure-types.js';
import { describeLiveRelease, helmRollbackName, selectRollbackTarget } from '../../src/workflows/release-steps/index.js';

const history = [2, 3, 4, 5].map((revision) => ({ revision, updated: '', status: revision === 5 ? 'deployed' : 'superseded', chart: `opencti-${revision < 3 ? '1' : '2'}.0.0` }));

describe('rollback target selection (one rule for every runbook)', () => {
  it('defaults to the newest revision older than the current one', () => {
    assert.deepEqual(selectRollbackTarget('opencti', history, 5), { revision: 4, entry: history[2] });
    assert.deepEqual(selectRollbackTarget('opencti', history, 5, 2), { revision: 2, entry: history[0] });
  });

  it('defaults by revision, not by where an entry stands in the history', () => {
    // The current revision is not always the newest entry: a failed upgrade can stand after it.
    assert.equal(selectRollbackTarget('opencti', history, 4).revision, 3);
  });

  for (const [name, current, requested, message] of [
    ['the revision running now', 5, 5, 'toRevision: 5 is the revision running now, so rolling back to it changes nothing; choose one of 2, 3, 4'],
    ['a newer revision', 4, 5, 'toRevision: 5 is newer than the current revision 4, which is not a rollback; choose one of 2, 3'],
    ['a revision helm no longer keeps', 5, 1, 'toRevision: revision 1 is not in the history of opencti (revisions: 2, 3, 4, 5); choose one of 2, 3, 4'],
    ['no older revision at all', 2, undefined, 'toRevision: opencti has no revision older than the current revision 2 (revisions: 2, 3, 4, 5)'],
    ['the only revision, asked for by number', 2, 2, 'toRevision: 2 is the revision running now, so rolling back to it changes nothing; there is nothing older to roll back to'],
  ] as const) {
    it(`refuses ${name} as a non-retryable InvalidInput naming the field`, () => {
      assert.throws(
        () => selectRollbackTarget('opencti', history, current, requested),
        (err: unknown) => err instanceof ApplicationFailure && err.type === FailureType.InvalidInput && err.nonRetryable && err.message === message,
      );
    });
  }

  it('refuses anything when helm keeps no history', () => {
    assert.throws(() => selectRollbackTarget('opencti', [], 1), /^ApplicationFailure: toRevision: opencti has no revision older than the current revision 1 \(revisions: none\)$/);
  });
});

describe('release-step names and journal lines', () => {
  it('names the compensation the same way everywhere', () => {
    assert.equal(helmRollbackName('soctalk-system', 3), 'helm rollback soctalk-system to revision 3');
  });

  it('describes the live release with its chart when helm reports one', () => {
    const status = { name: 'soctalk-system', namespace: 'soctalk-system', revision: 3, status: 'deployed' };
    assert.equal(describeLiveRelease({ exists: true, history: [], status: { ...status, chartName: 'soctalk-system', chartVersion: '0.1.0' } }), 'revision 3, deployed, chart soctalk-system-0.1.0');
    assert.equal(describeLiveRelease({ exists: true, history: [], status }), 'revision 3, deployed');
    assert.equal(describeLiveRelease({ exists: false, history: [] }), 'not installed');
  });
});
