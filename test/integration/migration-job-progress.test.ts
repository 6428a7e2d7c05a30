/**
 * The migration Job wait against a real API server (KWOK: the scheduler and Job controller
 * are real, the cluster's Stages play the kubelet): its heartbeats carry the Job's pods with
 * their phase as Kubernetes reports it, and a Job that cannot run says why when it gives up.
 * The activity runs in the SDK's MockActivityEnvironment, which records every heartbeat.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { CommandRunner, type CommandHeartbeat } from '../../src/activities/command.js';
import { createMigrationActivities, type MigrationOutcome } from '../../src/activities/soctalk/migration.js';
import { createKwokCluster, FAULT_LABEL, Fault, JOB_DURATION_ANNOTATION, type KwokCluster } from '../helpers/kwok.js';

const NAMESPACE = 'soctalk-system';

function job(name: string, opts: { duration?: string; fault?: string; nodeSelector?: Record<string, string> }) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: {
          ...(opts.duration ? { annotations: { [JOB_DURATION_ANNOTATION]: opts.duration } } : {}),
          ...(opts.fault ? { labels: { [FAULT_LABEL]: opts.fault } } : {}),
        },
        spec: {
          restartPolicy: 'Never',
          ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
          containers: [{ name: 'alembic', image: 'ghcr.io/gbrigandi/soctalk-api:0.2.0', command: ['alembic', 'upgrade', 'head'] }],
        },
      },
    },
  };
}

describe('waitForMigrationJob on KWOK: pod phases in the heartbeats', { timeout: 5 * 60_000 }, () => {
  let cluster: KwokCluster;
  let migration: ReturnType<typeof createMigrationActivities>;

  before(async () => {
    cluster = await createKwokCluster('job-progress');
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    const runner = new CommandRunner({ tools: { helm: 'helm', kubectl: cluster.env.KUBECTL_BIN ?? 'kubectl', pg_dump: 'false', pg_restore: 'false', psql: 'false' } });
    migration = createMigrationActivities({ runner, helm: { helmTemplate: () => Promise.reject(new Error('not used')) }, pollIntervalMs: 500 });
  });

  after(async () => {
    await cluster?.delete();
  });

  const apply = (manifest: object) => cluster.kubectl(['apply', '--filename', '-'], { input: stringify(manifest) });

  /** Runs the wait as an activity; every heartbeat it sends is kept. */
  async function wait(jobName: string, timeoutMs: number) {
    const env = new MockActivityEnvironment();
    const beats: CommandHeartbeat[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d as CommandHeartbeat));
    let ok: MigrationOutcome | undefined;
    let err: unknown;
    try {
      ok = await env.run(() => migration.waitForMigrationJob({ namespace: NAMESPACE, kube: { kubeconfig: cluster.kubeconfig }, jobName, timeoutMs }));
    } catch (e) {
      err = e;
    }
    return { beats, ok, err };
  }

  it('a running migration: its pod is Running in the heartbeats until the Job completes', async () => {
    await apply(job('alembic-slow', { duration: '6s' }));
    const { beats, ok, err } = await wait('alembic-slow', 90_000);
    assert.ok(ok, `the Job completed: ${String(err)}`);
    const withPods = beats.filter((b) => b.pods?.length);
    assert.ok(withPods.length > 0, `heartbeats carry the pods: ${JSON.stringify(beats.slice(-3))}`);
    for (const b of withPods) assert.equal(b.waitingFor, 'migration Job alembic-slow to complete');
    const running = withPods.find((b) => b.pods!.some((p) => p.phase === 'Running'));
    assert.ok(running, `a heartbeat shows the pod Running: ${JSON.stringify(withPods.map((b) => b.pods))}`);
    const pod = running.pods![0]!;
    assert.match(pod.name, /^alembic-slow-[a-z0-9]{5}$/, 'the pod of this Job, found by its selector');
    assert.equal(pod.restarts, 0);
    // The poll's own kubectl commands heartbeat with the same progress: no heartbeat loses it once pods are known.
    const first = beats.findIndex((b) => b.pods?.length);
    assert.ok(beats.slice(first).every((b) => b.waitingFor && b.pods?.length), 'every heartbeat after the first reading carries the pods');
  });

  it('a pod that cannot be scheduled: the wait gives up naming it Pending (Unschedulable)', async () => {
    await apply(job('alembic-stuck', { nodeSelector: { 'upgrade-runbooks.test/no-such-node': 'true' } }));
    const { beats, err } = await wait('alembic-stuck', 8_000);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.match(err.message, /^migration Job alembic-stuck did not complete within 8s; pods: alembic-stuck-[a-z0-9]{5}: Pending \(Unschedulable\)$/);
    assert.ok(beats.some((b) => b.pods?.some((p) => p.phase === 'Pending' && p.reason === 'Unschedulable')), 'the heartbeats said so while it waited');
  });

  it('a failed migration: the failure names the pod Failed with its exit code', async () => {
    await apply(job('alembic-broken', { duration: '1s', fault: Fault.JobFail }));
    const { err } = await wait('alembic-broken', 90_000);
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.match(err.message, /^migration Job alembic-broken failed \(BackoffLimitExceeded[^)]*\); pods: alembic-broken-[a-z0-9]{5}: Failed \(Error, exit code 1\); logs: /);
  });
});
