// The migrations' overlays rendered by real helm against the 2.x fixture chart: proves
// helm applies them as intended (nulls delete keys set by the operator's file, the ingress
// moves, the chart re-points workers and connectors) and that expectedTopology predicts
// exactly what the chart renders, since verification checks against it.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createHelmActivities } from '../../src/activities/helm/activities.js';
import { createOpenctiActivities, loadValues, planChange, type ValuesChangeKind } from '../../src/activities/opencti/activities.js';
import { expectedTopology } from '../../src/domain/opencti/values-migration.js';
import { fixturesDir } from '../helpers/paths.js';

const helm = createHelmActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv() }), workDir: tmpdir() });
const chart = { ref: `${fixturesDir}charts/opencti-2` };
const opencti = createOpenctiActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv() }), valuesDir: `${tmpdir()}/opencti-render-${process.pid}` });

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

async function render(fixture: string, change: ValuesChangeKind, options: { moveTopLevelManagerEnv?: boolean } = {}, replay = false) {
  const values = { files: [`${fixturesDir}opencti-values/${fixture}.yaml`], set: {} };
  const request = { release: 'opencti', namespace: 'opencti', values, change, migration: { targetVersion: '2.0.0', ...options }, ...(replay ? { replayMigration: {} } : {}) };
  const plan = planChange(await loadValues(values), request);
  // What the workflows hand to helm: the generated file (in place: the operator's values as given).
  const generated = await opencti.openctiPlanValues(request);
  const text = await helm.helmTemplate({
    release: 'opencti',
    namespace: 'opencti',
    kube: {},
    chart,
    values: generated.valuesFile ? { files: [generated.valuesFile], set: {} } : values,
  });
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const containerEnv = (deployment: string): Record<string, string> => {
    const d = byKind('Deployment').find((x) => x.metadata.name === deployment)!;
    const containers = (d.spec.template as { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } }).spec.containers;
    return Object.fromEntries((containers[0]!.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  };
  return { plan, byKind, containerEnv, topology: expectedTopology(plan.values, 'opencti') };
}

/** The platform Deployments, Services and Ingress the chart rendered match the topology verification expects. */
function assertTopologyRendered(r: Awaited<ReturnType<typeof render>>): void {
  const platform = r.byKind('Deployment').filter((d) => /-(server|frontend|ingestion)$/.test(d.metadata.name));
  assert.deepEqual(
    platform.map((d) => [d.metadata.name, d.spec.replicas]),
    r.topology.platform.map((p) => [p.name, p.replicas]),
  );
  assert.deepEqual(
    r.byKind('Service').map((s) => s.metadata.name),
    r.topology.platform.map((p) => p.name),
  );
  const ingresses = r.byKind('Ingress');
  assert.deepEqual(
    ingresses.map((i) => i.metadata.name),
    r.topology.ingress ? [r.topology.ingress.name] : [],
  );
  for (const i of ingresses) {
    const rules = i.spec.rules as Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }>;
    assert.equal(rules[0]!.http.paths[0]!.backend.service.name, r.topology.ingress!.service);
  }
  if (r.topology.workerTarget) assert.match(r.containerEnv('opencti-worker').OPENCTI_URL!, new RegExp(`^http://opencti-${r.topology.workerTarget}:80$`));
}

describe('migration overlays rendered by helm (fixture chart opencti 2.0.0)', () => {
  it('ingress-tls: frontend and ingestion, the ingress on the frontend, managers off on the frontend only', async () => {
    const r = await render('ingress-tls', 'clustering');
    assertTopologyRendered(r);
    assert.equal(r.containerEnv('opencti-frontend').RULE_ENGINE__ENABLED, 'false');
    assert.equal(r.containerEnv('opencti-ingestion').RULE_ENGINE__ENABLED, undefined);
    assert.equal(r.containerEnv('opencti-frontend').APP__ADMIN__EMAIL, 'admin@example.com', 'the shared env is kept');
  });

  it('env-overrides: moved manager settings reach ingestion and no longer override the frontend', async () => {
    const r = await render('env-overrides', 'clustering');
    assertTopologyRendered(r);
    assert.equal(r.containerEnv('opencti-frontend').RULE_ENGINE__ENABLED, 'false');
    assert.equal(r.containerEnv('opencti-ingestion').RULE_ENGINE__ENABLED, 'true');
    assert.equal(r.containerEnv('opencti-worker').OPENCTI_URL, 'http://opencti-ingestion:80');
    assert.equal(r.containerEnv('opencti-worker').WORKER_LOG_LEVEL, 'info');
  });

  it('the trap, when left alone: the top-level env wins over clustering.frontend.env', async () => {
    const r = await render('env-overrides', 'clustering', { moveTopLevelManagerEnv: false });
    assert.equal(r.containerEnv('opencti-frontend').RULE_ENGINE__ENABLED, 'true');
    assert.ok(r.plan.warnings.some((w) => w.code === 'top-level-env-override' && w.path === 'env.RULE_ENGINE__ENABLED'));
  });

  it('connectors reach the frontend, workers ingestion', async () => {
    const r = await render('connectors', 'clustering');
    assertTopologyRendered(r);
    assert.equal(r.containerEnv('opencti-connector-opencti').OPENCTI_URL, 'http://opencti-frontend:80');
    assert.equal(r.containerEnv('opencti-connector-opencti').CONNECTOR_EXPOSE_METRICS, 'true');
  });

  it('autoscaling values render both clusters', async () => {
    assertTopologyRendered(await render('autoscaling', 'clustering'));
  });

  it('in place (no overlay): the single server, as in v1', async () => {
    assertTopologyRendered(await render('ingress-tls', 'none'));
  });

  for (const change of ['disable-clustering', 'disable-frontend', 'disable-ingestion'] as const) {
    it(`${change} after replaying the migration of the original single-mode values`, async () => {
      const r = await render('env-overrides', change, {}, true);
      assertTopologyRendered(r);
      assert.equal(r.topology.clustering, change !== 'disable-clustering');
      const platform = r.topology.platform.map((p) => p.component);
      assert.deepEqual(platform, change === 'disable-clustering' ? ['server'] : change === 'disable-frontend' ? ['ingestion'] : ['frontend']);
      // The operator's manager setting survives the round trip wherever the managers now run.
      assert.equal(r.containerEnv(`opencti-${platform[0]!}`).RULE_ENGINE__ENABLED, 'true');
    });

    it(`${change}: what remains, with the ingress and workers where the topology says`, async () => {
      const r = await render('clustering', change);
      assertTopologyRendered(r);
      if (change === 'disable-ingestion') {
        assert.equal(r.containerEnv('opencti-frontend').NOTIFICATION_MANAGER__ENABLED, undefined, 'the frontend runs the managers again');
        assert.equal(r.containerEnv('opencti-frontend').RULE_ENGINE__ENABLED, 'true', "with ingestion's settings");
      }
      assert.ok(!Object.values(r.containerEnv(`opencti-${r.topology.platform[0]!.component}`)).includes('<nil>'), 'no null reaches the chart');
      if (change === 'disable-clustering') assert.equal(r.containerEnv('opencti-server').RULE_ENGINE__ENABLED, 'true', 'the ingestion setting is back at the top level');
    });
  }
});
