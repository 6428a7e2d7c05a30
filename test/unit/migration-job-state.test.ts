import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { jobState } from '../../src/activities/soctalk/migration.js';
import { fixturesDir } from '../helpers/paths.js';

/** `kubectl get job -o json` of real Jobs on Kubernetes 1.36 (KWOK): the alembic Job of the soctalk-system fixture chart. */
const jobStatus = (name: string): unknown => (JSON.parse(readFileSync(`${fixturesDir}kubectl-json/job-alembic-${name}.json`, 'utf8')) as { status: unknown }).status;

describe('jobState', () => {
  it('Complete (with SuccessCriteriaMet before it, as Kubernetes >= 1.31 reports)', () => {
    assert.deepEqual(jobState(jobStatus('complete')), { state: 'complete' });
  });

  it('Failed: reason and message (FailureTarget comes first and is not what decides)', () => {
    assert.deepEqual(jobState(jobStatus('failed')), { state: 'failed', reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit' });
  });

  it('running: an active pod and no conditions yet', () => {
    assert.deepEqual(jobState(jobStatus('running')), { state: 'running' });
  });

  it('a Job that has no status yet, or no Job status at all', () => {
    assert.deepEqual(jobState({}), { state: 'running' });
    assert.deepEqual(jobState(undefined), { state: 'running' });
  });

  it('conditions that are not True do not count', () => {
    assert.deepEqual(jobState({ conditions: [{ type: 'Failed', status: 'False' }, { type: 'Complete', status: 'Unknown' }] }), { state: 'running' });
    assert.deepEqual(jobState({ conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] }), { state: 'running' });
  });

  it('Failed wins over Complete; a Failed condition without reason or message still says Failed', () => {
    assert.deepEqual(jobState({ conditions: [{ type: 'Complete', status: 'True' }, { type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] }), {
      state: 'failed',
      reason: 'DeadlineExceeded',
    });
    assert.deepEqual(jobState({ conditions: [{ type: 'Failed', status: 'True' }] }), { state: 'failed', reason: 'Failed' });
  });
});
