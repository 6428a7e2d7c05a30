import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  chartVersionWarnings,
  disableCluster,
  disableClustering,
  migrateToClustering,
  pointsAt,
  type ClusteringMigrationOptions,
  type ValuesChange,
} from '../../src/domain/opencti/values-migration.js';
import { applyOverlay, clusteringValuesProblems, diffValues, formatDiff, mergeOverlays, redactValues, type ValuesMap } from '../../src/domain/opencti/values.js';
import { fixturesDir } from '../helpers/paths.js';

const load = (name: string): ValuesMap => parse(readFileSync(`${fixturesDir}opencti-values/${name}.yaml`, 'utf8')) as ValuesMap;

const MANAGERS_OFF = {
  NOTIFICATION_MANAGER__ENABLED: false,
  RULE_ENGINE__ENABLED: false,
  TASK_SCHEDULER__ENABLED: false,
  HISTORY_MANAGER__ENABLED: false,
  SYNC_MANAGER__ENABLED: false,
};

const ingressTls = load('ingress-tls');
const rootIngress = ingressTls.ingress as ValuesMap;
const clustering = load('clustering');
const frontendIngress = ((clustering.clustering as ValuesMap).frontend as ValuesMap).ingress;

const codes = (c: ValuesChange) => c.warnings.map((w) => `${w.blocking ? '!' : ''}${w.code} ${w.path}`);

interface MigrationCase {
  name: string;
  fixture: string;
  options?: Partial<ClusteringMigrationOptions>;
  overlay?: ValuesMap;
  warnings: string[];
  /** What the chart renders is tested on the rendered fixture (opencti-rendered-plan.test.ts); kept here as the case's intent. */
  topology?: unknown;
}

// Realistic v1 values files -> the overlay helm applies after them, the warnings, and what must then run.
const migrations: MigrationCase[] = [
  {
    name: 'minimal values: both clusters with one replica, frontend managers off',
    fixture: 'minimal',
    overlay: {
      clustering: {
        enabled: true,
        frontend: { enabled: true, replicaCount: 1, env: MANAGERS_OFF },
        ingestion: { enabled: true, replicaCount: 1 },
      },
    },
    warnings: [],
    topology: {
      clustering: true,
      platform: [
        { component: 'frontend', name: 'opencti-frontend', replicas: 1 },
        { component: 'ingestion', name: 'opencti-ingestion', replicas: 1 },
      ],
      workerTarget: 'ingestion',
    },
  },
  {
    name: 'root ingress with TLS moves to the frontend; sizing copied to both clusters',
    fixture: 'ingress-tls',
    overlay: {
      ingress: null,
      clustering: {
        enabled: true,
        frontend: { enabled: true, replicaCount: 2, resources: ingressTls.resources, env: MANAGERS_OFF, ingress: rootIngress },
        ingestion: { enabled: true, replicaCount: 2, resources: ingressTls.resources },
      },
    },
    warnings: ['moved-root-ingress ingress'],
    topology: {
      clustering: true,
      platform: [
        { component: 'frontend', name: 'opencti-frontend', replicas: 2 },
        { component: 'ingestion', name: 'opencti-ingestion', replicas: 2 },
      ],
      ingress: { name: 'opencti-frontend', service: 'opencti-frontend' },
      workerTarget: 'ingestion',
    },
  },
  {
    name: 'top-level manager env moves to ingestion; the worker URL pinned to -server is removed',
    fixture: 'env-overrides',
    overlay: {
      env: { RULE_ENGINE__ENABLED: null, TASK_SCHEDULER__ENABLED: null, HISTORY_MANAGER__ENABLED: null },
      worker: { env: { OPENCTI_URL: null } },
      clustering: {
        enabled: true,
        frontend: { enabled: true, replicaCount: 1, env: MANAGERS_OFF },
        ingestion: { enabled: true, replicaCount: 1, env: { RULE_ENGINE__ENABLED: true, TASK_SCHEDULER__ENABLED: 'true', HISTORY_MANAGER__ENABLED: false } },
      },
    },
    warnings: [
      'moved-top-level-env env.RULE_ENGINE__ENABLED',
      'moved-top-level-env env.TASK_SCHEDULER__ENABLED',
      'moved-top-level-env env.HISTORY_MANAGER__ENABLED',
      'removed-hard-coded-url worker.env.OPENCTI_URL',
    ],
  },
  {
    name: 'left alone when asked: the top-level env overrides the frontend, the -server URL stays',
    fixture: 'env-overrides',
    options: { moveTopLevelManagerEnv: false, removeHardCodedServerUrls: false },
    overlay: {
      clustering: {
        enabled: true,
        frontend: { enabled: true, replicaCount: 1, env: MANAGERS_OFF },
        ingestion: { enabled: true, replicaCount: 1 },
      },
    },
    // HISTORY_MANAGER__ENABLED is false at both levels: no override in effect.
    warnings: [
      'top-level-env-override env.RULE_ENGINE__ENABLED',
      'top-level-env-override env.TASK_SCHEDULER__ENABLED',
      'hard-coded-server-url worker.env.OPENCTI_URL',
    ],
  },
  {
    name: 'connectors: the global URL (FQDN) is removed, a per-connector one is reported',
    fixture: 'connectors',
    overlay: {
      connectorsGlobal: { env: { OPENCTI_URL: null } },
      clustering: {
        enabled: true,
        frontend: { enabled: true, replicaCount: 1, env: MANAGERS_OFF },
        ingestion: { enabled: true, replicaCount: 1 },
      },
    },
    warnings: ['removed-hard-coded-url connectorsGlobal.env.OPENCTI_URL', 'hard-coded-server-url connectors[1].env.OPENCTI_URL (mitre)'],
    topology: {
      clustering: true,
      platform: [
        { component: 'frontend', name: 'opencti-frontend', replicas: 1 },
        { component: 'ingestion', name: 'opencti-ingestion', replicas: 1 },
      ],
      workerTarget: 'ingestion',
      connectorTarget: 'frontend',
    },
  },
  {
    name: 'autoscaling, PDB and node selector copied; expected replicas are the HPA minimum',
    fixture: 'autoscaling',
    overlay: (() => {
      const v = load('autoscaling');
      const sizing = { replicaCount: 2, resources: v.resources, autoscaling: v.autoscaling, podDisruptionBudget: v.podDisruptionBudget, nodeSelector: v.nodeSelector };
      return { clustering: { enabled: true, frontend: { enabled: true, ...sizing, env: MANAGERS_OFF }, ingestion: { enabled: true, ...sizing } } };
    })(),
    warnings: [],
    topology: {
      clustering: true,
      platform: [
        { component: 'frontend', name: 'opencti-frontend', replicas: 2 },
        { component: 'ingestion', name: 'opencti-ingestion', replicas: 2 },
      ],
      workerTarget: 'ingestion',
    },
  },
  {
    name: "the operator's sizing for a cluster wins over the copied one",
    fixture: 'autoscaling',
    options: { ingestion: { replicaCount: 4, autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 15 } }, frontend: { autoscaling: { enabled: false } } },
    warnings: [],
    topology: {
      clustering: true,
      platform: [
        { component: 'frontend', name: 'opencti-frontend', replicas: 2 },
        { component: 'ingestion', name: 'opencti-ingestion', replicas: 3 },
      ],
      workerTarget: 'ingestion',
    },
  },
  {
    name: 'a target chart older than the minimum blocks',
    fixture: 'minimal',
    options: { targetVersion: '1.9.3' },
    warnings: ['!chart-too-old version'],
  },
  {
    name: 'a range that allows an old chart blocks; a configurable minimum',
    fixture: 'minimal',
    options: { targetVersion: '>=2.0.0', minimumChartVersion: '2.1.0' },
    warnings: ['!chart-too-old version'],
  },
  {
    name: 'invalid clustering values (negative replicas) block',
    fixture: 'minimal',
    options: { frontend: { replicaCount: -1 } },
    warnings: ['!invalid-clustering-values clustering.frontend.replicaCount'],
  },
];

describe('migrateToClustering (v1 values files -> clustering values)', () => {
  for (const c of migrations) {
    it(c.name, () => {
      const original = load(c.fixture);
      const change = migrateToClustering(original, { release: 'opencti', targetVersion: '2.0.0', ...c.options });
      if (c.overlay) assert.deepEqual(change.overlay, c.overlay);
      assert.deepEqual(codes(change), c.warnings);
      assert.deepEqual(change.values, applyOverlay(original, change.overlay));
      if (!c.warnings.some((w) => w.startsWith('!'))) assert.deepEqual(clusteringValuesProblems(change.values), []);
      // Everything else is kept.
      for (const key of Object.keys(original)) {
        if (!(key in change.overlay)) assert.deepEqual(change.values[key], original[key], `${key} kept`);
      }
    });
  }

  it('keeps manager settings the operator already put under clustering.frontend.env', () => {
    const original = { ...load('minimal'), clustering: { frontend: { env: { SYNC_MANAGER__ENABLED: true } } } };
    const change = migrateToClustering(original, { release: 'opencti' });
    const env = ((change.values.clustering as ValuesMap).frontend as ValuesMap).env as ValuesMap;
    assert.equal(env.SYNC_MANAGER__ENABLED, true);
    assert.equal(env.RULE_ENGINE__ENABLED, false);
  });

  it('warns when both the root and the frontend ingress are enabled, and removes the root one', () => {
    const original = { ...ingressTls, clustering: { frontend: { ingress: { enabled: true, hosts: [{ host: 'new.example.com' }] } } } };
    const change = migrateToClustering(original, { release: 'opencti' });
    assert.deepEqual(codes(change), ['root-ingress ingress']);
    assert.equal(change.values.ingress, undefined);
  });

  it('produces a diff a human can read, with secrets hidden', () => {
    const change = migrateToClustering(ingressTls, { release: 'opencti' });
    const lines = formatDiff(change.diff);
    assert.ok(lines.includes('+ clustering: ' + JSON.stringify(redactValues(change.values.clustering))), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('- ingress: {"enabled":true,"className":"nginx"')));
    const preview = JSON.stringify(redactValues(change.values));
    assert.doesNotMatch(preview, /rabbit-literal-password|literal-erlang-cookie/);
    assert.match(preview, /"password":"\*\*\*"/);
  });
});

describe('rollback values', () => {
  it('disable clustering: clustering off, the frontend ingress back at the root, ingestion manager env back at the top', () => {
    const change = disableClustering(clustering, { release: 'opencti' });
    assert.deepEqual(change.overlay, { clustering: { enabled: false }, ingress: frontendIngress, env: { RULE_ENGINE__ENABLED: true } });
    assert.deepEqual(codes(change), ['restored-root-ingress ingress', 'restored-top-level-env env.RULE_ENGINE__ENABLED']);
  });

  it('disable the frontend: ingestion stays; no root ingress is set (the chart does not render it in clustering mode), the approval says users lose the ingress', () => {
    const change = disableCluster(clustering, 'frontend', { release: 'opencti' });
    assert.deepEqual(change.overlay, { clustering: { frontend: { enabled: false } } });
    assert.deepEqual(codes(change), ['no-ingress clustering.frontend.ingress']);
    assert.match(change.warnings[0]!.message, /users lose the UI\/API ingress/);
  });

  it('disable ingestion: the frontend runs the managers again, each set explicitly (the chart defaults turn three off), and promised', () => {
    const change = disableCluster(clustering, 'ingestion', { release: 'opencti' });
    const env = { ...Object.fromEntries(Object.keys(MANAGERS_OFF).map((k) => [k, true])) };
    assert.deepEqual(change.overlay, { clustering: { ingestion: { enabled: false }, frontend: { env } } });
    assert.equal(change.warnings.length, 5);
    assert.equal(change.warnings[1]!.message, 'clustering.frontend.env.RULE_ENGINE__ENABLED set to true as ingestion had it: without ingestion the frontend runs the managers');
    assert.deepEqual(((change.values.clustering as ValuesMap).frontend as ValuesMap).env, env);
    assert.ok(change.warnings.every((w) => w.code === 'managers-enabled-on-frontend' && !w.blocking));
    assert.deepEqual(
      change.promise.map((p) => `${p.component} ${p.name}=${p.value}`),
      Object.keys(MANAGERS_OFF).map((k) => `frontend ${k}=true`),
    );
  });

  it('refuses a partial rollback of values without clustering, or that would leave no cluster', () => {
    assert.deepEqual(codes(disableCluster(load('minimal'), 'frontend', { release: 'opencti' }))[0], '!clustering-not-enabled clustering.enabled');
    const onlyFrontend = applyOverlay(clustering, { clustering: { ingestion: { enabled: false } } });
    assert.ok(codes(disableCluster(onlyFrontend, 'frontend', { release: 'opencti' })).includes('!invalid-clustering-values clustering.ingestion.enabled'));
  });

  it('warns about worker URLs hard-coded to a cluster that goes away', () => {
    const pinned = applyOverlay(clustering, { worker: { env: { OPENCTI_URL: 'http://opencti-ingestion:80' } } });
    assert.deepEqual(codes(disableClustering(pinned, { release: 'opencti' })).at(-1), 'hard-coded-server-url worker.env.OPENCTI_URL');
  });
});

describe('values helpers', () => {
  it('applyOverlay deletes on null, merges maps, replaces lists', () => {
    assert.deepEqual(applyOverlay({ a: { b: 1, c: 2 }, l: [1, 2], x: 1 }, { a: { b: null, d: 3 }, l: [3], x: null, n: { m: null, k: 1 } }), {
      a: { c: 2, d: 3 },
      l: [3],
      n: { k: 1 },
    });
  });

  it('mergeOverlays keeps nulls so they still delete keys set by files', () => {
    assert.deepEqual(mergeOverlays({ env: { A: '1' }, ingress: { enabled: true } }, { env: { A: null }, ingress: null }), { env: { A: null }, ingress: null });
  });

  it('diffValues names paths', () => {
    assert.deepEqual(formatDiff(diffValues({ a: { b: 1 }, gone: true }, { a: { b: 2 }, new: 'x' })), ['~ a.b: 1 -> 2', '- gone: true', '+ new: "x"']);
  });

  it('pointsAt matches short, namespaced and fully qualified service hosts only', () => {
    assert.ok(pointsAt('http://opencti-server:80', 'opencti-server'));
    assert.ok(pointsAt('http://opencti-server.opencti.svc.cluster.local', 'opencti-server'));
    assert.ok(!pointsAt('http://opencti-server-2:80', 'opencti-server'));
    assert.ok(!pointsAt('http://opencti-frontend:80', 'opencti-server'));
  });

  it('chart version check accepts 2.x and refuses garbage', () => {
    assert.deepEqual(chartVersionWarnings('2.x', '2.0.0'), []);
    assert.deepEqual(chartVersionWarnings('2.3.1', '2.0.0'), []);
    assert.equal(chartVersionWarnings('not-a-version', '2.0.0')[0]?.blocking, true);
  });

  it('the clustering schema names the field', () => {
    assert.deepEqual(clusteringValuesProblems({ clustering: { enabled: true, frontend: { enabled: false }, ingestion: { enabled: false } } }), [
      'clustering: clustering needs the frontend or the ingestion cluster enabled',
    ]);
    assert.deepEqual(clusteringValuesProblems({ clustering: { enabled: true, frontend: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } } }), [
      'clustering.frontend.autoscaling: minReplicas must not exceed maxReplicas',
    ]);
  });
});
