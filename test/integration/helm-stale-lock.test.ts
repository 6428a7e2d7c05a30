/**
 * A revision this run's own helm left pending-upgrade, with real helm on KWOK. helm records
 * an upgrade's outcome at its end; a helm that never gets there (killed here with SIGKILL
 * while it waits, as when the API server vanishes mid-apply and helm cannot write) leaves the
 * revision pending-upgrade, and every later `helm upgrade` refuses. The activity sees its
 * helm exit, finds its own revision still pending, and marks it failed in helm's storage
 * Secret: real helm must then read that Secret (history, status) and upgrade again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { CommandRunner } from '../../src/activities/command.js';
import { createHelmActivities, type UpgradeRequest, type UpgradeResult } from '../../src/activities/helm/activities.js';
import { RUN_LABEL } from '../../src/activities/helm/run-mark.js';
import { chartsDir } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';

const NAMESPACE = 'helm-stale-lock';
const RELEASE = 'tenant-acme';
const RUN_ID = '00000000-0000-0000-0000-000000000000'; // MockActivityEnvironment's run

interface HistoryEntry {
  revision: number;
  status: string;
  description: string;
}

describe('a pending-upgrade revision left by this run\'s own helm, on KWOK with real helm', { timeout: 5 * 60_000 }, () => {
  let cluster: KwokCluster;
  let workDir: string;
  let helmBin: string;

  const helm = async (...args: string[]) => (await execa(helmBin, [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const history = async () => JSON.parse(await helm('history', RELEASE, '--namespace', NAMESPACE, '--output', 'json')) as HistoryEntry[];

  before(async () => {
    cluster = await createKwokCluster('stale-lock');
    helmBin = cluster.env.HELM_BIN ?? 'helm';
    workDir = await mkdtemp(join(tmpdir(), 'helm-stale-lock-'));
    await cluster.kubectl(['create', 'namespace', NAMESPACE]);
    await helm('install', RELEASE, join(chartsDir, 'soctalk-tenant'), '--namespace', NAMESPACE, '--wait', '--timeout', '60s');
  });

  after(async () => {
    await cluster?.delete();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const activities = () =>
    createHelmActivities({
      runner: new CommandRunner({ tools: { helm: helmBin, kubectl: cluster.env.KUBECTL_BIN ?? 'kubectl', pg_dump: 'false', pg_restore: 'false', psql: 'false' } }),
      workDir,
    });
  const upgrade = (adapterTag: string): UpgradeRequest => ({
    release: RELEASE,
    namespace: NAMESPACE,
    kube: { kubeconfig: cluster.kubeconfig },
    chart: { ref: join(chartsDir, 'soctalk-tenant') },
    values: { files: [], set: {} },
    setString: { 'adapter.image.tag': adapterTag },
    wait: true,
    timeoutMs: 120_000,
    fromRevision: 1,
  });

  /** The pid of the helm upgrade the activity started, once it runs. */
  async function helmUpgradePid(): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const found = await execa('pgrep', ['-f', `helm upgrade --namespace ${NAMESPACE} .* -- ${RELEASE} `], { reject: false });
      const pid = Number(found.stdout.split('\n')[0]);
      if (pid > 0) return pid;
      await sleep(100);
    }
    throw new Error('helm upgrade never started');
  }

  it('helm killed while it waits: the revision is marked failed, helm reads it, and the retry upgrades', async () => {
    const helmActivities = activities();
    // Pods that turn Ready only after 90 s: helm is still waiting when it is killed.
    const first = new MockActivityEnvironment()
      .run(() => helmActivities.helmUpgrade(upgrade(Build.readyAfter('0.2.0', '90s'))))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const pid = await helmUpgradePid();
    for (let i = 0; i < 100 && (await history()).length < 2; i++) await sleep(100);
    process.kill(pid, 'SIGKILL');
    const err = await first;
    assert.ok(err instanceof ApplicationFailure, `the upgrade failed: ${String(err)}`);
    assert.match(err.message, /helm could not record the outcome, so revision 2 stayed pending-upgrade with nobody running it: marked it failed$/);

    const afterKill = await history();
    assert.deepEqual(afterKill.map((h) => h.status), ['deployed', 'failed'], 'helm reads the rewritten Secret');
    assert.match(afterKill[1]!.description, new RegExp(`^Upgrade "${RELEASE}" failed: helm exited before recording the outcome \\(.*\\); marked failed by upgrade-runbooks run ${RUN_ID}, which ran that helm$`));
    const storage = JSON.parse(await cluster.kubectl(['get', 'secret', `sh.helm.release.v1.${RELEASE}.v2`, '--namespace', NAMESPACE, '--output', 'json'])) as { metadata: { labels: Record<string, string> } };
    assert.equal(storage.metadata.labels.status, 'failed', 'the storage label agrees with the release it holds');
    assert.equal(storage.metadata.labels[RUN_LABEL], RUN_ID, 'the run label stays');

    // The retry: helm upgrades again on top of the failed revision.
    const retried: UpgradeResult = await new MockActivityEnvironment().run(() => helmActivities.helmUpgrade(upgrade('0.2.0')));
    assert.deepEqual({ revision: retried.revision, status: retried.status, alreadyDone: retried.alreadyDone }, { revision: 3, status: 'deployed', alreadyDone: false });
    assert.deepEqual((await history()).map((h) => h.status), ['superseded', 'failed', 'deployed']);
  });
});
