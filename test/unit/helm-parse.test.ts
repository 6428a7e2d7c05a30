import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { isPending, latestRevision, parseHistory, parseList, splitChartLabel, PENDING_STATUSES } from '../../src/activities/helm/parse.js';
import { fixturesDir } from '../helpers/paths.js';

/** Real helm 3.21.4 output, captured from a KWOK cluster (see test/fixtures/helm-json/README.md). */
const fixture = (name: string): string => readFileSync(`${fixturesDir}helm-json/${name}`, 'utf8');

function parseFailure(fn: () => unknown): ApplicationFailure {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the parser to throw');
}

describe('latestRevision: the release as helm status shows it, from helm history alone', () => {
  const release = { name: 'soctalk-system', namespace: 'soctalk-system' };
  const latest = (file: string) => latestRevision(release, parseHistory(fixture(file)));

  it('a fresh install: revision 1, deployed, with the chart that helm 3.21 status -o json does not print', () => {
    assert.equal((JSON.parse(fixture('status-rev1-deployed.json')) as { chart?: unknown }).chart, undefined, 'the status JSON has no chart');
    assert.deepEqual(latest('history-rev1.json'), {
      name: 'soctalk-system',
      namespace: 'soctalk-system',
      revision: 1,
      status: 'deployed',
      chartName: 'soctalk-system',
      chartVersion: '0.1.0',
      appVersion: '0.1.0',
    });
  });

  it('agrees with helm status on revision and status in every captured state', () => {
    for (const [history, status] of [
      ['history-rev1.json', 'status-rev1-deployed.json'],
      ['history-after-failed-upgrade.json', 'status-rev3-failed.json'],
      ['history-after-rollback.json', 'status-rev4-rollback.json'],
      ['history-pending-upgrade.json', 'status-rev5-pending-upgrade.json'],
    ] as const) {
      const s = JSON.parse(fixture(status)) as { version: number; info: { status: string } };
      const l = latest(history)!;
      assert.deepEqual([l.revision, l.status], [s.version, s.info.status], history);
    }
  });

  it('a failed upgrade: the failed revision with the chart it tried', () => {
    const s = latest('history-after-failed-upgrade.json')!;
    assert.deepEqual([s.revision, s.status, s.chartVersion, s.appVersion], [3, 'failed', '0.3.0-rc.1', '0.3.0-rc.1']);
    assert.equal(isPending(s.status), false);
  });

  it('after a rollback: the rollback revision on the chart it went back to', () => {
    const s = latest('history-after-rollback.json')!;
    assert.deepEqual([s.revision, s.status, s.chartVersion], [4, 'deployed', '0.2.0']);
  });

  it('an upgrade killed mid-way leaves the release locked in pending-upgrade', () => {
    const s = latest('history-pending-upgrade.json')!;
    assert.deepEqual({ revision: s.revision, status: s.status, chartVersion: s.chartVersion }, { revision: 5, status: 'pending-upgrade', chartVersion: '0.3.0-rc.1' });
    assert.equal(isPending(s.status), true);
  });

  it('no revision: undefined; a chart label without a version names no chart rather than a wrong one', () => {
    assert.equal(latestRevision(release, []), undefined);
    const entry = parseHistory(fixture('history-rev1.json'))[0]!;
    const s = latestRevision(release, [{ ...entry, chart: 'soctalk-system' }])!;
    assert.equal(s.chartName, undefined);
    assert.equal(s.chartVersion, undefined);
  });
});

describe('parseHistory (helm history --output json)', () => {
  it('after install', () => {
    assert.deepEqual(parseHistory(fixture('history-rev1.json')), [
      { revision: 1, updated: '2026-11-22T01:25:04.951606275Z', status: 'deployed', chart: 'soctalk-system-0.1.0', appVersion: '0.1.0', description: 'Install complete' },
    ]);
  });

  it('install, upgrade, failed upgrade, rollback: statuses and descriptions in revision order', () => {
    const h = parseHistory(fixture('history-after-rollback.json'));
    assert.deepEqual(
      h.map((e) => [e.revision, e.status, e.chart, e.appVersion, e.description]),
      [
        [1, 'superseded', 'soctalk-system-0.1.0', '0.1.0', 'Install complete'],
        [2, 'superseded', 'soctalk-system-0.2.0', '0.2.0', 'Upgrade complete'],
        [3, 'failed', 'soctalk-system-0.3.0-rc.1', '0.3.0-rc.1', 'Upgrade "soctalk-system" failed: context deadline exceeded'],
        [4, 'deployed', 'soctalk-system-0.2.0', '0.2.0', 'Rollback to 2'],
      ],
    );
  });

  it('a pending-upgrade revision at the end', () => {
    const last = parseHistory(fixture('history-pending-upgrade.json')).at(-1)!;
    assert.deepEqual(last, {
      revision: 5,
      updated: '2026-11-22T01:25:58.586059382Z',
      status: 'pending-upgrade',
      chart: 'soctalk-system-0.3.0-rc.1',
      appVersion: '0.3.0-rc.1',
      description: 'Preparing upgrade',
    });
  });

  it('malformed entries name the index and field', () => {
    const h = JSON.parse(fixture('history-after-rollback.json')) as Record<string, unknown>[];
    h[2] = { ...h[2], revision: '3' };
    assert.match(parseFailure(() => parseHistory(JSON.stringify(h))).message, /^helm history: unexpected JSON at 2\.revision: /);
    assert.match(parseFailure(() => parseHistory('{"revision":1}')).message, /^helm history: unexpected JSON at \(root\): /);
    assert.match(parseFailure(() => parseHistory('')).message, /^helm history: output is not JSON/);
  });
});

describe('parseList (helm list --all --output json)', () => {
  it('an empty namespace prints [] (and some helm versions print nothing)', () => {
    assert.deepEqual(parseList(fixture('list-empty.json')), []);
    assert.deepEqual(parseList(''), []);
    assert.deepEqual(parseList('\n'), []);
  });

  it('helm prints the revision as a string: parsed to a number; chart label split', () => {
    assert.deepEqual(parseList(fixture('list-after-rollback.json')), [
      {
        name: 'soctalk-system',
        namespace: 'soctalk-system',
        revision: 4,
        status: 'deployed',
        chart: 'soctalk-system-0.2.0',
        chartName: 'soctalk-system',
        chartVersion: '0.2.0',
        appVersion: '0.2.0',
      },
    ]);
  });

  it('failed and pending releases are listed with --all (and hidden without it)', () => {
    assert.deepEqual(
      parseList(fixture('list-after-failed-upgrade.json')).map((r) => [r.revision, r.status, r.chartVersion]),
      [[3, 'failed', '0.3.0-rc.1']],
    );
    const [pending] = parseList(fixture('list-pending-upgrade.json'));
    assert.equal(pending?.status, 'pending-upgrade');
    assert.equal(isPending(pending.status), true);
    assert.deepEqual(parseList(fixture('list-pending-not-all.json')), []);
  });

  it('a tenant namespace', () => {
    const [tenant] = parseList(fixture('list-tenant-namespace.json'));
    assert.deepEqual([tenant?.name, tenant?.namespace, tenant?.chartName, tenant?.chartVersion], ['soctalk-tenant', 'tenant-acme', 'soctalk-tenant', '0.1.0']);
  });

  it('malformed entries name the field', () => {
    const l = JSON.parse(fixture('list-rev1.json')) as Record<string, unknown>[];
    const { chart: _chart, ...noChart } = l[0]!;
    assert.match(parseFailure(() => parseList(JSON.stringify([noChart]))).message, /^helm list: unexpected JSON at 0\.chart: /);
    assert.match(parseFailure(() => parseList('Error: Kubernetes cluster unreachable')).message, /^helm list: output is not JSON: Error: Kubernetes cluster unreachable/);
  });
});

describe('splitChartLabel', () => {
  it('splits at the semantic version, dashes in the name and prerelease/build suffixes included', () => {
    assert.deepEqual(splitChartLabel('soctalk-system-0.2.0'), { name: 'soctalk-system', version: '0.2.0' });
    assert.deepEqual(splitChartLabel('soctalk-tenant-0.1.0-rc.1'), { name: 'soctalk-tenant', version: '0.1.0-rc.1' });
    assert.deepEqual(splitChartLabel('opencti-1.2.3+build.5'), { name: 'opencti', version: '1.2.3+build.5' });
    assert.deepEqual(splitChartLabel('my-app-v2-chart-v1.0.0'), { name: 'my-app-v2-chart', version: 'v1.0.0' });
    assert.deepEqual(splitChartLabel('k8s-1-2-3-4.5.6'), { name: 'k8s-1-2-3', version: '4.5.6' });
  });

  it('no version: the whole label is the name', () => {
    assert.deepEqual(splitChartLabel('soctalk-system'), { name: 'soctalk-system', version: '' });
    assert.deepEqual(splitChartLabel('chart-1.2'), { name: 'chart-1.2', version: '' });
  });
});

describe('isPending', () => {
  it('only the three pending-* statuses are a lock', () => {
    assert.deepEqual([...PENDING_STATUSES], ['pending-install', 'pending-upgrade', 'pending-rollback']);
    for (const s of PENDING_STATUSES) assert.equal(isPending(s), true, s);
    for (const s of ['deployed', 'failed', 'superseded', 'uninstalled', 'uninstalling', 'unknown', 'pending', '']) assert.equal(isPending(s), false, s);
  });
});
