// End to end (issue 11): the OpenCTI chart v1 -> v2 runbooks on the fixture charts that
// model the real devops-ia/helm-opencti contract (fullname rule, opencti.connector labels,
// root Ingress only without clustering, default frontend env, probes, 2.0.19's Services
// that select the server), against real components: one KWOK cluster, one local chart
// repository serving opencti 1.13.8, 2.0.19 and 2.5.0, one Temporal dev server, one real
// worker whose activities run the real helm and kubectl. Runs are driven through the
// client like an operator (the approve Update), then the cluster is checked with helm and
// kubectl, not only the result.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/opencti.test.ts
//
// Health: nothing runs inside KWOK pods, so /health is a node:http server on 127.0.0.1
// reached through `health.via: url`; it answers 200 only with the key held by the Secret
// the activity reads.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { stringify } from 'yaml';
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
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { fixturesDir } from '../helpers/paths.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

/** Not "opencti": the chart names everything <release>-opencti-*. */
const RELEASE = 'cti';
const FULL = 'cti-opencti';
const REPO_NAME = 'e2e-opencti';
const SECRET = 'opencti-credentials';
const SECRET_KEY = 'APP__HEALTH_ACCESS_KEY';
const HEALTH_KEY = 'e2e-health-key-7f3a';
const values = (...names: string[]) => names.map((n) => join(fixturesDir, 'opencti-values', `${n}.yaml`));
/** v1 values: a worker, two connectors, the health key from a Secret (env key unset: 2.5.0 renders its exec probe). */
const V1 = values('connectors-cti', 'health-key-exec');
const SIZING = { frontend: { replicaCount: 2 }, ingestion: { replicaCount: 2 } };
const MANAGERS = ['NOTIFICATION_MANAGER__ENABLED', 'RULE_ENGINE__ENABLED', 'TASK_SCHEDULER__ENABLED', 'HISTORY_MANAGER__ENABLED', 'SYNC_MANAGER__ENABLED'];

interface KubeDeployment {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
}

describe('OpenCTI runbooks on the real chart contract, end to end', { timeout: 9 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let health: Server;
  let healthUrl: string;
  let tmp: string;
  const started = Date.now();

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const chartTgz = (version: string) => join(repo.dir, `opencti-${version}.tgz`);
  const historyRows = async (ns: string) =>
    (JSON.parse(await helm(['history', RELEASE, '-n', ns, '-o', 'json'])) as { revision: number; status: string; chart: string }[]).map((h) => [h.revision, h.status, h.chart]);
  const deployments = async (ns: string) =>
    (JSON.parse(await kubectl('-n', ns, 'get', 'deployments', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json')) as { items: KubeDeployment[] }).items;
  const envOf = (d: KubeDeployment) => Object.fromEntries(d.spec.template.spec.containers.flatMap((c) => c.env ?? []).map((e) => [e.name, e.value]));
  const byName = (list: KubeDeployment[], name: string) => {
    const d = list.find((x) => x.metadata.name === name);
    assert.ok(d, `Deployment ${name} exists (found: ${list.map((x) => x.metadata.name).join(', ')})`);
    return d;
  };
  const names = (list: KubeDeployment[]) => list.map((d) => d.metadata.name).sort();
  const ingressNames = async (ns: string) => (JSON.parse(await kubectl('-n', ns, 'get', 'ingresses', '-o', 'json')) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);

  let namespaces = 0;
  async function freshNamespace(label: string): Promise<string> {
    namespaces += 1;
    const ns = `octi-${namespaces}-${label}`;
    await kubectl('create', 'namespace', ns);
    await kubectl('-n', ns, 'create', 'secret', 'generic', SECRET, `--from-literal=${SECRET_KEY}=${HEALTH_KEY}`);
    return ns;
  }
  const install = (ns: string, version: string, files: string[]) =>
    helm(['upgrade', '--install', RELEASE, chartTgz(version), '-n', ns, ...files.flatMap((f) => ['-f', f]), '--wait', '--timeout', '60s']);
  const dropNamespace = (ns: string) => kubectl('delete', 'namespace', ns, '--wait=false');

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
      timeout: '60s',
    };
  }

  async function waitForPhase(h: WorkflowHandle, phase: string, timeoutMs = 90_000): Promise<RunStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await h.query(statusQuery);
      if (s.phase === phase) return s;
      if (s.outcome) assert.fail(`the run ended (${s.outcome.message}) before reaching phase ${phase}\n${stepOutcomes(s).join('\n')}`);
      if (Date.now() > deadline) assert.fail(`the run never reached phase ${phase} (now ${s.phase})`);
      await sleep(200);
    }
  }
  const stepOutcomes = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 240)})` : ''}`);

  /** Runs a workflow to its end, approving its gate like an operator; returns what the approver read. */
  async function runApproved<R>(handle: WorkflowHandle): Promise<{ result?: R; status: RunStatus; summary: string }> {
    const waiting = await waitForPhase(handle, 'waiting-approval');
    const summary = waiting.pendingApproval?.summary ?? '';
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'e2e' }] });
    let result: R | undefined;
    try {
      result = (await handle.result()) as R;
    } catch (err) {
      const status = await handle.query(statusQuery);
      assert.fail(`${err instanceof WorkflowFailedError ? err.cause?.message : String(err)}\n${stepOutcomes(status).join('\n')}`);
    }
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'completed', stepOutcomes(status).join('\n'));
    assert.ok(status.steps.every((s) => s.outcome === 'succeeded' || s.outcome === 'skipped'), stepOutcomes(status).join('\n'));
    return { result, status, summary };
  }
  /** A run that must fail before any change: its failure. */
  async function runRefused(handle: WorkflowHandle): Promise<ApplicationFailure> {
    try {
      await handle.result();
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      return err.cause;
    }
    assert.fail('the run should have been refused');
  }

  const start = <F extends typeof openctiUpgradeV2 | typeof openctiClusteringMigration | typeof openctiRollback>(wf: F, input: Parameters<F>[0]) =>
    env.client.workflow.start(wf as typeof openctiUpgradeV2, {
      taskQueue,
      workflowId: releaseWorkflowId(input.namespace, input.release),
      args: [input as Parameters<typeof openctiUpgradeV2>[0]],
    });

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'e2e-opencti-'));
    process.env.HELM_CONFIG_HOME = join(tmp, 'helm', 'config');
    process.env.HELM_CACHE_HOME = join(tmp, 'helm', 'cache');
    process.env.HELM_DATA_HOME = join(tmp, 'helm', 'data');
    health = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/([^/]+)\/(server|frontend|ingestion)\/health$/.exec(url.pathname);
      const code = !m ? 404 : url.searchParams.get('health_access_key') === HEALTH_KEY ? 200 : 401;
      res.writeHead(code).end(code === 200 ? '{"status":"success"}\n' : '\n');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
    [cluster, repo, env] = await Promise.all([createKwokCluster('opencti-e2e'), startChartRepo(), createLocalEnv(), workflowBundle()]).then(([c, r, e]) => [c, r, e] as const);
    cluster.env.HELM_CONFIG_HOME = process.env.HELM_CONFIG_HOME;
    cluster.env.HELM_CACHE_HOME = process.env.HELM_CACHE_HOME;
    cluster.env.HELM_DATA_HOME = process.env.HELM_DATA_HOME;
    taskQueue = uniqueTaskQueue('e2e-opencti');
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env }) });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: createActivities({ runner, workDir: tmp, pollIntervalMs: 500 }) });
    workerRun = worker.run();
  });

  after(async () => {
    console.log(`# opencti e2e file run time ${Date.now() - started} ms`);
    if (worker) {
      worker.shutdown();
      await workerRun.catch(() => undefined);
    }
    await env?.teardown();
    await cluster?.delete();
    await repo?.stop();
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  let mainNs = '';

  it(`a release named "${RELEASE}": in-place upgrade 1.13.8 -> 2.5.0 verified on ${FULL}-* objects found in the manifest`, async () => {
    const ns = await freshNamespace('inplace');
    await install(ns, '1.13.8', V1);
    const run = await runApproved<{ revision: number; verification: { deployments: string[]; services: { name: string }[]; health: string[] } }>(
      await start(openctiUpgradeV2, { ...common(ns), version: '2.5.0', values: { files: V1 } }),
    );
    assert.match(run.summary, new RegExp(`Deployment ${FULL}-server \\(server\\) x1`));
    assert.deepEqual(run.result!.verification.deployments.sort(), [`${FULL}-mitre-connector`, `${FULL}-opencti-connector`, `${FULL}-server`, `${FULL}-worker`]);
    assert.deepEqual(run.result!.verification.services.map((s) => s.name), [`${FULL}-server`]);
    assert.deepEqual(run.result!.verification.health, ['server 200']);
    assert.deepEqual(await historyRows(ns), [
      [1, 'superseded', 'opencti-1.13.8'],
      [2, 'deployed', 'opencti-2.5.0'],
    ]);
    mainNs = ns;
  });

  it('clustering migration with connectors: connectors (opencti.connector) -> frontend, workers -> ingestion, frontend managers off as promised', async () => {
    assert.ok(mainNs, 'the in-place upgrade ran first');
    const ns = mainNs;
    const run = await runApproved<{ revision: number; verification: { promised: string[] } }>(
      await start(openctiClusteringMigration, { ...common(ns), version: '2.5.0', values: { files: V1 }, ...SIZING }),
    );
    assert.match(run.summary, /Env the run sets and verifies:\n {2}clustering\.frontend\.env\.NOTIFICATION_MANAGER__ENABLED=false/);
    assert.ok(run.status.steps.some((s) => s.name === 'verify workers connect to ingestion and connectors to frontend' && s.outcome === 'succeeded'), stepOutcomes(run.status).join('\n'));
    assert.equal(run.result!.verification.promised.length, 5);
    const list = await deployments(ns);
    assert.deepEqual(names(list), [`${FULL}-frontend`, `${FULL}-ingestion`, `${FULL}-mitre-connector`, `${FULL}-opencti-connector`, `${FULL}-worker`]);
    for (const c of [`${FULL}-mitre-connector`, `${FULL}-opencti-connector`]) assert.equal(envOf(byName(list, c)).OPENCTI_URL, `http://${FULL}-frontend:80`);
    assert.equal(envOf(byName(list, `${FULL}-worker`)).OPENCTI_URL, `http://${FULL}-ingestion:80`);
    for (const k of MANAGERS) assert.equal(envOf(byName(list, `${FULL}-frontend`))[k], 'false', k);
  });

  it('disable-ingestion: the frontend runs the managers again (set true explicitly, read live), workers -> frontend', async () => {
    assert.ok(mainNs);
    const ns = mainNs;
    await runApproved(await start(openctiRollback, { ...common(ns), mode: 'disable-ingestion', version: '2.5.0', values: { files: V1 }, replayMigration: SIZING }));
    const list = await deployments(ns);
    assert.ok(!names(list).includes(`${FULL}-ingestion`));
    const frontend = envOf(byName(list, `${FULL}-frontend`));
    // The chart's defaults set three of these false on the frontend: they are true because the run set them.
    for (const k of MANAGERS) assert.equal(frontend[k], 'true', k);
    assert.equal(envOf(byName(list, `${FULL}-worker`)).OPENCTI_URL, `http://${FULL}-frontend:80`);
    await dropNamespace(ns);
  });

  it('disable-frontend: no Ingress is expected or left, the approval says users lose it; workers and connectors -> ingestion', async () => {
    const ns = await freshNamespace('nofrontend');
    const single = values('connectors-cti', 'ingress-tls', 'health-key-exec');
    const migrated = migrateToClustering(await loadValues({ files: single, set: {} }), { release: RELEASE, targetVersion: '2.5.0', ...SIZING });
    const file = join(tmp, `${ns}-clustering.yaml`);
    await writeFile(file, stringify(migrated.values));
    await install(ns, '2.5.0', [file]);
    assert.deepEqual(await ingressNames(ns), [`${FULL}-frontend`]);
    const run = await runApproved(await start(openctiRollback, { ...common(ns), mode: 'disable-frontend', version: '2.5.0', values: { files: [file] } }));
    assert.match(run.summary, /\[no-ingress\].*users lose the UI\/API ingress/);
    assert.equal(run.status.steps.find((s) => s.name === 'check ingress configuration')?.outcome, 'skipped');
    assert.deepEqual(await ingressNames(ns), []);
    const list = await deployments(ns);
    assert.equal(envOf(byName(list, `${FULL}-worker`)).OPENCTI_URL, `http://${FULL}-ingestion:80`);
    assert.equal(envOf(byName(list, `${FULL}-mitre-connector`)).OPENCTI_URL, `http://${FULL}-ingestion:80`);
    await dropNamespace(ns);
  });

  it('a known-bad target (2.0.19: clustering Services select the server) is refused in plan, before any change', async () => {
    const ns = await freshNamespace('knownbad');
    await install(ns, '2.5.0', V1);
    const failure = await runRefused(await start(openctiClusteringMigration, { ...common(ns), version: '2.0.19', values: { files: V1 }, dryRun: true }));
    assert.equal(failure.type, FailureType.Incompatible);
    assert.match(failure.message, /chart 2\.0\.19 .*select opencti\.component=server.*Fix: target chart 2\.1\.0 or later/);
    assert.match(failure.message, new RegExp(`Service ${FULL}-frontend selects .*opencti\\.component=server, which no pod of the release carries`));
    assert.deepEqual(await historyRows(ns), [[1, 'deployed', 'opencti-2.5.0']]);
    await dropNamespace(ns);
  });

  it('v1 -> clustering is refused, pointing at the in-place upgrade first', async () => {
    const ns = await freshNamespace('v1clustering');
    await install(ns, '1.13.8', V1);
    const failure = await runRefused(await start(openctiClusteringMigration, { ...common(ns), version: '2.5.0', values: { files: V1 } }));
    assert.equal(failure.type, FailureType.Incompatible);
    assert.match(failure.message, /runs chart 1\.13\.8: the guide migrates to clustering after upgrading to v2\. Run opencti-upgrade-v2 first/);
    assert.deepEqual(await historyRows(ns), [[1, 'deployed', 'opencti-1.13.8']]);
    await dropNamespace(ns);
  });
});
