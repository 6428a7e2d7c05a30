// End to end (issues 5 and 7): the OpenCTI chart v1 -> v2 runbooks against real components.
// One KWOK cluster, one local chart repository and one Temporal dev server for the file;
// one real worker whose activities run the real helm and kubectl. Every test works on its
// own namespace (release `opencti`, installed from the fixture charts with the fixture v1
// values files), drives the workflow through the client like an operator (the approve
// Update), and then checks the cluster with `helm` and `kubectl`, not only the result.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/opencti.test.ts
//
// Health: nothing runs inside KWOK pods, so /health is a node:http server on 127.0.0.1 that
// the runbooks reach through `health.via: url` (one base URL per namespace and component).
// It answers 200 only with the right `health_access_key`, 401 otherwise. The key is read by
// the activity from the Secret `opencti-credentials` that each test creates with kubectl
// (the same Secret the fixture values give the platform through envFromSecrets).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { parse as parseYaml, stringify } from 'yaml';
import { loadValues } from '../../src/activities/opencti/activities.js';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createActivities } from '../../src/activities/index.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { migrateToClustering } from '../../src/domain/opencti/values-migration.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { openctiClusteringMigration } from '../../src/workflows/opencti/opencti-clustering-migration.js';
import { openctiRollback } from '../../src/workflows/opencti/opencti-rollback.js';
import { openctiUpgradeV2 } from '../../src/workflows/opencti/opencti-upgrade-v2.js';
import { waitForPhase as waitForPhaseOf } from '../helpers/workflow-harness.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { createKwokCluster, FAULT_LABEL, Fault, type KwokCluster } from '../helpers/kwok.js';
import { fixturesDir } from '../helpers/paths.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const RELEASE = 'opencti';
const REPO_NAME = 'e2e-opencti';
const SECRET = 'opencti-credentials';
const SECRET_KEY = 'APP__HEALTH_ACCESS_KEY';
const HEALTH_KEY = 'e2e-health-key-7f3a';
/** The operator's existing v1 values: connectors (some pinned to -server), then a production install behind an ingress. */
const V1_VALUES = [join(fixturesDir, 'opencti-values', 'connectors.yaml'), join(fixturesDir, 'opencti-values', 'ingress-tls.yaml')];
/** The cluster sizing the migration runs (and the rollback tests replay) with. */
const SIZING = { frontend: { replicaCount: 2 }, ingestion: { replicaCount: 3 } };
const MANAGERS = ['NOTIFICATION_MANAGER__ENABLED', 'RULE_ENGINE__ENABLED', 'TASK_SCHEDULER__ENABLED', 'HISTORY_MANAGER__ENABLED', 'SYNC_MANAGER__ENABLED'];

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}
interface EnvVar {
  name: string;
  value?: string;
}
interface KubeDeployment {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas: number; template: { metadata: { labels?: Record<string, string> }; spec: { containers: { name: string; image: string; env?: EnvVar[] }[] } } };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number };
}
interface KubeIngress {
  metadata: { name: string };
  spec: { rules?: { host?: string; http?: { paths: { backend: { service?: { name: string } } }[] } }[] };
}
interface KubeSlice {
  metadata: { labels?: Record<string, string> };
  endpoints?: { conditions?: { ready?: boolean } }[] | null;
}

describe('OpenCTI runbooks, end to end', { timeout: 9 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let health: Server;
  let healthUrl: string;
  /** `<namespace>/<component> <status>` per /health request. */
  const healthHits: string[] = [];
  let tmp: string;
  const timings: Record<string, number> = {};

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const chartTgz = (version: string) => join(repo.dir, `opencti-${version}.tgz`);
  const history = async (ns: string) => JSON.parse(await helm(['history', RELEASE, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  const historyRows = async (ns: string) => (await history(ns)).map((h) => [h.revision, h.status, h.chart]);
  /** `helm status` (revision, status) and the chart from `helm list --all` (helm 3's status JSON has no chart). */
  const status = async (ns: string) => {
    const st = JSON.parse(await helm(['status', RELEASE, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } };
    const listed = (JSON.parse(await helm(['list', '-n', ns, '--all', '-o', 'json'])) as { name: string; chart: string }[]).find((r) => r.name === RELEASE);
    return [st.version, st.info.status, listed?.chart];
  };
  const releaseValues = async (ns: string) => parseYaml(await helm(['get', 'values', RELEASE, '-n', ns, '-o', 'yaml'])) as Record<string, unknown>;
  const deployments = async (ns: string) =>
    (JSON.parse(await kubectl('-n', ns, 'get', 'deployments', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json')) as { items: KubeDeployment[] }).items;
  const ingresses = async (ns: string) => (JSON.parse(await kubectl('-n', ns, 'get', 'ingresses', '-o', 'json')) as { items: KubeIngress[] }).items;
  const ingressBackends = (i: KubeIngress) => [...new Set((i.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service?.name))];
  /** Ready endpoints per Service, from the EndpointSlices the control plane made. */
  const readyEndpoints = async (ns: string) => {
    const slices = (JSON.parse(await kubectl('-n', ns, 'get', 'endpointslices', '-o', 'json')) as { items: KubeSlice[] }).items;
    const counts: Record<string, number> = {};
    for (const s of slices) {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      if (svc) counts[svc] = (counts[svc] ?? 0) + (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
    }
    return counts;
  };
  /** Ready endpoints of one Service once they are `want` (the EndpointSlice controller may trail the pods by a moment), or after 10 s. */
  const endpointsOf = async (ns: string, service: string, want: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = (await readyEndpoints(ns))[service] ?? 0;
      if (n === want || Date.now() > deadline) return n;
      await sleep(250);
    }
  };
  const services = async (ns: string) =>
    (JSON.parse(await kubectl('-n', ns, 'get', 'services', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json')) as { items: { metadata: { name: string } }[] }).items
      .map((s) => s.metadata.name)
      .sort();
  const envOf = (d: KubeDeployment) => Object.fromEntries(d.spec.template.spec.containers.flatMap((c) => c.env ?? []).map((e) => [e.name, e.value]));
  const byName = (list: KubeDeployment[], name: string) => {
    const d = list.find((x) => x.metadata.name === name);
    assert.ok(d, `Deployment ${name} exists (found: ${list.map((x) => x.metadata.name).join(', ')})`);
    return d;
  };
  const names = (list: KubeDeployment[]) => list.map((d) => d.metadata.name).sort();
  const rolledOut = (d: KubeDeployment) =>
    (d.status.readyReplicas ?? 0) === d.spec.replicas && (d.status.updatedReplicas ?? 0) === d.spec.replicas && (d.status.replicas ?? 0) === d.spec.replicas;
  /**
   * The release's Deployments once every one has rolled out (as `kubectl rollout status` judges it: helm --wait
   * returns when the new ReplicaSet is Ready, an old one may still be scaling down), or as they are after 15 s.
   */
  const settledDeployments = async (ns: string): Promise<KubeDeployment[]> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const list = await deployments(ns);
      if (list.every(rolledOut) || Date.now() > deadline) return list;
      await sleep(250);
    }
  };
  /** Every Deployment of the release fully rolled out and Ready. */
  const assertAllReady = (list: KubeDeployment[]) => {
    for (const d of list) {
      assert.ok(rolledOut(d), `${d.metadata.name}: ${JSON.stringify(d.status)} for ${d.spec.replicas} replicas`);
    }
  };
  /** Workers point at <release>-<worker>, every connector at <release>-<connector>: their rendered OPENCTI_URL. */
  const assertRouting = (list: KubeDeployment[], worker: string, connector: string) => {
    assert.equal(envOf(byName(list, `${RELEASE}-worker`)).OPENCTI_URL, `http://${RELEASE}-${worker}:80`, 'worker OPENCTI_URL');
    const connectors = list.filter((d) => d.metadata.labels?.['opencti.component'] === 'connector');
    assert.deepEqual(names(connectors), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`]);
    for (const c of connectors) assert.equal(envOf(c).OPENCTI_URL, `http://${RELEASE}-${connector}:80`, `${c.metadata.name} OPENCTI_URL`);
  };

  let namespaces = 0;
  /** A fresh namespace with the health key Secret (`key` as its value). */
  async function freshNamespace(label: string, key = HEALTH_KEY): Promise<string> {
    namespaces += 1;
    const ns = `octi-${namespaces}-${label}`;
    await kubectl('create', 'namespace', ns);
    await kubectl('-n', ns, 'create', 'secret', 'generic', SECRET, `--from-literal=${SECRET_KEY}=${key}`, '--from-literal=APP__ADMIN__PASSWORD=e2e-admin');
    return ns;
  }
  const install = (ns: string, version: string, files: string[]) =>
    helm(['upgrade', '--install', RELEASE, chartTgz(version), '-n', ns, ...files.flatMap((f) => ['-f', f]), '--wait', '--timeout', '60s']);
  /** Namespaces are removed once a test passed (their pods hold the fake node's capacity); on failure they stay for a look. */
  const dropNamespace = (ns: string) => kubectl('delete', 'namespace', ns, '--wait=false');

  /** The clustering values the migration generates from V1_VALUES with SIZING, written as a file. */
  let clusteringValuesFile: string;

  function common(ns: string) {
    const base = `${healthUrl}/${ns}`;
    return {
      release: RELEASE,
      namespace: ns,
      kube: { kubeconfig: cluster.kubeconfig },
      chart: { ref: `${REPO_NAME}/opencti`, repository: { name: REPO_NAME, url: repo.url } },
      approval: { required: true, timeout: '10m' },
      requestedBy: 'ria',
      health: {
        accessKey: { secretRef: { name: SECRET, key: SECRET_KEY } },
        via: 'url' as const,
        baseUrls: { server: `${base}/server`, frontend: `${base}/frontend`, ingestion: `${base}/ingestion` },
        requestTimeout: '5s',
      },
    };
  }

  const waitForPhase = (h: WorkflowHandle, phase: string, timeoutMs = 90_000) => waitForPhaseOf(h, phase, timeoutMs);

  /** Runs a workflow to its end, approving its gate like an operator; returns what the approver read. */
  async function runApproved<R>(handle: WorkflowHandle): Promise<{ result?: R; failure?: ApplicationFailure; status: RunStatus; summary: string; ms: number }> {
    const started = Date.now();
    const waiting = await waitForPhase(handle, 'waiting-approval');
    const summary = waiting.pendingApproval?.summary ?? '';
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'e2e' }] });
    try {
      const result = (await handle.result()) as R;
      return { result, status: await handle.query(statusQuery), summary, ms: Date.now() - started };
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      return { failure: err.cause, status: await handle.query(statusQuery), summary, ms: Date.now() - started };
    }
  }

  const stepOutcomes = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 240)})` : ''}`);
  const report = (t: { diagnostic: (m: string) => void }, what: string, run: { ms: number; status: RunStatus }) => {
    t.diagnostic(`${what} ${run.ms} ms`);
    for (const line of stepOutcomes(run.status)) t.diagnostic(`  ${line}`);
    for (const w of (run.status.facts.valuesWarnings as string[] | undefined) ?? []) t.diagnostic(`  values ${w}`);
  };
  /** The run completed with every step succeeded or skipped (nothing failed, nothing compensated). */
  const assertCompleted = (run: { failure?: ApplicationFailure; status: RunStatus }) => {
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${stepOutcomes(run.status).join('\n')}`);
    assert.equal(run.status.phase, 'completed');
    assert.ok(
      run.status.steps.every((s) => s.outcome === 'succeeded' || s.outcome === 'skipped'),
      stepOutcomes(run.status).join('\n'),
    );
  };
  const stepNamed = (s: RunStatus, name: string | RegExp) => s.steps.find((x) => (typeof name === 'string' ? x.name === name : name.test(x.name)));

  const start = <F extends typeof openctiUpgradeV2 | typeof openctiClusteringMigration | typeof openctiRollback>(wf: F, input: Parameters<F>[0]) =>
    env.client.workflow.start(wf as typeof openctiUpgradeV2, {
      taskQueue,
      workflowId: releaseWorkflowId(input.namespace, input.release),
      args: [input as Parameters<typeof openctiUpgradeV2>[0]],
    });

  before(async () => {
    const t0 = Date.now();
    tmp = await mkdtemp(join(tmpdir(), 'e2e-opencti-'));
    // The worker's helm (a child of this process) and the test's helm share these, never the user's.
    process.env.HELM_CONFIG_HOME = join(tmp, 'helm', 'config');
    process.env.HELM_CACHE_HOME = join(tmp, 'helm', 'cache');
    process.env.HELM_DATA_HOME = join(tmp, 'helm', 'data');
    health = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/([^/]+)\/(server|frontend|ingestion)\/health$/.exec(url.pathname);
      const code = !m ? 404 : url.searchParams.get('health_access_key') === HEALTH_KEY ? 200 : 401;
      if (m) healthHits.push(`${m[1]}/${m[2]} ${code}`);
      res.writeHead(code).end(code === 200 ? '{"status":"success"}\n' : '\n');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;

    const timed = async <T>(name: string, p: Promise<T>) => {
      const t = Date.now();
      const v = await p;
      timings[name] = Date.now() - t;
      return v;
    };
    [cluster, repo, env] = await Promise.all([
      timed('cluster', createKwokCluster('opencti-e2e')),
      timed('chartRepo', startChartRepo()),
      timed('temporal', createLocalEnv()),
      timed('bundle', workflowBundle()),
    ]).then(([c, r, e]) => [c, r, e] as const);
    cluster.env.HELM_CONFIG_HOME = process.env.HELM_CONFIG_HOME;
    cluster.env.HELM_CACHE_HOME = process.env.HELM_CACHE_HOME;
    cluster.env.HELM_DATA_HOME = process.env.HELM_DATA_HOME;

    // What the migration generates (the pure function the activity runs), for the rollback tests' releases.
    const migrated = migrateToClustering(await loadValues({ files: V1_VALUES, set: {} }), { release: RELEASE, targetVersion: '2.0.0', ...SIZING });
    clusteringValuesFile = join(tmp, 'opencti-clustering-values.yaml');
    await writeFile(clusteringValuesFile, stringify(migrated.values));

    taskQueue = uniqueTaskQueue('e2e-opencti');
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env }) });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ runner, workDir: tmp, pollIntervalMs: 500 }),
    });
    workerRun = worker.run();
    timings.setup = Date.now() - t0;
  });

  after(async () => {
    if (worker) {
      worker.shutdown();
      await workerRun.catch(() => undefined);
    }
    await env?.teardown();
    await cluster?.delete();
    await repo?.stop();
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
    // The OpenCTI activities write generated values files under <os tmpdir>, not the worker's workDir: remove ours.
    const valuesDir = join(tmpdir(), 'upgrade-runbooks-opencti-values');
    const ours = (await readdir(valuesDir).catch(() => [] as string[])).filter((f) => f.startsWith(`${RELEASE}-octi-`));
    await Promise.all(ours.map((f) => rm(join(valuesDir, f), { force: true })));
  });

  /** The namespace of tests 1 and 2: upgraded in place, then migrated to clustering. */
  let mainNs = '';

  it('in-place upgrade to v2: revision 2 on opencti-2.0.0, server Ready, Services with endpoints, /health with the key from the Secret', async (t) => {
    t.diagnostic(`setup ${JSON.stringify(timings)} ms`);
    const ns = await freshNamespace('inplace');
    await install(ns, '1.0.0', V1_VALUES);
    assert.deepEqual(await status(ns), [1, 'deployed', 'opencti-1.0.0']);

    const run = await runApproved<Awaited<ReturnType<typeof openctiUpgradeV2>>>(
      await start(openctiUpgradeV2, { ...common(ns), version: '2.0.0', values: { files: V1_VALUES }, timeout: '60s' }),
    );
    report(t, 'upgrade', run);
    assertCompleted(run);
    assert.match(run.summary, new RegExp(`helm upgrade ${RELEASE} ${REPO_NAME}/opencti --version 2\\.0\\.0 with the existing values, --wait --timeout 60s \\(from revision 1\\)`));
    const result = run.result!;
    assert.equal(result.fromRevision, 1);
    assert.equal(result.revision, 2);
    assert.equal(result.chartVersion, '2.0.0');
    assert.deepEqual(result.verification.services, [{ name: `${RELEASE}-server`, readyEndpoints: 2 }]);
    assert.deepEqual(result.verification.ingress, { name: RELEASE, hosts: ['cti.example.com'] });
    assert.deepEqual(result.verification.health, ['server 200']);
    assert.equal(stepNamed(run.status, 'add the updated Helm repository')?.outcome, 'succeeded');

    // helm: revision 2, chart 2.0.0, deployed, with the operator's values as given.
    assert.deepEqual(await status(ns), [2, 'deployed', 'opencti-2.0.0']);
    assert.deepEqual(await historyRows(ns), [
      [1, 'superseded', 'opencti-1.0.0'],
      [2, 'deployed', 'opencti-2.0.0'],
    ]);
    assert.equal((await releaseValues(ns)).clustering, undefined, 'single mode: no clustering values');

    // kubectl: the server Deployment at the v2 image and Ready, its Service with ready endpoints.
    const list = await settledDeployments(ns);
    assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-server`, `${RELEASE}-worker`]);
    assertAllReady(list);
    const server = byName(list, `${RELEASE}-server`);
    assert.equal(server.spec.replicas, 2);
    assert.equal(server.spec.template.spec.containers[0]?.image, 'opencti/platform:6.5.0');
    assert.deepEqual(await services(ns), [`${RELEASE}-server`]);
    assert.equal(await endpointsOf(ns, `${RELEASE}-server`, 2), 2, `ready endpoints of ${RELEASE}-server`);
    assertRouting(list, 'server', 'server');
    const ing = await ingresses(ns);
    assert.deepEqual(ing.map((i) => [i.metadata.name, ingressBackends(i)]), [[RELEASE, [`${RELEASE}-server`]]]);
    assert.ok(healthHits.includes(`${ns}/server 200`), `health called with the key (hits: ${healthHits.join(', ')})`);
    mainNs = ns;
  });

  it('clustering migration after that: frontend x2 and ingestion x3 Ready with endpoints, the frontend Ingress, workers -> ingestion, connectors -> frontend', async (t) => {
    assert.ok(mainNs, 'the in-place upgrade test ran first');
    const ns = mainNs;
    const run = await runApproved<Awaited<ReturnType<typeof openctiClusteringMigration>>>(
      await start(openctiClusteringMigration, { ...common(ns), version: '2.0.0', values: { files: V1_VALUES }, ...SIZING, timeout: '60s' }),
    );
    report(t, 'migration', run);
    assertCompleted(run);
    // The approver saw the generated values and their diff.
    assert.match(run.summary, /Diff \(3 changes\):/);
    assert.match(run.summary, /^\+ clustering: \{"enabled":true,"frontend":\{"enabled":true,"replicaCount":2,/m);
    assert.match(run.summary, /^- ingress: /m);
    assert.match(run.summary, /^- connectorsGlobal\.env\.OPENCTI_URL: /m);
    assert.match(run.summary, /moved to clustering\.frontend\.ingress/);
    assert.match(run.summary, /Generated values \(secrets hidden\):\n[^]*^clustering:\n {2}enabled: true$/m);
    const result = run.result!;
    assert.equal(result.fromRevision, 2);
    assert.equal(result.revision, 3);
    assert.deepEqual(result.verification.health, ['frontend 200', 'ingestion 200']);
    assert.ok(stepNamed(run.status, /^verify workers connect to ingestion and connectors to frontend$/), stepOutcomes(run.status).join('\n'));

    assert.deepEqual(await status(ns), [3, 'deployed', 'opencti-2.0.0']);
    const values = await releaseValues(ns);
    assert.deepEqual((values.clustering as { enabled: boolean }).enabled, true);
    assert.equal(values.ingress, undefined, 'the root ingress moved away');

    const list = await settledDeployments(ns);
    assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-frontend`, `${RELEASE}-ingestion`, `${RELEASE}-worker`]);
    assertAllReady(list);
    assert.equal(byName(list, `${RELEASE}-frontend`).spec.replicas, 2);
    assert.equal(byName(list, `${RELEASE}-ingestion`).spec.replicas, 3);
    // The frontend leaves the background managers to ingestion, and nothing at the top level overrides that.
    const frontendEnv = envOf(byName(list, `${RELEASE}-frontend`));
    for (const key of MANAGERS) assert.equal(frontendEnv[key], 'false', `frontend ${key}`);
    assert.equal(envOf(byName(list, `${RELEASE}-ingestion`)).RULE_ENGINE__ENABLED, undefined);

    assert.deepEqual(await services(ns), [`${RELEASE}-frontend`, `${RELEASE}-ingestion`]);
    assert.equal(await endpointsOf(ns, `${RELEASE}-frontend`, 2), 2, 'ready endpoints of the frontend Service');
    assert.equal(await endpointsOf(ns, `${RELEASE}-ingestion`, 3), 3, 'ready endpoints of the ingestion Service');
    const ing = await ingresses(ns);
    assert.deepEqual(ing.map((i) => [i.metadata.name, ingressBackends(i)]), [[`${RELEASE}-frontend`, [`${RELEASE}-frontend`]]], 'the frontend Ingress, no root one');
    assertRouting(list, 'ingestion', 'frontend');
    assert.ok(healthHits.includes(`${ns}/frontend 200`) && healthHits.includes(`${ns}/ingestion 200`), healthHits.join(', '));
    await dropNamespace(ns);
  });

  it('health access key still the default: the upgrade fails with "health access key missing or still the default" and is rolled back', async (t) => {
    const ns = await freshNamespace('badkey', 'ChangeMe');
    await install(ns, '1.0.0', V1_VALUES);
    const run = await runApproved<Awaited<ReturnType<typeof openctiUpgradeV2>>>(
      await start(openctiUpgradeV2, { ...common(ns), version: '2.0.0', values: { files: V1_VALUES }, timeout: '60s' }),
    );
    report(t, 'upgrade', run);
    assert.ok(run.failure, 'the run failed');
    assert.equal(run.failure.type, FailureType.VerificationFailed, run.failure.message);
    assert.match(run.failure.message, /server health .*\/health answered 401: health access key missing or still the default/);
    assert.doesNotMatch(run.failure.message, /ChangeMe/, 'the key is not in the message');
    assert.match(run.failure.message, /compensated: helm rollback opencti to revision 1/);
    assert.equal(run.status.phase, 'failed');
    assert.ok(healthHits.includes(`${ns}/server 401`), healthHits.join(', '));

    assert.deepEqual(await status(ns), [3, 'deployed', 'opencti-1.0.0']);
    const hist = await history(ns);
    assert.deepEqual(hist.map((h) => [h.revision, h.status, h.chart]), [
      [1, 'superseded', 'opencti-1.0.0'],
      [2, 'superseded', 'opencti-2.0.0'],
      [3, 'deployed', 'opencti-1.0.0'],
    ]);
    assert.equal(hist[2]?.description, 'Rollback to 1');
    const list = await settledDeployments(ns);
    assertAllReady(list);
    assert.equal(byName(list, `${RELEASE}-server`).spec.template.spec.containers[0]?.image, 'opencti/platform:6.4.0');
    await dropNamespace(ns);
  });

  describe('rollback modes (openctiRollback) from a clustering release', { concurrency: true }, () => {
    /**
     * A release as the guide leaves it after a clustering migration: revision 1 on chart
     * 1.0.0, revision 2 in place on 2.0.0, revision 3 the generated clustering values.
     */
    async function clusteredRelease(label: string): Promise<string> {
      const ns = await freshNamespace(label);
      await install(ns, '1.0.0', V1_VALUES);
      await install(ns, '2.0.0', V1_VALUES);
      await install(ns, '2.0.0', [clusteringValuesFile]);
      assert.deepEqual(await status(ns), [3, 'deployed', 'opencti-2.0.0']);
      assert.deepEqual(names(await deployments(ns)).filter((n) => /frontend|ingestion/.test(n)), [`${RELEASE}-frontend`, `${RELEASE}-ingestion`]);
      return ns;
    }

    it('helm-rollback to revision 1: history shows "Rollback to 1", the v1 server is back and Ready', async (t) => {
      const ns = await clusteredRelease('rb-helm');
      const run = await runApproved<Awaited<ReturnType<typeof openctiRollback>>>(
        await start(openctiRollback, { ...common(ns), mode: 'helm-rollback', toRevision: 1, timeout: '60s' }),
      );
      report(t, 'rollback', run);
      assertCompleted(run);
      assert.match(run.summary, /helm rollback opencti 1 \(revision 1: opencti-1\.0\.0, superseded\) from revision 3/);
      assert.equal(run.result!.fromRevision, 3);
      assert.equal(run.result!.revision, 4);

      assert.deepEqual(await status(ns), [4, 'deployed', 'opencti-1.0.0']);
      const hist = await history(ns);
      assert.deepEqual(hist.map((h) => [h.revision, h.status, h.chart]), [
        [1, 'superseded', 'opencti-1.0.0'],
        [2, 'superseded', 'opencti-2.0.0'],
        [3, 'superseded', 'opencti-2.0.0'],
        [4, 'deployed', 'opencti-1.0.0'],
      ]);
      assert.equal(hist[3]?.description, 'Rollback to 1');
      const list = await settledDeployments(ns);
      assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-server`, `${RELEASE}-worker`]);
      assertAllReady(list);
      assert.equal(byName(list, `${RELEASE}-server`).spec.template.spec.containers[0]?.image, 'opencti/platform:6.4.0');
      assert.equal(await endpointsOf(ns, `${RELEASE}-server`, 2), 2, `ready endpoints of ${RELEASE}-server`);
      assertRouting(list, 'server', 'server');
      assert.deepEqual((await ingresses(ns)).map((i) => [i.metadata.name, ingressBackends(i)]), [[RELEASE, [`${RELEASE}-server`]]]);
      await dropNamespace(ns);
    });

    it('disable-clustering: the server Deployment and the root Ingress are back, frontend and ingestion gone', async (t) => {
      const ns = await clusteredRelease('rb-single');
      const run = await runApproved<Awaited<ReturnType<typeof openctiRollback>>>(
        await start(openctiRollback, { ...common(ns), mode: 'disable-clustering', version: '2.0.0', values: { files: [clusteringValuesFile] }, timeout: '60s' }),
      );
      report(t, 'rollback', run);
      assertCompleted(run);
      assert.match(run.summary, /restored at the root/);
      assert.equal(run.result!.revision, 4);
      assert.deepEqual(run.result!.verification.health, ['server 200']);

      assert.deepEqual(await status(ns), [4, 'deployed', 'opencti-2.0.0']);
      assert.equal(((await releaseValues(ns)).clustering as { enabled: boolean }).enabled, false);
      const list = await settledDeployments(ns);
      assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-server`, `${RELEASE}-worker`]);
      assertAllReady(list);
      assert.equal(byName(list, `${RELEASE}-server`).spec.replicas, 2);
      assert.deepEqual(await services(ns), [`${RELEASE}-server`]);
      assert.equal(await endpointsOf(ns, `${RELEASE}-server`, 2), 2, `ready endpoints of ${RELEASE}-server`);
      assert.deepEqual((await ingresses(ns)).map((i) => [i.metadata.name, ingressBackends(i)]), [[RELEASE, [`${RELEASE}-server`]]], 'the root Ingress, to the server');
      assertRouting(list, 'server', 'server');
      await dropNamespace(ns);
    });

    it('disable-frontend (partial, replaying the migration from the v1 values): workers and connectors point at ingestion, the root Ingress serves it', async (t) => {
      const ns = await clusteredRelease('rb-nofront');
      const run = await runApproved<Awaited<ReturnType<typeof openctiRollback>>>(
        await start(openctiRollback, {
          ...common(ns),
          mode: 'disable-frontend',
          version: '2.0.0',
          values: { files: V1_VALUES },
          replayMigration: SIZING,
          timeout: '60s',
        }),
      );
      report(t, 'rollback', run);
      assertCompleted(run);
      assert.equal(run.result!.revision, 4);
      assert.deepEqual(run.result!.verification.health, ['ingestion 200']);

      assert.deepEqual(await status(ns), [4, 'deployed', 'opencti-2.0.0']);
      const values = await releaseValues(ns);
      const clustering = values.clustering as { enabled: boolean; frontend: { enabled: boolean } };
      assert.deepEqual([clustering.enabled, clustering.frontend.enabled], [true, false]);
      const list = await settledDeployments(ns);
      assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-ingestion`, `${RELEASE}-worker`]);
      assertAllReady(list);
      assert.equal(byName(list, `${RELEASE}-ingestion`).spec.replicas, 3);
      assert.deepEqual(await services(ns), [`${RELEASE}-ingestion`]);
      assert.equal(await endpointsOf(ns, `${RELEASE}-ingestion`, 3), 3, `ready endpoints of ${RELEASE}-ingestion`);
      assertRouting(list, 'ingestion', 'ingestion');
      assert.deepEqual((await ingresses(ns)).map((i) => [i.metadata.name, ingressBackends(i)]), [[RELEASE, [`${RELEASE}-ingestion`]]], 'the root Ingress, to ingestion');
      await dropNamespace(ns);
    });

    it('disable-ingestion (partial): workers and connectors point at the frontend, which runs the background managers again', async (t) => {
      const ns = await clusteredRelease('rb-noingest');
      const run = await runApproved<Awaited<ReturnType<typeof openctiRollback>>>(
        await start(openctiRollback, { ...common(ns), mode: 'disable-ingestion', version: '2.0.0', values: { files: [clusteringValuesFile] }, timeout: '60s' }),
      );
      report(t, 'rollback', run);
      assertCompleted(run);
      assert.equal(run.result!.revision, 4);
      assert.deepEqual(run.result!.verification.health, ['frontend 200']);

      assert.deepEqual(await status(ns), [4, 'deployed', 'opencti-2.0.0']);
      const list = await settledDeployments(ns);
      assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-frontend`, `${RELEASE}-worker`]);
      assertAllReady(list);
      assert.equal(byName(list, `${RELEASE}-frontend`).spec.replicas, 2);
      const frontendEnv = envOf(byName(list, `${RELEASE}-frontend`));
      for (const key of MANAGERS) assert.notEqual(frontendEnv[key], 'false', `frontend ${key} no longer disabled`);
      assert.deepEqual(await services(ns), [`${RELEASE}-frontend`]);
      assert.equal(await endpointsOf(ns, `${RELEASE}-frontend`, 2), 2, `ready endpoints of ${RELEASE}-frontend`);
      assertRouting(list, 'frontend', 'frontend');
      assert.deepEqual((await ingresses(ns)).map((i) => [i.metadata.name, ingressBackends(i)]), [[`${RELEASE}-frontend`, [`${RELEASE}-frontend`]]]);
      await dropNamespace(ns);
    });
  });

  describe('a clustering migration whose frontend pods never become Ready', { concurrency: true }, () => {
    /** A single-mode v2 release (revision 1) and a migration whose frontend pods carry the never-ready fault label. */
    async function failedMigration(t: { diagnostic: (m: string) => void }, label: string, compensation: 'helm-rollback' | 'disable-clustering') {
      const ns = await freshNamespace(label);
      await install(ns, '2.0.0', V1_VALUES);
      const run = await runApproved<Awaited<ReturnType<typeof openctiClusteringMigration>>>(
        await start(openctiClusteringMigration, {
          ...common(ns),
          version: '2.0.0',
          values: { files: V1_VALUES },
          frontend: { ...SIZING.frontend, podLabels: { [FAULT_LABEL]: Fault.NeverReady } },
          ingestion: SIZING.ingestion,
          timeout: '20s',
          compensation,
        }),
      );
      report(t, 'migration', run);
      assert.ok(run.failure, 'the run failed');
      assert.equal(run.failure.type, FailureType.RolloutTimeout, run.failure.message);
      assert.match(run.failure.message, /UPGRADE FAILED: context deadline exceeded/);
      assert.equal(run.status.phase, 'failed');
      assert.equal(stepNamed(run.status, 'deploy clustering configuration')?.outcome, 'failed');
      assert.ok(!run.status.steps.some((s) => /verify|check .* services|accessibility/.test(s.name) && s.outcome === 'succeeded'), 'no verification ran');
      return { ns, run };
    }

    /** What both compensations leave: revision 2 failed, revision 3 deployed single mode on 2.0.0, nothing pending, the server Ready. */
    async function assertBackToSingleMode(ns: string) {
      assert.deepEqual(await status(ns), [3, 'deployed', 'opencti-2.0.0']);
      const hist = await history(ns);
      assert.deepEqual(hist.map((h) => [h.revision, h.status, h.chart]), [
        [1, 'superseded', 'opencti-2.0.0'],
        [2, 'failed', 'opencti-2.0.0'],
        [3, 'deployed', 'opencti-2.0.0'],
      ]);
      assert.ok(hist.every((h) => !h.status.startsWith('pending')), JSON.stringify(hist));
      const list = await settledDeployments(ns);
      assert.deepEqual(names(list), [`${RELEASE}-connector-mitre`, `${RELEASE}-connector-opencti`, `${RELEASE}-server`, `${RELEASE}-worker`]);
      assertAllReady(list);
      assert.deepEqual(await services(ns), [`${RELEASE}-server`]);
      assert.equal(await endpointsOf(ns, `${RELEASE}-server`, 2), 2, `ready endpoints of ${RELEASE}-server`);
      assertRouting(list, 'server', 'server');
      assert.deepEqual((await ingresses(ns)).map((i) => [i.metadata.name, ingressBackends(i)]), [[RELEASE, [`${RELEASE}-server`]]]);
      return hist;
    }

    it('compensation helm-rollback: the release is rolled back to the pre-migration revision, nothing pending', async (t) => {
      const { ns, run } = await failedMigration(t, 'neverready', 'helm-rollback');
      assert.match(run.failure!.message, /compensated: helm rollback opencti to revision 1/);
      assert.deepEqual(run.status.outcome?.compensations, ['helm rollback opencti to revision 1 (now revision 3)']);
      const hist = await assertBackToSingleMode(ns);
      assert.equal(hist[2]?.description, 'Rollback to 1');
      assert.equal((await releaseValues(ns)).clustering, undefined, 'the pre-migration values');
      await dropNamespace(ns);
    });

    it('compensation disable-clustering: the release is upgraded back to single mode on 2.0.0, nothing pending', async (t) => {
      const { ns, run } = await failedMigration(t, 'neverready-single', 'disable-clustering');
      assert.match(run.failure!.message, /compensated: helm upgrade opencti back to single mode \(clustering\.enabled=false\)/);
      // helm upgrade diffs against the last *deployed* revision (1), so whatever the failed revision 2 created
      // (frontend and ingestion Deployments, Services, the frontend Ingress) is only removed if the failed
      // upgrade cleaned up after itself (helm --cleanup-on-fail): nothing of it may be left running.
      const leftovers = await kubectl('-n', ns, 'get', 'deployments,services,ingresses', '-l', `app.kubernetes.io/instance=${RELEASE},opencti.component in (frontend,ingestion)`, '-o', 'name');
      assert.equal(leftovers.trim(), '', `resources of the failed clustering revision left behind:\n${leftovers}`);
      const hist = await assertBackToSingleMode(ns);
      assert.equal(hist[2]?.description, 'Upgrade complete');
      assert.equal(((await releaseValues(ns)).clustering as { enabled?: boolean } | undefined)?.enabled, false);
      await dropNamespace(ns);
    });
  });
});
