// A revision this run's own helm left pending-upgrade (the API server went away while helm
// applied the target, so helm could record nothing): once helm has exited and the API is
// back, the activity marks that revision failed in helm's storage object, the way helm would
// have, so neither the retry nor the rollback is locked out. Anything else is left alone.
// The fake runner answers like helm 3.21 and kubectl do; the real encoding is checked against
// real helm in test/integration/helm-stale-lock.test.ts.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/activities/command.js';
import { createHelmActivities, helmErrorOf } from '../../src/activities/helm/activities.js';
import { RUN_LABEL } from '../../src/activities/helm/run-mark.js';
import { decodeRelease, encodeRelease, releaseStorageKind, releaseStorageName } from '../../src/activities/helm/release-storage.js';
import { Redactor } from '../../src/activities/redaction.js';
import { FailureType } from '../../src/domain/failure-types.js';

const RUN_ID = '00000000-0000-0000-0000-000000000000'; // MockActivityEnvironment's run
const kube = { kubeconfig: '/tmp/kwok/kubeconfig' };
const ref = { release: 'soctalk-system', namespace: 'soctalk-system', kube };

const history = (...entries: [number, string, string][]) =>
  JSON.stringify(entries.map(([revision, status, description]) => ({ revision, updated: '2026-12-01T00:00:00Z', status, chart: `soctalk-system-0.${revision}.0`, description })));
const deployed = history([1, 'deployed', 'Install complete']);
const leftPending = history([1, 'deployed', 'Install complete'], [2, 'pending-upgrade', 'Preparing upgrade']);
const recordedFailed = history([1, 'deployed', 'Install complete'], [2, 'failed', 'Upgrade "soctalk-system" failed: timed out waiting for the condition']);

const unreachable = () =>
  ApplicationFailure.create({ type: FailureType.ClusterUnreachable, nonRetryable: false, message: 'kubectl: dial tcp 127.0.0.1:6443: connect: connection refused' });

/** helm's release JSON for revision 2 as the secrets driver stores it (gzip, base64; the API shows the Secret's bytes base64 again). */
const releaseJson = { name: 'soctalk-system', namespace: 'soctalk-system', version: 2, info: { status: 'pending-upgrade', description: 'Preparing upgrade' }, config: { x: 1 } };
const helmEncoded = gzipSync(Buffer.from(JSON.stringify(releaseJson))).toString('base64');
const storageSecret = (runId: string | undefined, status = 'pending-upgrade') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'helm.sh/release.v1',
  metadata: {
    name: releaseStorageName('soctalk-system', 2),
    namespace: 'soctalk-system',
    resourceVersion: '4711',
    labels: { owner: 'helm', name: 'soctalk-system', version: '2', status, ...(runId ? { [RUN_LABEL]: runId } : {}) },
  },
  data: { release: Buffer.from(helmEncoded).toString('base64') },
});

/** `histories`: one answer per `helm history` (an Error is thrown), the last repeats; `owner`: the revision's run label ('' for none). */
function fakeCluster(histories: (string | Error)[], owner = RUN_ID) {
  const specs: CommandSpec[] = [];
  let reads = 0;
  const ok = (spec: CommandSpec, stdout: string): CommandResult => ({ argv: [typeof spec.tool === 'string' ? spec.tool : spec.tool.executable, ...spec.args], exitCode: 0, stdout, stdoutRedacted: stdout, stderr: '', durationMs: 1, truncated: false, dryRun: false });
  const runner = {
    redactor: new Redactor(),
    async run(spec: CommandSpec): Promise<CommandResult> {
      specs.push(spec);
      await Promise.resolve();
      const [verb] = spec.args;
      if (spec.tool === 'helm' && verb === 'history') {
        const answer = histories[Math.min(reads++, histories.length - 1)]!;
        if (answer instanceof Error) throw answer;
        return ok(spec, answer);
      }
      if (spec.tool === 'helm' && verb === 'upgrade') {
        throw ApplicationFailure.create({ type: FailureType.ClusterUnreachable, nonRetryable: false, message: 'helm upgrade failed: Error: UPGRADE FAILED: connection refused' });
      }
      if (spec.tool === 'helm') return ok(spec, '');
      if (verb === 'get' && spec.args.includes('--selector')) return ok(spec, JSON.stringify({ items: [storageSecret(owner || undefined)] }));
      if (verb === 'get') return ok(spec, JSON.stringify(storageSecret(owner || undefined)));
      return ok(spec, '');
    },
  };
  const replaced = () => specs.filter((s) => s.tool === 'kubectl' && s.args[0] === 'replace');
  return { runner: runner as unknown as CommandRunner, specs, replaced };
}

const upgradeRequest = {
  ...ref,
  chart: { ref: 'soctalk/soctalk-system' },
  version: '0.2.0',
  values: { files: [], set: {} },
  wait: true,
  timeoutMs: 30_000,
  fromRevision: 1,
};

const upgradeWith = (fake: ReturnType<typeof fakeCluster>) =>
  new MockActivityEnvironment().run(() => createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5, staleLockReadWaitMs: 1_000 }).helmUpgrade(upgradeRequest));

describe('a revision this run\'s own helm left pending-upgrade', () => {
  it('is marked failed once the API answers again, and the failure says so and stays retryable', async () => {
    const fake = fakeCluster([deployed, unreachable(), unreachable(), leftPending]);
    await assert.rejects(upgradeWith(fake), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, FailureType.ClusterUnreachable);
      assert.equal(err.nonRetryable, false, 'the retry upgrades again');
      assert.match(err.message, /^helm upgrade failed: .*connection refused; helm could not record the outcome, so revision 2 stayed pending-upgrade with nobody running it: marked it failed$/);
      return true;
    });
    const [replace] = fake.replaced();
    assert.ok(replace, 'the storage object was replaced');
    assert.deepEqual(replace.args, ['replace', '--filename', '-', '--namespace', 'soctalk-system', '--kubeconfig', '/tmp/kwok/kubeconfig']);
    const written = JSON.parse(replace.input!) as ReturnType<typeof storageSecret>;
    assert.equal(written.metadata.resourceVersion, '4711', 'the write is conditional on the object read');
    assert.equal(written.metadata.labels.status, 'failed');
    assert.equal(written.metadata.labels[RUN_LABEL], RUN_ID, 'the run label stays');
    assert.match((written.metadata.labels as Record<string, string>).modifiedAt ?? '', /^\d+$/, 'modifiedAt, as helm sets it');
    assert.equal(written.type, 'helm.sh/release.v1');
    const release = decodeRelease(Buffer.from(written.data.release, 'base64').toString('utf8'));
    assert.deepEqual(release.config, releaseJson.config, 'the rest of the release is kept');
    assert.equal((release.info as { status: string }).status, 'failed');
    assert.match((release.info as { description: string }).description, new RegExp(`^Upgrade "soctalk-system" failed: helm exited before recording the outcome \\(helm upgrade failed: .*connection refused\\); marked failed by upgrade-runbooks run ${RUN_ID}, which ran that helm$`));
  });

  it('is left alone when it is not this run\'s: the failure is helm\'s own', async () => {
    for (const owner of ['', 'another-run']) {
      const fake = fakeCluster([deployed, leftPending], owner);
      await assert.rejects(upgradeWith(fake), (err: unknown) => err instanceof ApplicationFailure && err.message === 'helm upgrade failed: Error: UPGRADE FAILED: connection refused');
      assert.equal(fake.replaced().length, 0);
    }
  });

  it('nothing is written when helm recorded the failure itself, or the pending revision is not the one this attempt created', async () => {
    const otherRevision = history([1, 'deployed', 'Install complete'], [2, 'failed', 'x'], [3, 'pending-upgrade', 'Preparing upgrade']);
    for (const after of [recordedFailed, otherRevision]) {
      const fake = fakeCluster([deployed, after]);
      await assert.rejects(upgradeWith(fake), (err: unknown) => err instanceof ApplicationFailure && !/marked it failed/.test(err.message));
      assert.equal(fake.replaced().length, 0);
    }
  });

  it('an API that stays away: the original failure, nothing written (the retry waits for the pending operation instead)', async () => {
    const fake = fakeCluster([deployed, unreachable()]);
    await assert.rejects(upgradeWith(fake), (err: unknown) => err instanceof ApplicationFailure && err.message === 'helm upgrade failed: Error: UPGRADE FAILED: connection refused');
    assert.equal(fake.replaced().length, 0);
  });
});

describe('what a failed helm said, for helm history', () => {
  it('the exit and helm\'s last stderr line, not the command line; a killed helm says so', () => {
    const failed = (exitCode: number, stderrTail: string) =>
      ApplicationFailure.create({ type: FailureType.ClusterUnreachable, message: `ClusterUnreachable: \`/opt/helm upgrade --namespace ns -- r chart\` exited ${exitCode}: ${stderrTail}`, details: [{ argv: [], exitCode, stderrTail }] });
    assert.equal(helmErrorOf(failed(1, 'W1203 warning: skew\nError: UPGRADE FAILED: connection refused\n')), 'helm exited 1: Error: UPGRADE FAILED: connection refused');
    assert.equal(helmErrorOf(failed(-1, '')), 'helm exited -1: no output (killed)');
    assert.equal(helmErrorOf(new Error('first\nsecond')), 'first');
    assert.equal(helmErrorOf(failed(1, 'x'.repeat(400))).length, 240);
  });
});

describe('helm release storage encoding', () => {
  it('decodes helm\'s gzipped and its older plain form, and encodes back to what helm decodes', () => {
    assert.deepEqual(decodeRelease(helmEncoded), releaseJson);
    assert.deepEqual(decodeRelease(Buffer.from(JSON.stringify(releaseJson)).toString('base64')), releaseJson);
    const again = encodeRelease(releaseJson);
    assert.deepEqual([...Buffer.from(again, 'base64').subarray(0, 3)], [0x1f, 0x8b, 0x08], 'gzip, as helm writes it');
    assert.deepEqual(decodeRelease(again), releaseJson);
  });

  it('edits only the storage drivers it knows', () => {
    assert.equal(releaseStorageKind(''), 'secret');
    assert.equal(releaseStorageKind('secrets'), 'secret');
    assert.equal(releaseStorageKind('configmap'), 'configmap');
    assert.equal(releaseStorageKind('sql'), undefined);
    assert.equal(releaseStorageKind('memory'), undefined);
  });
});
