// Activities of the SocTalk system runbooks against what the real programs print: helm
// 3.21's JSON (captured from the end-to-end bench) and the exact command lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandResult, CommandRunner, CommandSpec } from '../../src/activities/command.js';
import { createHelmActivities, withChartOf } from '../../src/activities/helm/activities.js';
import { parseList, parseReleaseStatus } from '../../src/activities/helm/parse.js';
import { kubectlDeleteArgs } from '../../src/activities/kubectl/commands.js';
import { createMigrationActivities } from '../../src/activities/soctalk/migration.js';
import { Redactor } from '../../src/activities/redaction.js';

const kube = { kubeconfig: '/tmp/kwok/kubeconfig' };
const ref = { release: 'soctalk-system', namespace: 'soctalk-system', kube };

// `helm status soctalk-system -o json` (helm 3.21.4): no "chart" key at all (config and manifest trimmed).
const STATUS_JSON = JSON.stringify({
  name: 'soctalk-system',
  info: { first_deployed: '2026-11-22T01:30:04.947575627Z', last_deployed: '2026-11-22T01:30:04.947575627Z', deleted: '', description: 'Install complete', status: 'deployed' },
  config: { image: { tag: '0.1.0' }, migration: { hook: false } },
  manifest: '---\n# Source: soctalk-system/templates/api-service.yaml\n',
  version: 1,
  namespace: 'soctalk-system',
});
// `helm list --all -o json`: revision is a string there.
const LIST_JSON =
  '[{"name":"soctalk-system","namespace":"soctalk-system","revision":"1","updated":"2026-11-22 01:30:04.947575627 +0000 UTC","status":"deployed","chart":"soctalk-system-0.1.0","app_version":"0.1.0"}]';
const HISTORY_JSON =
  '[{"revision":1,"updated":"2026-11-22T01:30:04.947575627Z","status":"deployed","chart":"soctalk-system-0.1.0","app_version":"0.1.0","description":"Install complete"}]';

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
  it('takes the chart version from helm list, since helm status -o json has none', async () => {
    const { runner, specs } = fakeRunner({ 'helm list': LIST_JSON, 'helm status': STATUS_JSON, 'helm history': HISTORY_JSON });
    const helm = createHelmActivities({ runner, workDir: '/tmp' });
    const state = await helm.helmReleaseState(ref);
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
      [
        ['helm', 'list', '--namespace', 'soctalk-system', '--all', '--output', 'json', '--kubeconfig', '/tmp/kwok/kubeconfig'],
        ['helm', 'status', '--namespace', 'soctalk-system', '--output', 'json', '--kubeconfig', '/tmp/kwok/kubeconfig', '--', 'soctalk-system'],
        ['helm', 'history', '--namespace', 'soctalk-system', '--max', '20', '--output', 'json', '--kubeconfig', '/tmp/kwok/kubeconfig', '--', 'soctalk-system'],
      ],
    );
  });

  it('keeps a chart that status reports, and never mixes revisions', () => {
    const listed = parseList(LIST_JSON)[0]!;
    const status = parseReleaseStatus(STATUS_JSON);
    assert.equal(status.chartVersion, undefined, 'the raw status has no chart');
    assert.equal(withChartOf({ ...status, chartName: 'soctalk-system', chartVersion: '0.3.0' }, listed).chartVersion, '0.3.0');
    assert.equal(withChartOf({ ...status, revision: 2 }, listed).chartVersion, undefined, 'list row of another revision');
  });

  it('recognises an upgrade an earlier attempt already made (needs the live chart version)', async () => {
    const upgradedList = LIST_JSON.replace('"revision":"1"', '"revision":"2"').replace('soctalk-system-0.1.0', 'soctalk-system-0.2.0');
    const upgradedStatus = STATUS_JSON.replace('"version":1', '"version":2');
    const { runner, specs } = fakeRunner({ 'helm list': upgradedList, 'helm status': upgradedStatus, 'helm history': HISTORY_JSON });
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
