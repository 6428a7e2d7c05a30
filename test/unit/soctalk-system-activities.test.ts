// Activities of the SocTalk system runbooks against what the real programs print: helm
// 3.21's JSON (captured from the end-to-end bench) and the exact command lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { CommandRunner, toolPathsFromEnv, type CommandResult, type CommandSpec } from '../../src/activities/command.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { fixturesDir } from '../helpers/paths.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { kubectlDeleteArgs } from '../../src/activities/kubectl/commands.js';
import { createMigrationActivities } from '../../src/activities/soctalk/migration.js';
import { Redactor } from '../../src/activities/redaction.js';

const kube = { kubeconfig: '/tmp/kwok/kubeconfig' };
const ref = { release: 'soctalk-system', namespace: 'soctalk-system', kube };

const HISTORY_JSON =
  '[{"revision":1,"updated":"2026-11-22T01:30:04.947575627Z","status":"deployed","chart":"soctalk-system-0.1.0","app_version":"0.1.0","description":"Install complete"}]';
const UPGRADED_HISTORY_JSON =
  '[{"revision":1,"updated":"2026-11-22T01:30:04.947575627Z","status":"superseded","chart":"soctalk-system-0.1.0","app_version":"0.1.0","description":"Install complete"},' +
  '{"revision":2,"updated":"2026-11-22T01:31:04.947575627Z","status":"deployed","chart":"soctalk-system-0.2.0","app_version":"0.2.0","description":"Upgrade complete"}]';

/** Answers helm by subcommand and records every command. */
function fakeRunner(answers: Record<string, string>) {
  const specs: CommandSpec[] = [];
  const redactor = new Redactor();
  const runner = {
    redactor,
    async run(spec: CommandSpec): Promise<CommandResult> {
      specs.push(spec);
      await Promise.resolve();
      const tool = typeof spec.tool === 'string' ? spec.tool : spec.tool.executable;
      const stdout = answers[`${tool} ${spec.args[0]}`] ?? '';
      return { argv: [tool, ...spec.args], exitCode: 0, stdout, stdoutRedacted: stdout, stderr: '', durationMs: 1, truncated: false, dryRun: false };
    },
  };
  return { runner: runner as unknown as CommandRunner, specs };
}

describe('helm release state against helm 3.21 output', () => {
  it('is one helm history: the latest revision with its chart and app version (helm 3.21 status -o json has no chart)', async () => {
    const { runner, specs } = fakeRunner({ 'helm history': HISTORY_JSON });
    const helm = createHelmActivities({ runner, workDir: '/tmp' });
    const state = await helm.helmReleaseState(ref);
    assert.equal(state.exists, true);
    assert.deepEqual(state.status, {
      name: 'soctalk-system',
      namespace: 'soctalk-system',
      revision: 1,
      status: 'deployed',
      chartName: 'soctalk-system',
      chartVersion: '0.1.0',
      appVersion: '0.1.0',
    });
    assert.deepEqual(
      specs.map((s) => [s.tool, ...s.args]),
      [['helm', 'history', '--namespace', 'soctalk-system', '--max', '20', '--output', 'json', '--kubeconfig', '/tmp/kwok/kubeconfig', '--', 'soctalk-system']],
    );
  });

  it('a release with no revision is not there: the real runner turns helm history\'s "release: not found" (exit 1) into exists: false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'helm-not-found-'));
    try {
      const helmBin = join(dir, 'helm');
      // What helm 3.21 prints for a release it has no revision of, and its exit code.
      await writeFile(helmBin, `#!/bin/sh\ncat '${fixturesDir}helm-json/history-not-found.stderr' >&2\nexit 1\n`, { mode: 0o755 });
      const helm = createHelmActivities({ runner: new CommandRunner({ tools: { ...toolPathsFromEnv({}), helm: helmBin } }), workDir: dir });
      assert.deepEqual(await helm.helmReleaseState(ref), { exists: false, history: [] });
      // Any other failure of helm history is not taken for a missing release.
      await writeFile(helmBin, `#!/bin/sh\necho 'Error: Kubernetes cluster unreachable: connection refused' >&2\nexit 1\n`, { mode: 0o755 });
      await assert.rejects(helm.helmReleaseState(ref), (err: unknown) => err instanceof ApplicationFailure && err.type === FailureType.ClusterUnreachable);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recognises an upgrade an earlier attempt already made (needs the live chart version)', async () => {
    const { runner, specs } = fakeRunner({ 'helm history': UPGRADED_HISTORY_JSON });
    const helm = createHelmActivities({ runner, workDir: '/tmp' });
    const result = await helm.helmUpgrade({
      ...ref,
      chart: { ref: 'soctalk/soctalk-system' },
      version: '0.2.0',
      values: { files: [], set: {} },
      setString: { 'image.tag': '0.2.0' },
      wait: true,
      timeoutMs: 600_000,
      fromRevision: 1,
    });
    assert.deepEqual(result, { revision: 2, status: 'deployed', chartVersion: '0.2.0', alreadyDone: true });
    assert.ok(!specs.some((s) => s.args[0] === 'upgrade'), 'no second helm upgrade');
  });
});

describe('Alembic Job deletion before a rollback', () => {
  it('runs kubectl delete job --ignore-not-found --wait in the release namespace', async () => {
    const { runner, specs } = fakeRunner({});
    const migration = createMigrationActivities({ runner, helm: { helmTemplate: () => Promise.resolve('') } });
    await migration.deleteMigrationJob({ namespace: 'soctalk-system', kube, jobName: 'soctalk-system-alembic-upgrade' });
    assert.deepEqual(
      specs.map((s) => [s.tool, ...s.args]),
      [['kubectl', 'delete', 'job', '--ignore-not-found', '--wait', '--namespace', 'soctalk-system', '--kubeconfig', '/tmp/kwok/kubeconfig', '--', 'soctalk-system-alembic-upgrade']],
    );
    assert.deepEqual(kubectlDeleteArgs({ namespace: 'ns', kube: {} }, 'job', 'j'), ['delete', 'job', '--ignore-not-found', '--wait', '--namespace', 'ns', '--', 'j']);
    assert.equal(specs[0]?.mutates, true);
  });
});
