import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { jobPods, jobPodSelector, podSummary } from '../../src/activities/job-pods.js';
import type { KubeObject } from '../../src/activities/kube-json.js';
import { progressLines, progressSummary, type ActivityProgress } from '../../src/cli/activity-progress.js';
import { fixturesDir } from '../helpers/paths.js';

const pod = (name: string, created: string, status: Record<string, unknown>): KubeObject => ({ kind: 'Pod', metadata: { name, creationTimestamp: created }, status });

/** Pod statuses as the kubelet reports them for the situations an operator must tell apart. */
const pending = pod('alembic-a', '2026-12-01T10:00:00Z', {
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
});
const pulling = pod('alembic-b', '2026-12-01T10:00:01Z', {
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'True' }],
  containerStatuses: [{ name: 'alembic', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
});
const crashing = pod('alembic-c', '2026-12-01T10:00:02Z', {
  phase: 'Running',
  containerStatuses: [{ name: 'alembic', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
});
const failed = pod('alembic-d', '2026-12-01T10:00:03Z', {
  phase: 'Failed',
  containerStatuses: [{ name: 'alembic', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1 } } }],
});
const evicted = pod('alembic-e', '2026-12-01T10:00:04Z', { phase: 'Failed', reason: 'Evicted' });
const running = pod('alembic-f', '2026-12-01T10:00:05Z', {
  phase: 'Running',
  initContainerStatuses: [{ name: 'wait-db', restartCount: 1, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
  containerStatuses: [{ name: 'alembic', restartCount: 1, state: { running: { startedAt: '2026-12-01T10:01:00Z' } } }],
});
const succeeded = pod('alembic-g', '2026-12-01T10:00:06Z', {
  phase: 'Succeeded',
  containerStatuses: [{ name: 'alembic', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
});

describe('jobPods: phase, restarts and the reason of each pod of a Job', () => {
  it('tells apart unschedulable, image pull, crash loop, a failed container, an eviction, running and done', () => {
    assert.deepEqual(jobPods([succeeded, running, evicted, failed, crashing, pulling, pending]), [
      { name: 'alembic-a', phase: 'Pending', restarts: 0, reason: 'Unschedulable' },
      { name: 'alembic-b', phase: 'Pending', restarts: 0, reason: 'ImagePullBackOff' },
      { name: 'alembic-c', phase: 'Running', restarts: 3, reason: 'CrashLoopBackOff' },
      { name: 'alembic-d', phase: 'Failed', restarts: 0, reason: 'Error, exit code 1' },
      { name: 'alembic-e', phase: 'Failed', restarts: 0, reason: 'Evicted' },
      // Restarts of init containers count: they delay the migration as much.
      { name: 'alembic-f', phase: 'Running', restarts: 2 },
      { name: 'alembic-g', phase: 'Succeeded', restarts: 0 },
    ]);
  });

  it('a pod with no status yet is Unknown; no pods is an empty list', () => {
    assert.deepEqual(jobPods([{ kind: 'Pod', metadata: { name: 'new' } }]), [{ name: 'new', phase: 'Unknown', restarts: 0 }]);
    assert.deepEqual(jobPods([]), []);
  });

  it('selects the pods by the Job own selector (a real Job on Kubernetes 1.36), else by job-name', () => {
    const job = JSON.parse(readFileSync(`${fixturesDir}kubectl-json/job-alembic-running.json`, 'utf8')) as KubeObject;
    assert.equal(jobPodSelector(job), 'batch.kubernetes.io/controller-uid=18fc30e2-2a83-4016-8ec3-3ce1cc7f3f02');
    assert.equal(jobPodSelector({ kind: 'Job', metadata: { name: 'alembic-old' }, spec: {} }), 'job-name=alembic-old');
  });
});

describe('how status and watch print a Job wait', () => {
  const progress: ActivityProgress = {
    activity: 'waitForMigrationJob',
    attempt: 1,
    state: 'started',
    details: {
      command: 'wait for job/soctalk-system-alembic-upgrade',
      elapsedMs: 95_000,
      lastLines: [],
      waitingFor: 'migration Job soctalk-system-alembic-upgrade to complete',
      pods: jobPods([crashing, pulling]),
    },
  };

  it('podSummary: restarts only when there are some, singular for one', () => {
    assert.equal(podSummary({ name: 'p', phase: 'Running', restarts: 1 }), 'p: Running, 1 restart');
    assert.equal(podSummary({ name: 'p', phase: 'Running', restarts: 0 }), 'p: Running');
    assert.equal(podSummary({ name: 'p', phase: 'Pending' }), 'p: Pending');
    assert.equal(podSummary({ name: 'p', phase: 'Running', restarts: 3, reason: 'CrashLoopBackOff' }), 'p: Running, 3 restarts (CrashLoopBackOff)');
  });

  it('status: the wait, then one line per pod', () => {
    assert.deepEqual(progressLines([progress]), [
      '  waitForMigrationJob: waiting for migration Job soctalk-system-alembic-upgrade to complete: 95s elapsed',
      '    command: wait for job/soctalk-system-alembic-upgrade',
      '    pod alembic-b: Pending (ImagePullBackOff)',
      '    pod alembic-c: Running, 3 restarts (CrashLoopBackOff)',
    ]);
  });

  it('watch: one line with every pod', () => {
    assert.equal(
      progressSummary(progress),
      'waitForMigrationJob: waiting for migration Job soctalk-system-alembic-upgrade to complete: 95s: pod alembic-b Pending (ImagePullBackOff), pod alembic-c Running, 3 restarts (CrashLoopBackOff)',
    );
  });
});
