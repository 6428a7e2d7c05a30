// The plan activity against the fixture charts rendered by real helm: objects, routes and
// health targets come from the rendered manifest whatever the release is called; the
// promised env is what the chart renders; known-bad chart versions and the real chart's
// traps are findings before anything changes. The live revision is the 1.x fixture
// rendered by helm too (no cluster here: only `helm get manifest` is served from it).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createHelmActivities, type HelmActivities } from '../../src/activities/helm/activities.js';
import { createOpenctiActivities, type PlanValuesRequest, type ValuesChangeKind } from '../../src/activities/opencti/activities.js';
import { fixturesDir } from '../helpers/paths.js';
import { testTempDir } from '../helpers/temp-dir.js';

const runner = new CommandRunner({ tools: toolPathsFromEnv() });
const realHelm = createHelmActivities({ runner, workDir: tmpdir() });
const catalog = (dir: string) => ({ ref: `${fixturesDir}charts/${dir}` });

/** Real helm template; the "live" manifest is the v1 (or given) chart rendered with the values as given. */
function activitiesWithLive(live: { chart: string; values: PlanValuesRequest['values'] }) {
  const helm: HelmActivities = {
    ...realHelm,
    helmGetManifest: (r) => realHelm.helmTemplate({ ...r, chart: catalog(live.chart), values: live.values }),
  };
  return createOpenctiActivities({ runner, helm });
}

const files = (...names: string[]) => ({ files: names.map((n) => `${fixturesDir}opencti-values/${n}.yaml`), set: {} });

async function plan(release: string, change: ValuesChangeKind, values: PlanValuesRequest['values'], opts: { version?: string; live?: string; liveValues?: PlanValuesRequest['values']; migration?: PlanValuesRequest['migration']; replay?: boolean } = {}) {
  const version = opts.version ?? '2.5.0';
  // helm ignores --version for a chart directory: other versions are the directory packaged at that version.
  const chart = version === '2.5.0' ? catalog('opencti-2') : { ref: await packaged(version) };
  const opencti = activitiesWithLive({ chart: opts.live ?? 'opencti-1', values: opts.liveValues ?? values });
  return opencti.openctiPlanValues({
    release,
    namespace: 'octi',
    kube: {},
    values,
    change,
    chart,
    version,
    migration: { targetVersion: version, ...(opts.migration ?? {}) },
    ...(opts.replay ? { replayMigration: {} } : {}),
  });
}

const packagedCache = new Map<string, string>();
async function packaged(version: string): Promise<string> {
  const hit = packagedCache.get(version);
  if (hit) return hit;
  const { execa } = await import('execa');
  const dir = await testTempDir('opencti-chart');
  await execa(toolPathsFromEnv().helm ?? 'helm', ['package', `${fixturesDir}charts/opencti-2`, '--version', version, '--destination', dir]);
  const tgz = `${dir}/opencti-${version}.tgz`;
  packagedCache.set(version, tgz);
  return tgz;
}

const codes = (p: { warnings: Array<{ code: string; blocking: boolean }> }, blocking = true) => p.warnings.filter((w) => w.blocking === blocking).map((w) => w.code);

describe('openctiPlanValues on the rendered fixture charts', () => {
  it('a release not named "opencti": names, routes and health targets come from the manifest (<release>-opencti-*)', async () => {
    const p = await plan('cti', 'clustering', files('connectors-cti', 'health-key-exec'), { migration: { frontend: { replicaCount: 2 } } });
    assert.deepEqual(codes(p), [], JSON.stringify(p.warnings));
    assert.deepEqual(
      p.topology.platform.map((x) => [x.component, x.deployment, x.service, x.replicas]),
      [
        ['frontend', 'cti-opencti-frontend', 'cti-opencti-frontend', 2],
        ['ingestion', 'cti-opencti-ingestion', 'cti-opencti-ingestion', 1],
      ],
    );
    assert.deepEqual(
      p.topology.routes.map((r) => [r.deployment, r.role, r.component]).sort(),
      [
        ['cti-opencti-mitre-connector', 'connector', 'frontend'],
        ['cti-opencti-opencti-connector', 'connector', 'frontend'],
        ['cti-opencti-worker', 'worker', 'ingestion'],
      ],
    );
    assert.deepEqual(p.live.deployments.sort(), ['cti-opencti-mitre-connector', 'cti-opencti-opencti-connector', 'cti-opencti-server', 'cti-opencti-worker']);
    // The frontend managers are set explicitly and the render has them.
    assert.deepEqual(
      p.promise.filter((x) => x.component === 'frontend').map((x) => `${x.name}=${x.value}`),
      ['NOTIFICATION_MANAGER__ENABLED=false', 'RULE_ENGINE__ENABLED=false', 'TASK_SCHEDULER__ENABLED=false', 'HISTORY_MANAGER__ENABLED=false', 'SYNC_MANAGER__ENABLED=false'],
    );
  });

  it('fullnameOverride and nameOverride name every object; the instance label still classifies them', async () => {
    const full = await plan('octi', 'none', { files: [], set: {}, inline: { fullnameOverride: 'threat-intel', env: { APP__HEALTH_ACCESS_KEY: 'k' } } });
    assert.deepEqual(full.topology.deployments.map((d) => d.name).sort(), ['threat-intel-server', 'threat-intel-worker']);
    const named = await plan('octi', 'none', { files: [], set: {}, inline: { nameOverride: 'intel', env: { APP__HEALTH_ACCESS_KEY: 'k' } } });
    assert.deepEqual(named.topology.platform.map((x) => [x.deployment, x.service]), [['octi-intel-server', 'octi-intel-server']]);
    // The chart's rule: a release name containing the (overridden) name is the fullname.
    const contained = await plan('octi', 'none', { files: [], set: {}, inline: { nameOverride: 'cti', env: { APP__HEALTH_ACCESS_KEY: 'k' } } });
    assert.deepEqual(contained.topology.platform.map((x) => x.deployment), ['octi-server']);
  });

  it('chart 2.0.19 in clustering mode is refused: known defect, and its Services select no pod', async () => {
    const p = await plan('opencti', 'clustering', files('minimal', 'health-key-exec'), { version: '2.0.19' });
    assert.ok(codes(p).includes('known-chart-defect'), JSON.stringify(p.warnings));
    assert.ok(codes(p).includes('service-selects-nothing'), JSON.stringify(p.warnings));
    assert.match(p.warnings.find((w) => w.code === 'known-chart-defect')!.message, /2\.0\.19 .*select opencti\.component=server.*Fix: target chart 2\.1\.0 or later/);
  });

  it('chart 2.0.19 with the frontend Ingress: the label rendered twice is refused before helm upgrade would fail', async () => {
    const p = await plan('opencti', 'clustering', files('ingress-tls', 'health-key-exec'), { version: '2.0.19' });
    assert.ok(p.warnings.some((w) => w.code === 'known-chart-defect' && /twice/.test(w.message)), JSON.stringify(p.warnings));
    assert.ok(p.warnings.some((w) => w.code === 'render-failed' && /Ingress\/opencti-frontend/.test(w.message)), JSON.stringify(p.warnings));
  });

  it('disable-ingestion: the managers are set true explicitly (the chart defaults would put false back) and the render keeps the promise', async () => {
    const p = await plan('opencti', 'disable-ingestion', files('clustering', 'health-key-exec'), { live: 'opencti-2' });
    assert.deepEqual(codes(p), [], JSON.stringify(p.warnings));
    assert.deepEqual(
      p.promise.map((x) => `${x.component} ${x.name}=${x.value}`),
      [
        'frontend NOTIFICATION_MANAGER__ENABLED=true',
        'frontend RULE_ENGINE__ENABLED=true',
        'frontend TASK_SCHEDULER__ENABLED=true',
        'frontend HISTORY_MANAGER__ENABLED=true',
        'frontend SYNC_MANAGER__ENABLED=true',
      ],
    );
    assert.deepEqual(p.topology.routes.map((r) => r.component), ['frontend']);
  });

  it('disable-frontend: no Ingress is rendered and the approval says users lose it; workers go to ingestion', async () => {
    const p = await plan('opencti', 'disable-frontend', files('clustering', 'health-key-exec'), { live: 'opencti-2' });
    assert.deepEqual(codes(p), [], JSON.stringify(p.warnings));
    assert.deepEqual(p.topology.ingresses, []);
    assert.ok(codes(p, false).includes('no-ingress'));
    assert.ok(p.warnings.some((w) => w.code === 'ingress-removed' && /users lose the UI\/API ingress/.test(w.message)), JSON.stringify(p.warnings));
    assert.deepEqual(p.topology.routes.map((r) => r.component), ['ingestion']);
  });

  it('a top-level manager setting left in place would override the frontend: the promise is not rendered, refused', async () => {
    const p = await plan('opencti', 'clustering', files('env-overrides', 'health-key-exec'), { migration: { moveTopLevelManagerEnv: false, removeHardCodedServerUrls: true } });
    const broken = p.warnings.filter((w) => w.code === 'promise-not-rendered');
    // HISTORY_MANAGER__ENABLED=false at the top level agrees with the frontend: only the two that differ break the promise.
    assert.deepEqual(broken.map((w) => w.path).sort(), ['clustering.frontend.env.RULE_ENGINE__ENABLED', 'clustering.frontend.env.TASK_SCHEDULER__ENABLED']);
    assert.ok(broken.every((w) => w.blocking && /top-level env/.test(w.message)));
  });

  it('the health key only in envFromSecrets with env.APP__HEALTH_ACCESS_KEY left at ChangeMe: the probe finding names the fix', async () => {
    const p = await plan('opencti', 'none', files('minimal'));
    const probe = p.warnings.find((w) => w.code === 'probe-health-key');
    assert.ok(probe, JSON.stringify(p.warnings));
    assert.match(probe.message, /ChangeMe \(the chart default\).*Secret opencti-credentials.*env\.APP__HEALTH_ACCESS_KEY to null/);
  });

  it('v2 renders replicas for an autoscaled server: a warning at approval (the HPA scale is reset)', async () => {
    const values = { files: [`${fixturesDir}opencti-values/autoscaling.yaml`, `${fixturesDir}opencti-values/health-key-exec.yaml`], set: {} };
    const p = await plan('opencti', 'none', values);
    assert.ok(p.warnings.some((w) => w.code === 'replicas-reset' && /opencti-server/.test(w.message) && !w.blocking), JSON.stringify(p.warnings));
  });
});
