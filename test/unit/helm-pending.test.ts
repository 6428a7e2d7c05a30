// An orphaned helm operation (issue 12): a retried upgrade that finds the release
// pending-upgrade with THIS run's mark waits for it and takes its result; one that is not
// ours is ReleaseBusy; a rollback never runs helm under a pending release. The fake runner
// answers like helm 3.21 and kubectl do, in sequence, so the polling is visible.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { helmUpgradeArgs } from '../../src/activities/helm/commands.js';
import { RUN_LABEL } from '../../src/activities/helm/run-mark.js';
import { Redactor } from '../../src/activities/redaction.js';

const RUN_ID = '00000000-0000-0000-0000-000000000000'; // MockActivityEnvironment's run
const kube = { kubeconfig: '/tmp/kwok/kubeconfig' };
const ref = { release: 'soctalk-system', namespace: 'soctalk-system', kube };

const history = (...entries: [number, string, string, string][]) =>
  JSON.stringify(entries.map(([revision, st, chart, description]) => ({ revision, updated: '2026-12-01T00:00:00Z', status: st, chart, description })));
const secrets = (runId?: string) => JSON.stringify({ items: [{ metadata: { name: 'sh.helm.release.v1.soctalk-system.v2', labels: { owner: 'helm', ...(runId ? { [RUN_LABEL]: runId } : {}) } } }] });

/** One snapshot of the release as `helm history --output json` prints it. */
type Snapshot = string;
const pendingUpgrade: Snapshot = history([1, 'deployed', 'soctalk-system-0.1.0', 'Install complete'], [2, 'pending-upgrade', 'soctalk-system-0.2.0', 'Preparing upgrade']);
const upgraded: Snapshot = history([1, 'superseded', 'soctalk-system-0.1.0', 'Install complete'], [2, 'deployed', 'soctalk-system-0.2.0', 'upgrade-runbooks run test']);
const upgradeFailed: Snapshot = history([1, 'deployed', 'soctalk-system-0.1.0', 'Install complete'], [2, 'failed', 'soctalk-system-0.2.0', 'Upgrade "soctalk-system" failed: context deadline exceeded']);

/** helm answers from the current snapshot; each `helm history` moves to the next one (the last repeats). */
function scriptedHelm(snapshots: Snapshot[], owner?: string) {
  const specs: CommandSpec[] = [];
  let i = -1;
  const runner = {
    redactor: new Redactor(),
    async run(spec: CommandSpec): Promise<CommandResult> {
      specs.push(spec);
      await Promise.resolve();
      const tool = typeof spec.tool === 'string' ? spec.tool : spec.tool.executable;
      if (tool === 'helm' && spec.args[0] === 'history') i = Math.min(i + 1, snapshots.length - 1);
      const snap = snapshots[Math.max(i, 0)]!;
      const stdout = tool === 'kubectl' ? secrets(owner) : spec.args[0] === 'history' ? snap : '';
      return { argv: [tool, ...spec.args], exitCode: 0, stdout, stdoutRedacted: stdout, stderr: '', durationMs: 1, truncated: false, dryRun: false };
    },
  };
  return { runner: runner as unknown as CommandRunner, specs, helmRuns: (sub: string) => specs.filter((s) => s.tool === 'helm' && s.args[0] === sub).length };
}

const upgradeRequest = {
  ...ref,
  chart: { ref: 'soctalk/soctalk-system' },
  version: '0.2.0',
  values: { files: [], set: {} },
  setString: { 'image.tag': '0.2.0' },
  wait: true,
  timeoutMs: 30_000,
  fromRevision: 1,
};

const inActivity = <T>(fn: () => Promise<T>) => new MockActivityEnvironment().run(fn);

describe('helm upgrade and an orphaned helm', () => {
  it('marks the upgrade with the run: --description with workflow and run ID, --labels with the run ID', () => {
    const args = helmUpgradeArgs({
      release: 'r',
      namespace: 'ns',
      kube: {},
      chart: 'c',
      valuesFiles: [],
      wait: true,
      timeoutMs: 60_000,
      mark: { description: 'upgrade-runbooks run release:ns/r (run abc)', labels: { [RUN_LABEL]: 'abc' } },
    });
    assert.deepEqual(args.slice(args.indexOf('--description'), args.indexOf('--description') + 4), ['--description', 'upgrade-runbooks run release:ns/r (run abc)', '--labels', `${RUN_LABEL}=abc`]);
  });

  it('a retry that finds pending-upgrade with its own mark waits for it and takes its result: no second helm upgrade', async () => {
    const fake = scriptedHelm([pendingUpgrade, pendingUpgrade, pendingUpgrade, upgraded], RUN_ID);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    const result = await inActivity(() => helm.helmUpgrade(upgradeRequest));
    assert.deepEqual(result, { revision: 2, status: 'deployed', chartVersion: '0.2.0', alreadyDone: true });
    assert.equal(fake.helmRuns('upgrade'), 0);
    assert.ok(fake.helmRuns('history') >= 4, 'it polled until the pending operation ended');
  });

  it('an orphan of ours that ended failed is reported as that failure, not retried under', async () => {
    const fake = scriptedHelm([pendingUpgrade, upgradeFailed], RUN_ID);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    await assert.rejects(
      inActivity(() => helm.helmUpgrade(upgradeRequest)),
      (err: unknown) => err instanceof ApplicationFailure && err.type === 'RolloutTimeout' && err.nonRetryable && /ended failed: .*context deadline exceeded/.test(err.message),
    );
    assert.equal(fake.helmRuns('upgrade'), 0);
  });

  it('pending-upgrade NOT marked by this run is ReleaseBusy, and helm is not run', async () => {
    for (const owner of [undefined, 'another-run']) {
      const fake = scriptedHelm([pendingUpgrade], owner);
      const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
      await assert.rejects(
        inActivity(() => helm.helmUpgrade(upgradeRequest)),
        (err: unknown) => err instanceof ApplicationFailure && err.type === 'ReleaseBusy' && /not this run's/.test(err.message),
      );
      assert.equal(fake.helmRuns('upgrade'), 0);
    }
  });

  it('a fresh upgrade carries the mark of the run', async () => {
    const deployed: Snapshot = history([1, 'deployed', 'soctalk-system-0.1.0', 'Install complete']);
    const fake = scriptedHelm([deployed, deployed, upgraded]);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    await inActivity(() => helm.helmUpgrade(upgradeRequest));
    const upgrade = fake.specs.find((s) => s.args[0] === 'upgrade')!;
    assert.ok(upgrade.args.includes(`${RUN_LABEL}=${RUN_ID}`), upgrade.args.join(' '));
    assert.equal(upgrade.args[upgrade.args.indexOf('--description') + 1], `upgrade-runbooks run test (run ${RUN_ID})`);
  });
});

describe('helm rollback never runs under a pending release', () => {
  const rollback = { ...ref, toRevision: 1, afterRevision: 1, wait: false, timeoutMs: 30_000 };

  it('waits for the pending upgrade to end, then rolls back', async () => {
    const fake = scriptedHelm([pendingUpgrade, pendingUpgrade, upgraded, upgraded]);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    await inActivity(() => helm.helmRollback({ ...rollback, pendingWaitMs: 10_000 }));
    const order = fake.specs.filter((s) => s.tool === 'helm').map((s) => s.args[0]);
    assert.equal(fake.helmRuns('rollback'), 1);
    // Two polls saw pending-upgrade, the third saw it deployed: only then the rollback.
    assert.deepEqual(order.slice(0, 4), ['history', 'history', 'history', 'rollback']);
  });

  it('stops with "manual action needed" naming release and revision when it stays pending', async () => {
    const fake = scriptedHelm([pendingUpgrade]);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    await assert.rejects(
      inActivity(() => helm.helmRollback({ ...rollback, pendingWaitMs: 50 })),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        /^manual action needed: release soctalk-system in soctalk-system is still pending-upgrade at revision 2 .*helm rollback was not run/.test(err.message),
    );
    assert.equal(fake.helmRuns('rollback'), 0);
  });

  it('its own pending rollback ("Rollback to 1" after the run\'s revision) is waited for and taken', async () => {
    const pendingRollback: Snapshot = history([1, 'superseded', 'soctalk-system-0.1.0', 'Install complete'], [2, 'failed', 'soctalk-system-0.2.0', 'x'], [3, 'pending-rollback', 'soctalk-system-0.1.0', 'Rollback to 1']);
    const rolledBack: Snapshot = history([1, 'superseded', 'soctalk-system-0.1.0', 'Install complete'], [2, 'failed', 'soctalk-system-0.2.0', 'x'], [3, 'deployed', 'soctalk-system-0.1.0', 'Rollback to 1']);
    const fake = scriptedHelm([pendingRollback, rolledBack]);
    const helm = createHelmActivities({ runner: fake.runner, workDir: '/tmp', pendingPollMs: 5 });
    const result = await inActivity(() => helm.helmRollback({ ...rollback, pendingWaitMs: 10_000 }));
    assert.deepEqual(result, { revision: 3, alreadyDone: true });
    assert.equal(fake.helmRuns('rollback'), 0);
  });
});
