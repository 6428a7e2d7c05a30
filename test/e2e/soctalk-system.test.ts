// End to end (issue 7): the SocTalk system upgrade and rollback workflows against real
// components. One KWOK cluster, one PostgreSQL, one chart repository and one Temporal dev
// server for the file; one real worker whose activities run the real helm, kubectl,
// pg_dump, pg_restore and psql. Every test installs its own soctalk-system 0.1.0 release
// in its own namespace, with its own copy of the seeded database, drives the workflow
// through the client like an operator (the approve Update), and then checks the cluster
// with `helm` and `kubectl` and the database with `psql`, not only the workflow's result.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/soctalk-system.test.ts
//
// Why the fixture is installed with migration.hook=false: the runbook applies the Alembic
// Job itself (`helm template --show-only ... | kubectl apply`) before `helm upgrade`. With
// the chart's default (the Job as a post-install,pre-upgrade hook) helm would delete the
// Job the runbook applied and run the migration a second time during the upgrade, so the
// test could not tell which Job it sees. As a plain release resource, the Job in the
// cluster after the run is exactly the one the runbook applied. It also exposes what a
// plain Job means for `helm rollback` (an immutable pod template; see the workflows).
// The runbook's values file (soctalk-system-values.yaml) carries migration.hook=false and,
// as the runbook warns, pins image.tag to the installed version, so these tests also prove
// that the workflow's --set-string image.tag override wins.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createActivities } from '../../src/activities/index.js';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { soctalkSystemRollback } from '../../src/workflows/soctalk/system-rollback.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { businessWorkflowId, waitForPhase as waitForPhaseOf } from '../helpers/workflow-harness.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const RELEASE = 'soctalk-system';
const JOB = `${RELEASE}-alembic-upgrade`;
const API = `${RELEASE}-api`;
const DB_URL_ENV = 'SOCTALK_DATABASE_URL';
const REPO_NAME = 'e2e-soctalk';
/** The fixture variant that ships the runbook's Alembic Job; soctalk-system itself migrates in db-init, like the real chart. */
const JOB_CHART = 'soctalk-system-job';

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}
interface KubeJob {
  metadata: { uid: string; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: { image: string }[] } } };
  status: { conditions?: { type: string; status: string }[]; succeeded?: number; failed?: number };
}

describe('soctalk-system upgrade and rollback, end to end', { timeout: 8 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let pg: Postgres;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let health: Server;
  let healthUrl: string;
  const healthHits: string[] = [];
  let tmp: string;
  let backupDir: string;
  let valuesFile: string;
  let realValuesFile: string;
  let matrixFile: string;
  const timings: Record<string, number> = {};
  let namespaces = 0;

  /** helm with this file's own config/cache/data dirs (the worker's helm shares them through process.env). */
  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const chartTgz = (name: string, version: string) => join(repo.dir, `${name}-${version}.tgz`);
  const history = async (ns: string) => JSON.parse(await helm(['history', RELEASE, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  /** `helm status` (revision, status) and the chart version from `helm list` (helm 3's status JSON has no chart). */
  const status = async (ns: string) => {
    const st = JSON.parse(await helm(['status', RELEASE, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } };
    const listed = (JSON.parse(await helm(['list', '-n', ns, '--all', '-o', 'json'])) as { name: string; chart: string }[]).find((r) => r.name === RELEASE);
    return { revision: st.version, status: st.info.status, chart: listed?.chart };
  };
  const getJob = async (ns: string) => {
    const out = await kubectl('-n', ns, 'get', 'job', JOB, '-o', 'json', '--ignore-not-found');
    return out.trim() ? (JSON.parse(out) as KubeJob) : undefined;
  };
  const apiDeployment = async (ns: string) =>
    JSON.parse(await kubectl('-n', ns, 'get', 'deployment', API, '-o', 'json')) as {
      metadata: { annotations?: Record<string, string> };
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
      status: { readyReplicas?: number };
    };
  const hasCondition = (job: KubeJob | undefined, type: string) => job?.status.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

  /** A fresh namespace with soctalk-system 0.1.0 installed (the runbook's values file) and its own seeded database. */
  async function freshSystem(label: string): Promise<{ ns: string; db: string; psql: (sql: string) => Promise<string>; jobUid: string }> {
    namespaces += 1;
    const ns = `sys-${namespaces}-${label}`;
    const db = `soctalk_${namespaces}`;
    await kubectl('create', 'namespace', ns);
    await helm(['install', RELEASE, chartTgz(JOB_CHART, '0.1.0'), '-n', ns, '--values', valuesFile, '--wait', '--timeout', '60s']);
    // A copy of the seeded `soctalk` database: alembic_version 0001_initial, 3 tenants, 30 alerts.
    await pg.psql(`CREATE DATABASE ${db} TEMPLATE soctalk`, 'postgres');
    process.env[DB_URL_ENV] = pg.url.replace(/\/soctalk$/, `/${db}`);
    const psql = (sql: string) => pg.psql(sql, db);
    assert.equal(await psql('SELECT version_num FROM alembic_version'), '0001_initial');
    await kubectl('-n', ns, 'wait', '--for=condition=complete', `job/${JOB}`, '--timeout=60s');
    const job = await getJob(ns);
    return { ns, db, psql, jobUid: job!.metadata.uid };
  }

  /**
   * A fresh namespace with the real-shaped soctalk-system 0.1.0 (kubeVersion >=1.28.0-0,
   * alembic in the API's db-init initContainer, no Job) and its own seeded database.
   */
  async function freshRealSystem(label: string): Promise<{ ns: string; psql: (sql: string) => Promise<string> }> {
    namespaces += 1;
    const ns = `sys-${namespaces}-${label}`;
    const db = `soctalk_${namespaces}`;
    await kubectl('create', 'namespace', ns);
    await helm(['install', RELEASE, chartTgz('soctalk-system', '0.1.0'), '-n', ns, '--values', realValuesFile, '--wait', '--timeout', '60s']);
    await pg.psql(`CREATE DATABASE ${db} TEMPLATE soctalk`, 'postgres');
    process.env[DB_URL_ENV] = pg.url.replace(/\/soctalk$/, `/${db}`);
    return { ns, psql: (sql: string) => pg.psql(sql, db) };
  }

  /** The input for the real-shaped chart: repository chart soctalk-system, no volume snapshots. */
  const realInput = (ns: string, extra: Record<string, unknown> = {}) => {
    const base = upgradeInput(ns, extra) as Record<string, unknown> & { backup: Record<string, unknown> };
    return {
      ...base,
      chart: { ref: `${REPO_NAME}/soctalk-system`, repository: { name: REPO_NAME, url: repo.url } },
      values: { files: [realValuesFile], ...((extra.values as object | undefined) ?? {}) },
      backup: { database: base.backup.database },
    };
  };

  /** What the restore must bring back, read with psql. */
  const dbContent = (psql: (sql: string) => Promise<string>) =>
    Promise.all([
      psql('SELECT version_num FROM alembic_version'),
      psql('SELECT count(*) FROM alerts'),
      psql("SELECT string_agg(slug || ':' || chart_version, ',' ORDER BY slug) FROM tenants"),
      psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'triaged'"),
    ]).then(([version, alerts, tenants, triagedColumn]) => ({ version, alerts, tenants, triagedColumn }));
  const SEEDED = { version: '0001_initial', alerts: '30', tenants: 'acme:0.1.0,beta:0.1.0,gamma:0.1.0', triagedColumn: '0' };

  /** What a migration would have done: a new head, a new column, changed rows. */
  const simulateMigration = (psql: (sql: string) => Promise<string>) =>
    psql(
      "UPDATE alembic_version SET version_num = '0002_triage'; ALTER TABLE alerts ADD COLUMN triaged boolean DEFAULT false; " +
        "INSERT INTO alerts (tenant, severity, title) VALUES ('acme', 5, 'written by the new version'); UPDATE tenants SET chart_version = '0.2.0'",
    );

  function upgradeInput(ns: string, extra: Record<string, unknown> = {}) {
    return {
      release: RELEASE,
      namespace: ns,
      kube: { kubeconfig: cluster.kubeconfig },
      chart: { ref: `${REPO_NAME}/${JOB_CHART}`, repository: { name: REPO_NAME, url: repo.url } },
      targetVersion: '0.2.0',
      imageTag: '0.2.0',
      values: { files: [valuesFile] },
      requestedBy: 'ria',
      timeouts: { migration: '30s', upgrade: '45s', rollback: '45s', backup: '60s', verify: '30s' },
      prerequisites: { apiGroups: ['snapshot.storage.k8s.io'], crds: ['volumesnapshots.snapshot.storage.k8s.io'] },
      compatibility: { file: matrixFile },
      backup: {
        database: { mode: 'direct', urlFrom: { env: DB_URL_ENV } },
        volumeSnapshots: { selector: `app.kubernetes.io/name=soctalk-postgres,app.kubernetes.io/instance=${RELEASE}` },
      },
      api: { healthUrl: `${healthUrl}/health/ready?ns=${ns}` },
      approval: { timeout: '10m' },
      ...extra,
    };
  }

  const waitForPhase = (h: WorkflowHandle, phase: string, timeoutMs = 90_000) => waitForPhaseOf(h, phase, timeoutMs);

  /** Runs a workflow to its end; `drive` plays the operator. */
  async function runToEnd<R>(
    handle: WorkflowHandle,
    drive: (h: WorkflowHandle) => Promise<void>,
  ): Promise<{ result?: R; failure?: ApplicationFailure; status: RunStatus; ms: number }> {
    const started = Date.now();
    await drive(handle);
    try {
      const result = (await handle.result()) as R;
      return { result, status: await handle.query(statusQuery), ms: Date.now() - started };
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      return { failure: err.cause, status: await handle.query(statusQuery), ms: Date.now() - started };
    }
  }

  const approve = async (h: WorkflowHandle) => {
    await waitForPhase(h, 'waiting-approval');
    await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'e2e', acknowledgeSchemaChanges: true }] });
  };

  const startUpgrade = (ns: string, input: Record<string, unknown>) =>
    env.client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId: businessWorkflowId('soctalkSystemUpgrade', input)!, args: [input] });

  /** Timing and the run's journal, one diagnostic line each. */
  const report = (t: { diagnostic: (m: string) => void }, what: string, run: { ms: number; status: RunStatus }) => {
    t.diagnostic(`${what} ${run.ms} ms`);
    for (const line of stepOutcomes(run.status)) t.diagnostic(`  ${line}`);
  };
  const stepOutcomes = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 200)})` : ''}`);

  before(async () => {
    const t0 = Date.now();
    tmp = await mkdtemp(join(tmpdir(), 'e2e-soctalk-system-'));
    backupDir = join(tmp, 'backups');
    // The worker's helm (a child of this process) and the test's helm share these, never the user's.
    process.env.HELM_CONFIG_HOME = join(tmp, 'helm', 'config');
    process.env.HELM_CACHE_HOME = join(tmp, 'helm', 'cache');
    process.env.HELM_DATA_HOME = join(tmp, 'helm', 'data');
    health = createServer((req, res) => {
      healthHits.push(req.url ?? '');
      res.writeHead(req.url?.startsWith('/health/ready') ? 200 : 404).end('ok\n');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;

    const timed = async <T>(name: string, p: Promise<T>) => {
      const t = Date.now();
      const v = await p;
      timings[name] = Date.now() - t;
      return v;
    };
    [cluster, repo, pg, env] = await Promise.all([
      timed('cluster', createKwokCluster('e2e-system')),
      timed('chartRepo', startChartRepo()),
      timed('postgres', startPostgres()),
      timed('temporal', createLocalEnv()),
      timed('bundle', workflowBundle()),
    ]).then(([c, r, p, e]) => [c, r, p, e] as const);
    cluster.env.HELM_CONFIG_HOME = process.env.HELM_CONFIG_HOME;
    cluster.env.HELM_CACHE_HOME = process.env.HELM_CACHE_HOME;
    cluster.env.HELM_DATA_HOME = process.env.HELM_DATA_HOME;

    // The runbook's soctalk-system-values.yaml: pins image.tag to the installed version.
    valuesFile = join(tmp, 'soctalk-system-values.yaml');
    await writeFile(valuesFile, stringify({ image: { tag: '0.1.0' }, migration: { hook: false } }));
    realValuesFile = join(tmp, 'soctalk-system-real-values.yaml');
    await writeFile(realValuesFile, stringify({ image: { tag: '0.1.0' } }));
    matrixFile = join(tmp, 'compatibility.yaml');
    await writeFile(
      matrixFile,
      stringify({
        systemVersions: {
          '0.1.0': { tenantChart: '>=0.1.0 <0.2.0' },
          '0.2.0': { tenantChart: '>=0.1.0 <0.3.0', upgradeFrom: '>=0.1.0 <0.2.0' },
        },
      }),
    );
    // Installed tenants, found by their namespace labels, so the matrix check runs for real.
    for (const tenant of ['acme', 'beta']) {
      const ns = `tenant-${tenant}`;
      await kubectl('create', 'namespace', ns);
      await kubectl('label', 'namespace', ns, 'tenant=true', 'managed-by=soctalk');
      await helm(['install', ns, chartTgz('soctalk-tenant', '0.1.0'), '-n', ns]);
    }

    taskQueue = uniqueTaskQueue('e2e-system');
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env, PG_BIN_DIR: pg.binDir }) });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ runner, backupDir, pollIntervalMs: 500 }),
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
    await pg?.stop();
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('happy path: Job applied and complete, revision 2 at chart and image 0.2.0, backup restorable by the rollback runbook', async (t) => {
    t.diagnostic(`setup ${JSON.stringify(timings)} ms`);
    const sys = await freshSystem('happy');
    const handle = await startUpgrade(sys.ns, upgradeInput(sys.ns));
    const up = await runToEnd<Awaited<ReturnType<typeof soctalkSystemUpgrade>>>(handle, approve);
    report(t, 'upgrade', up);
    assert.equal(up.failure, undefined, `${up.failure?.message}\n${stepOutcomes(up.status).join('\n')}`);
    const result = up.result!;
    assert.equal(up.status.phase, 'completed');
    assert.ok(up.status.steps.every((s) => s.outcome === 'succeeded'), stepOutcomes(up.status).join('\n'));
    assert.equal(result.revision, 2);
    assert.equal(result.fromRevision, 1);
    assert.equal(result.fromVersion, '0.1.0', 'the live chart version is known (the matrix upgradeFrom rule depends on it)');
    const compat = up.status.steps.find((s) => s.name === 'pre-flight 2: verify the compatibility matrix');
    assert.equal(compat?.detail, '2 tenant release(s) supported by 0.2.0');
    assert.match(result.diff.summary, /changed/);

    // The Job is the one the runbook applied (kubectl apply, not helm install), at 0.2.0, Complete.
    const job = await getJob(sys.ns);
    assert.ok(job, 'the migration Job exists');
    assert.notEqual(job.metadata.uid, sys.jobUid, 'the Job was deleted and applied again');
    assert.ok(job.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], 'applied with kubectl apply');
    assert.equal(job.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.2.0');
    assert.ok(hasCondition(job, 'Complete'), JSON.stringify(job.status));

    // helm: revision 2, chart 0.2.0, deployed; the API runs the new tag despite the pinned values file.
    const st = await status(sys.ns);
    assert.deepEqual([st.revision, st.status, st.chart], [2, 'deployed', 'soctalk-system-job-0.2.0']);
    assert.deepEqual((await history(sys.ns)).map((h) => [h.revision, h.status, h.chart]), [
      [1, 'superseded', 'soctalk-system-job-0.1.0'],
      [2, 'deployed', 'soctalk-system-job-0.2.0'],
    ]);
    const api = await apiDeployment(sys.ns);
    assert.equal(api.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.2.0');
    assert.equal(api.status.readyReplicas, 1);
    assert.ok(healthHits.some((h) => h.includes(`ns=${sys.ns}`)), 'the health endpoint was called');

    // The backup: a custom-format dump whose sha256 is the recorded one; a snapshot of the postgres PVC.
    const backup = result.backup as BackupRecord;
    assert.ok(existsSync(backup.path) && backup.path.startsWith(backupDir), backup.path);
    assert.equal(createHash('sha256').update(await readFile(backup.path)).digest('hex'), backup.sha256);
    assert.equal((await readFile(backup.path)).subarray(0, 5).toString(), 'PGDMP');
    assert.equal(backup.verifyValue, '0001_initial');
    assert.equal(result.snapshots.length, 1);
    assert.equal(await kubectl('-n', sys.ns, 'get', 'volumesnapshot', result.snapshots[0]!.name, '-o', 'jsonpath={.status.readyToUse}'), 'true');

    // The new version writes to the database; then the operator rolls back with the restore.
    await simulateMigration(sys.psql);
    assert.equal((await dbContent(sys.psql)).version, '0002_triage');
    const rollbackHandle = await env.client.workflow.start(soctalkSystemRollback, {
      taskQueue,
      // The release's business ID (the upgrade above has ended): the rollback refuses any other.
      workflowId: releaseWorkflowId(sys.ns, RELEASE),
      args: [
        {
          release: RELEASE,
          namespace: sys.ns,
          kube: { kubeconfig: cluster.kubeconfig },
          restore: { backupName: backup.name, database: { mode: 'direct', urlFrom: { env: DB_URL_ENV } } },
          timeout: '45s',
          requestedBy: 'ria',
        },
      ],
    });
    const rb = await runToEnd<Awaited<ReturnType<typeof soctalkSystemRollback>>>(rollbackHandle, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam' }] });
    });
    report(t, 'rollback', rb);
    assert.equal(rb.failure, undefined, `${rb.failure?.message}\n${stepOutcomes(rb.status).join('\n')}`);
    assert.deepEqual([rb.result!.fromRevision, rb.result!.toRevision, rb.result!.revision], [2, 1, 3]);
    assert.match(rb.result!.restored ?? '', /restored and verified/);

    assert.deepEqual(await dbContent(sys.psql), SEEDED, 'the database is back to its pre-upgrade content');
    const after = await status(sys.ns);
    assert.deepEqual([after.revision, after.status, after.chart], [3, 'deployed', 'soctalk-system-job-0.1.0']);
    assert.equal((await history(sys.ns)).at(-1)?.description, 'Rollback to 1');
    const rolledApi = await apiDeployment(sys.ns);
    assert.equal(rolledApi.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.equal(rolledApi.spec.replicas, 1);
    assert.equal(rolledApi.metadata.annotations?.['upgrade-runbooks.io/replicas-before-restore'], undefined);
  });

  it('a failed migration Job: no helm upgrade, the database restored and verified by its content', async (t) => {
    const sys = await freshSystem('jobfail');
    // The fault is in the TARGET only: its build's migration fails (a KWOK Stage keyed on the image).
    const input = upgradeInput(sys.ns, { imageTag: Build.migrationFails('0.2.0') });
    const handle = await startUpgrade(sys.ns, input);
    const run = await runToEnd(handle, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      // After the backup: what a half-applied migration would leave behind.
      await simulateMigration(sys.psql);
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', acknowledgeSchemaChanges: true }] });
    });
    report(t, 'run', run);
    assert.ok(run.failure, 'the run fails');
    assert.equal(run.failure.type, FailureType.MigrationFailed, run.failure.message);
    assert.match(run.failure.message, /migration Job soctalk-system-alembic-upgrade failed.*; compensated: restore database from .*restored and verified/);
    assert.ok(!run.status.steps.some((s) => s.name.startsWith('upgrade 4: helm upgrade')), stepOutcomes(run.status).join('\n'));

    // No upgrade: still revision 1 at 0.1.0; the failed Job is left for inspection.
    const st = await status(sys.ns);
    assert.deepEqual([st.revision, st.status, st.chart], [1, 'deployed', 'soctalk-system-job-0.1.0']);
    assert.equal((await history(sys.ns)).length, 1);
    const job = await getJob(sys.ns);
    assert.ok(hasCondition(job, 'Failed'), JSON.stringify(job?.status));
    assert.equal(job?.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.2.0-migration-fails');
    // The API was stopped for the restore and is back, still on the old image.
    const api = await apiDeployment(sys.ns);
    assert.equal(api.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.equal(api.spec.replicas, 1);
    assert.equal(api.status.readyReplicas, 1);
    assert.deepEqual(await dbContent(sys.psql), SEEDED);
  });

  it('an upgrade that never becomes Ready: helm rollback to revision 1, database restored, release not pending', async (t) => {
    const sys = await freshSystem('hang');
    // The target build never passes its readiness probe; its migration Job still completes.
    const input = upgradeInput(sys.ns, {
      imageTag: Build.unready('0.2.0'),
      timeouts: { migration: '30s', upgrade: '20s', rollback: '45s', backup: '60s', verify: '30s' },
    });
    const handle = await startUpgrade(sys.ns, input);
    const run = await runToEnd(handle, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', acknowledgeSchemaChanges: true }] });
      // The migration "ran": the new schema is in place when the upgrade hangs.
      await waitForPhase(h, 'upgrading');
      await simulateMigration(sys.psql);
    });
    report(t, 'run', run);
    assert.ok(run.failure, 'the run fails');
    assert.equal(run.failure.type, FailureType.RolloutTimeout, run.failure.message);
    assert.match(run.failure.message, /compensated: helm rollback soctalk-system to revision 1 \(now at revision 3\); restore database from .*restored and verified/);

    const hist = await history(sys.ns);
    assert.deepEqual(
      hist.map((h) => [h.revision, h.status, h.chart]),
      [
        [1, 'superseded', 'soctalk-system-job-0.1.0'],
        [2, 'failed', 'soctalk-system-job-0.2.0'],
        [3, 'deployed', 'soctalk-system-job-0.1.0'],
      ],
    );
    assert.equal(hist.at(-1)?.description, 'Rollback to 1');
    const st = await status(sys.ns);
    assert.deepEqual([st.revision, st.status, st.chart], [3, 'deployed', 'soctalk-system-job-0.1.0']);
    const api = await apiDeployment(sys.ns);
    assert.equal(api.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.equal(api.status.readyReplicas, 1);
    const images = (await kubectl('-n', sys.ns, 'get', 'pods', '-o', 'jsonpath={.items[*].spec.containers[*].image}')).split(/\s+/);
    assert.ok(!images.some((i) => i.endsWith(Build.unready('0.2.0'))), `the never-ready pods are gone after the rollback: ${images.join(' ')}`);
    assert.deepEqual(await dbContent(sys.psql), SEEDED);
  });

  it('abort while waiting for approval: nothing changed', async (t) => {
    const sys = await freshSystem('abort');
    const before = await dbContent(sys.psql);
    const handle = await startUpgrade(sys.ns, upgradeInput(sys.ns));
    const run = await runToEnd(handle, async (h) => {
      await waitForPhase(h, 'waiting-approval');
      await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'incident ongoing' }] });
    });
    report(t, 'run', run);
    assert.ok(run.failure);
    assert.equal(run.failure.type, FailureType.Aborted);
    assert.match(run.failure.message, /nothing was changed$/);
    assert.equal(run.status.phase, 'aborted');

    const st = await status(sys.ns);
    assert.deepEqual([st.revision, st.status, st.chart], [1, 'deployed', 'soctalk-system-job-0.1.0']);
    assert.equal((await history(sys.ns)).length, 1);
    const job = await getJob(sys.ns);
    assert.equal(job?.metadata.uid, sys.jobUid, 'the Job is still the one helm installed: no migration Job was applied');
    assert.equal(job?.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.equal((await apiDeployment(sys.ns)).spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.deepEqual(await dbContent(sys.psql), before);
    assert.deepEqual(before, SEEDED);
  });
  it('the real chart (kubeVersion, db-init migrations): renders like the cluster, a failed upgrade rolls back and restores the database by content', async (t) => {
    const sys = await freshRealSystem('initc');
    const input = realInput(sys.ns, {
      imageTag: Build.unready('0.2.0'),
      timeouts: { migration: '30s', upgrade: '20s', rollback: '45s', backup: '60s', verify: '30s' },
    });
    const handle = await startUpgrade(sys.ns, input);
    const run = await runToEnd(handle, async (h) => {
      await approve(h);
      // helm upgrade runs the db-init initContainer: the new schema is in place when the rollout hangs.
      await waitForPhase(h, 'upgrading');
      await simulateMigration(sys.psql);
    });
    report(t, 'run', run);
    assert.ok(run.failure, 'the run fails');
    assert.equal(run.failure.type, FailureType.RolloutTimeout, run.failure.message);
    assert.match(run.failure.message, /compensated: helm rollback soctalk-system to revision 1 \(now at revision 3\); restore database from .*restored and verified/);
    const byName = new Map(run.status.steps.map((s) => [s.name, s]));
    assert.match(byName.get('pre-flight 1: read the cluster version and API versions')?.detail ?? '', /^Kubernetes v1\.\d+/);
    assert.match(byName.get('pre-flight 1: render the target and find how it migrates')?.detail ?? '', /migration: inside helm upgrade: Deployment\/soctalk-system-api initContainer db-init/);
    assert.equal(byName.get('pre-flight 4: dry-run diff (rendered target vs helm get manifest)')?.outcome, 'succeeded');
    for (const n of [1, 2, 3]) assert.equal([...byName.values()].find((s) => s.name.startsWith(`upgrade ${n}:`))?.outcome, 'skipped');
    assert.deepEqual(run.status.facts.migration, { kind: 'in-upgrade', where: ['Deployment/soctalk-system-api initContainer db-init'] });

    assert.deepEqual(
      (await history(sys.ns)).map((h) => [h.revision, h.status, h.chart]),
      [
        [1, 'superseded', 'soctalk-system-0.1.0'],
        [2, 'failed', 'soctalk-system-0.2.0'],
        [3, 'deployed', 'soctalk-system-0.1.0'],
      ],
    );
    const api = await apiDeployment(sys.ns);
    assert.equal(api.spec.template.spec.containers[0]?.image, 'ghcr.io/soctalk/soctalk-api:0.1.0');
    assert.equal(api.status.readyReplicas, 1);
    assert.deepEqual(await dbContent(sys.psql), SEEDED, 'the database is back to its pre-upgrade content');
  });

  it('a migration Job the real chart does not render is refused in pre-flight and in plan, nothing backed up or changed; the plan of the real chart renders', async (t) => {
    const sys = await freshRealSystem('mismatch');
    const backupsBefore = existsSync(backupDir) ? (await readdir(backupDir)).length : 0;
    for (const dryRun of [false, true]) {
      const run = await runToEnd(await startUpgrade(sys.ns, realInput(sys.ns, { dryRun, migration: { mechanism: 'job' } })), async () => undefined);
      report(t, dryRun ? 'plan' : 'run', run);
      assert.ok(run.failure, 'refused');
      assert.equal(run.failure.type, FailureType.InvalidInput, run.failure.message);
      assert.match(run.failure.message, /migration\.template: the target chart does not render templates\/jobs\/alembic-upgrade\.yaml \(it migrates inside helm upgrade: Deployment\/soctalk-system-api initContainer db-init/);
      assert.ok(!run.status.steps.some((s) => s.name === 'pre-flight 3: back up Postgres' && s.outcome === 'succeeded'), stepOutcomes(run.status).join('\n'));
      assert.equal(run.status.outcome?.compensations.length ?? 0, 0, 'nothing to compensate');
    }
    assert.equal(existsSync(backupDir) ? (await readdir(backupDir)).length : 0, backupsBefore, 'no backup was taken');
    assert.deepEqual((await history(sys.ns)).map((h) => [h.revision, h.status]), [[1, 'deployed']]);
    assert.deepEqual(await dbContent(sys.psql), SEEDED);

    // The same target, detected: the plan renders with the cluster's version (helm's default v1.20.0 would refuse kubeVersion >=1.28.0-0).
    const plan = await runToEnd<Awaited<ReturnType<typeof soctalkSystemUpgrade>>>(await startUpgrade(sys.ns, realInput(sys.ns, { dryRun: true })), async () => undefined);
    report(t, 'plan', plan);
    assert.equal(plan.failure, undefined, plan.failure?.message);
    assert.deepEqual(plan.result!.migrationPlan, { kind: 'in-upgrade', where: ['Deployment/soctalk-system-api initContainer db-init'] });
    assert.match(plan.result!.diff.summary, /changed/);
    assert.equal((await history(sys.ns)).length, 1);
  });
});
