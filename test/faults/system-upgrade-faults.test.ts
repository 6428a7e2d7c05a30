// Fault-injection tier (issue 12): soctalkSystemUpgrade on real components while things
// break. One KWOK cluster, one PostgreSQL, one SeaweedFS (the backup store, S3), one chart
// repository and a Temporal dev server persisted to disk, all started by the project's own
// scripts and helpers. The worker is its own OS process (test/faults/worker-main.ts) and is
// killed with SIGKILL in each step; the Temporal server and the cluster's kube-apiserver are
// killed and restarted, PostgreSQL is stopped under a running dump.
//
// Every scenario works on its own namespace and its own copy of the seeded database, runs
// under the release's business workflow ID, and ends with the same checks: helm history
// (exactly one new revision or a clean rollback; never two deployed; never pending-*), the
// migration Job's runs, the backups in S3, and a checksum of the database content against
// the state before THAT run. Time is bounded by KWOK stage delays and short input timeouts.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/faults/system-upgrade-faults.test.ts
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { stringify } from 'yaml';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';
import { digestStream } from '../../src/activities/storage/backup-store.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startSeaweedfs, type Seaweedfs } from '../helpers/seaweedfs.js';
import { uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { finalAttempt } from './activity-attempts.js';
import { startApiHealth, type ApiHealth } from './api-health.js';
import { killApiServer, restartApiServer } from './api-server.js';
import { describeCluster, withDiagnostics } from './cluster-diagnostics.js';
import { startTemporalServer, type TemporalServer } from './temporal-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const RELEASE = 'soctalk-system';
const JOB = `${RELEASE}-alembic-upgrade`;
/** The fixture variant that ships the runbook's Alembic Job: the faults are about that path. */
const CHART = 'soctalk-system-job';
const REPO_NAME = 'faults-soctalk';
const S3_PREFIX = 'faults/';
const SCENARIOS = 14;

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}

describe('soctalk-system upgrade under faults (kill -9, aborts, server restarts)', { timeout: 25 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let pg: Postgres;
  let s3: Seaweedfs;
  let temporal: TemporalServer;
  let client: Client;
  let tmp: string;
  let valuesFile: string;
  let workerEnv: Record<string, string>;
  const workers: WorkerProcess[] = [];
  let workerCount = 0;
  let scenario = 0;
  // The API's readiness as the worker (a host process) can reach it: ready unless a scenario holds it.
  let health: ApiHealth | undefined;
  const started = Date.now();

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const history = async (ns: string) => JSON.parse(await helm(['history', RELEASE, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  const helmStatus = async (ns: string) => (JSON.parse(await helm(['status', RELEASE, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } }).info.status;
  const dbUrlEnv = (n: number) => `FAULT_DB_URL_${n}`;
  /** True once every workload and Service helm manages in the namespace carries the chart label of `chart` (helm has applied it). */
  const appliedBy = async (ns: string, chart: string) => {
    const { items } = JSON.parse(await kubectl('get', 'deployments,statefulsets,services', '-n', ns, '-l', 'app.kubernetes.io/managed-by=Helm', '-o', 'json')) as {
      items: { metadata: { labels?: Record<string, string> } }[];
    };
    return items.length > 0 && items.every((o) => o.metadata.labels?.['helm.sh/chart'] === chart);
  };

  async function startWorker(): Promise<WorkerProcess> {
    workerCount += 1;
    const w = await startWorkerProcess(`w${workerCount}`, workerEnv, tmp);
    workers.push(w);
    return w;
  }
  const live = () => workers.filter((w) => !(w as WorkerProcess & { dead?: boolean }).dead);
  async function kill9(w: WorkerProcess): Promise<void> {
    await w.kill9();
    (w as WorkerProcess & { dead?: boolean }).dead = true;
  }

  before(async () => {
    health = await startApiHealth();
    tmp = await mkdtemp(join(tmpdir(), 'faults-'));
    const helmHome = { HELM_CONFIG_HOME: join(tmp, 'helm', 'config'), HELM_CACHE_HOME: join(tmp, 'helm', 'cache'), HELM_DATA_HOME: join(tmp, 'helm', 'data') };
    let bundlePath = '';
    // Each component is kept as soon as it is up, so that after() stops it even when another
    // one failed to start (a cluster left running would outlive the test).
    const settled = await Promise.allSettled([
      createKwokCluster('faults').then((c) => (cluster = c)),
      startChartRepo().then((r) => (repo = r)),
      startPostgres().then((p) => (pg = p)),
      startSeaweedfs().then((s) => (s3 = s)),
      startTemporalServer(tmp).then((t) => (temporal = t)),
      workflowBundle().then(async (b) => {
        bundlePath = join(tmp, 'workflow-bundle.js');
        await writeFile(bundlePath, b.code);
      }),
    ]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    Object.assign(cluster.env, helmHome);
    valuesFile = join(tmp, 'soctalk-system-values.yaml');
    await writeFile(valuesFile, stringify({ image: { tag: '0.1.0' }, migration: { hook: false } }));
    const dbEnv: Record<string, string> = {};
    for (let n = 1; n <= SCENARIOS; n++) {
      await pg.psql(`CREATE DATABASE fault_${n} TEMPLATE soctalk`, 'postgres');
      dbEnv[dbUrlEnv(n)] = pg.url.replace(/\/soctalk$/, `/fault_${n}`);
    }
    client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
    workerEnv = {
      ...cluster.env,
      ...helmHome,
      ...s3.workerEnv(S3_PREFIX),
      ...dbEnv,
      PG_BIN_DIR: pg.binDir,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('faults'),
      WORKFLOW_BUNDLE_PATH: bundlePath,
      // A worker killed with SIGKILL mid-upgrade never removes its values and helm-repository
      // temp dirs: they go in tmp, which after() removes.
      TMPDIR: tmp,
    };
    await startWorker();
    console.log(`# setup ${Date.now() - started} ms`);
  });

  after(async () => {
    await health?.close();
    for (const w of live()) await w.stop();
    await client?.connection.close();
    await temporal?.stop();
    await cluster?.delete();
    await repo?.stop();
    await s3?.stop();
    await pg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    console.log(`# fault tier ${Math.round((Date.now() - started) / 1000)} s in all`);
  });


  interface System {
    n: number;
    ns: string;
    workflowId: string;
    psql: (sql: string) => Promise<string>;
    checksum: () => Promise<string>;
    jobUid: string;
  }

  /** A fresh namespace with soctalk-system 0.1.0 installed and its own copy of the seeded database. */
  async function freshSystem(label: string): Promise<System> {
    scenario += 1;
    const n = scenario;
    const ns = `f${n}-${label}`;
    await kubectl('create', 'namespace', ns);
    // A timeout here is the cluster's, not the workflow's: the error says what the cluster looked like.
    await withDiagnostics(cluster, ns, `helm install --wait of ${ns}/${RELEASE}`, () =>
      helm(['install', RELEASE, join(repo.dir, `${CHART}-0.1.0.tgz`), '-n', ns, '--values', valuesFile, '--wait', '--timeout', '60s']),
    );
    await withDiagnostics(cluster, ns, `the install's migration Job in ${ns}`, () => kubectl('-n', ns, 'wait', '--for=condition=complete', `job/${JOB}`, '--timeout=60s'));
    const psql = (sql: string) => pg.psql(sql, `fault_${n}`);
    const checksum = () =>
      psql(
        "SELECT md5(concat_ws('|', (SELECT string_agg(version_num, ',') FROM alembic_version)," +
          " (SELECT string_agg(id || ':' || tenant || ':' || title, ',' ORDER BY id) FROM alerts)," +
          " (SELECT string_agg(slug || ':' || chart_version, ',' ORDER BY slug) FROM tenants)," +
          " (SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'alerts')))",
      );
    const job = JSON.parse(await kubectl('-n', ns, 'get', 'job', JOB, '-o', 'json')) as { metadata: { uid: string } };
    return { n, ns, workflowId: releaseWorkflowId(ns, RELEASE), psql, checksum, jobUid: job.metadata.uid };
  }

  /** What a migration writes: a new head, a new column, rows. */
  const writeAsNewVersion = (sys: System, marker: string) =>
    sys.psql(
      `UPDATE alembic_version SET version_num = '0002_triage'; ALTER TABLE alerts ADD COLUMN IF NOT EXISTS triaged boolean DEFAULT false; ` +
        `INSERT INTO alerts (tenant, severity, title) VALUES ('acme', 5, '${marker}'); UPDATE tenants SET chart_version = '0.2.0'`,
    );

  function input(sys: System, extra: { values?: Record<string, unknown>; imageTag?: string; timeouts?: Record<string, string> } = {}) {
    return {
      release: RELEASE,
      namespace: sys.ns,
      kube: { kubeconfig: cluster.kubeconfig },
      chart: { ref: `${REPO_NAME}/${CHART}`, repository: { name: REPO_NAME, url: repo.url } },
      targetVersion: '0.2.0',
      imageTag: extra.imageTag ?? '0.2.0',
      schemaChanges: true,
      values: { files: [valuesFile], ...(extra.values ? { inline: extra.values } : {}) },
      requestedBy: 'ria',
      timeouts: { migration: '30s', upgrade: '45s', rollback: '45s', backup: '60s', verify: '30s', ...extra.timeouts },
      backup: { database: { mode: 'direct', urlFrom: { env: dbUrlEnv(sys.n) } }, verifyQuery: 'SELECT version_num FROM alembic_version' },
      api: { healthUrl: health!.url },
      approval: { timeout: '10m' },
    };
  }

  const start = (sys: System, args: ReturnType<typeof input>) =>
    client.workflow.start('soctalkSystemUpgrade', { taskQueue: workerEnv.TEMPORAL_TASK_QUEUE!, workflowId: sys.workflowId, args: [args], workflowIdConflictPolicy: 'FAIL' });

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, ns?: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A probe's own assertion (the run ended early) fails the wait at once; anything else is "not yet".
      const v = await probe().catch((err: unknown) => {
        if (err instanceof assert.AssertionError) throw err;
        return undefined;
      });
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) await withDiagnostics(cluster, ns, `waiting for ${what}`, () => Promise.reject(new Error(`timed out after ${timeoutMs} ms`)));
      await sleep(200);
    }
  }
  const phase = (h: WorkflowHandle, p: string) =>
    waitFor(`phase ${p}`, async () => {
      const s = await h.query(statusQuery);
      if (s.outcome && s.phase !== p) assert.fail(`the run ended (${s.outcome.message}) before phase ${p}`);
      return s.phase === p ? s : undefined;
    });
  const approve = (h: WorkflowHandle) => h.executeUpdate(approveUpdate, { args: [{ by: 'sam', acknowledgeSchemaChanges: true }] });
  /** Starts the run and approves it at the gate: the upgrade goes on from there. */
  async function startApproved(sys: System, args: ReturnType<typeof input>): Promise<WorkflowHandle> {
    const h = await start(sys, args);
    await phase(h, 'waiting-approval');
    await approve(h);
    return h;
  }
  const abort = (h: WorkflowHandle) => h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'fault test' }] });
  /** Resolves once the run's journal shows the step running. */
  const stepRunning = (h: WorkflowHandle, name: string, ns?: string) =>
    waitFor(
      `"${name}" running`,
      async () => {
        const s = await h.query(statusQuery);
        if (s.outcome) assert.fail(`the run ended (${s.outcome.message}) before "${name}" ran`);
        return s.steps.some((x) => x.name === name && x.outcome === 'running') || undefined;
      },
      120_000,
      ns,
    );
  /** The run's activity of this type was finished by a retry on `worker`, after its killed attempt's heartbeat timed out. */
  async function assertTakenOver(h: WorkflowHandle, activityType: string, worker: WorkerProcess): Promise<void> {
    const last = await finalAttempt(h, activityType);
    assert.ok(last.attempt >= 2, `${activityType} was finished by a retry (attempt ${last.attempt})`);
    assert.match(last.lastFailure, /heartbeat/i, `the killed attempt of ${activityType} was noticed by its heartbeat timeout`);
    assert.equal(last.identity, `fault-worker-${worker.name}`);
  }
  /** Every worker killed with SIGKILL (a crashed pod), then one new worker process. */
  async function killWorkersAndStartOne(): Promise<WorkerProcess> {
    for (const w of live()) await kill9(w);
    return startWorker();
  }

  /** The backend pids of the pg_dump sessions now connected, sorted. */
  const pgDumps = async (sys: System) =>
    (await sys.psql("SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM pg_stat_activity WHERE application_name = 'pg_dump'")).split(',').filter(Boolean);
  /**
   * A session holding an exclusive lock on alerts, granted before this resolves: pg_dump
   * then waits, as a long dump runs. `release` ends the session from the server side (psql
   * would sit out its pg_sleep); `ended` settles when the session is gone however it ended.
   */
  async function lockAlerts(sys: System): Promise<{ release: () => Promise<void>; ended: Promise<unknown> }> {
    const ended = execa(join(pg.binDir, 'psql'), ['-X', '-q', pg.url.replace(/\/soctalk$/, `/fault_${sys.n}`)], {
      input: 'BEGIN; LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);\n',
      reject: false,
    });
    await waitFor('the lock on alerts', async () =>
      (await sys.psql("SELECT count(*) FROM pg_locks WHERE relation = 'alerts'::regclass AND mode = 'AccessExclusiveLock' AND granted")) === '1' || undefined,
    );
    return {
      ended,
      async release() {
        await sys.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()");
        await ended;
      },
    };
  }

  /** How the run ended; a run that timed out on the cluster prints the cluster's state (unless the scenario wants that timeout). */
  async function outcome(h: WorkflowHandle, opts: { ns?: string; expectTimeout?: boolean } = {}): Promise<{ failure?: ApplicationFailure; status: RunStatus; runId: string }> {
    const runId = (await h.describe()).runId;
    try {
      await h.result();
      return { status: await h.query(statusQuery), runId };
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      const timedOut = err.cause.type === FailureType.RolloutTimeout || /timed out|timeout/i.test(err.cause.message);
      if (timedOut && !opts.expectTimeout) console.log(`# run ${h.workflowId} ended on a timeout: ${err.cause.message}\n${(await describeCluster(cluster, opts.ns)).replace(/^/gm, '# ')}`);
      return { failure: err.cause, status: await h.query(statusQuery), runId };
    }
  }
  const journal = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 160)})` : ''}`).join('\n');

  /** The backups of this release in S3: their records. */
  async function backups(sys: System): Promise<BackupRecord[]> {
    const stem = `${S3_PREFIX}${sys.workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}-`;
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: stem }));
    const records: BackupRecord[] = [];
    for (const o of listed.Contents ?? []) {
      if (!o.Key!.endsWith('.json')) continue;
      const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: o.Key! }));
      records.push(JSON.parse(await got.Body!.transformToString()) as BackupRecord);
    }
    const dumps = (listed.Contents ?? []).filter((o) => o.Key!.endsWith('.dump')).length;
    assert.equal(dumps, records.length, 'every dump has its record and no dump is left without one');
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The checks every scenario ends with. */
  async function assertReleaseSane(sys: System, expect: { revisions: number; last: 'deployed 0.2.0' | 'deployed 0.1.0' }): Promise<HistoryEntry[]> {
    const hist = await history(sys.ns);
    assert.equal(hist.filter((h) => h.status === 'deployed').length, 1, `exactly one deployed revision: ${JSON.stringify(hist)}`);
    assert.ok(!hist.some((h) => h.status.startsWith('pending-')), `nothing pending: ${JSON.stringify(hist)}`);
    assert.equal(hist.length, expect.revisions, JSON.stringify(hist.map((h) => [h.revision, h.status, h.chart, h.description])));
    const last = hist.at(-1)!;
    assert.equal(`${last.status} ${last.chart.replace(`${CHART}-`, '')}`, expect.last);
    assert.equal(await helmStatus(sys.ns), 'deployed');
    return hist;
  }
  const jobRuns = async (ns: string) => {
    const out = await kubectl('-n', ns, 'get', 'job', JOB, '-o', 'json', '--ignore-not-found');
    if (!out.trim()) return undefined;
    const j = JSON.parse(out) as { metadata: { uid: string }; status: { succeeded?: number; failed?: number } };
    return { uid: j.metadata.uid, runs: (j.status.succeeded ?? 0) + (j.status.failed ?? 0) };
  };

  /** The end checks of a run that had to upgrade exactly once and restore nothing. */
  async function assertUpgradedOnce(sys: System, run: Awaited<ReturnType<typeof outcome>>, before: string): Promise<HistoryEntry[]> {
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${journal(run.status)}`);
    const hist = await assertReleaseSane(sys, { revisions: 2, last: 'deployed 0.2.0' });
    assert.equal((await jobRuns(sys.ns))?.runs, 1, 'the migration Job ran once');
    assert.deepEqual((await backups(sys)).map((r) => r.runId), [run.runId], "one backup, the run's own");
    assert.equal(await sys.checksum(), before, 'no restore ran: the database is as before the run');
    return hist;
  }

  /** The size and sha256 of a backup's dump as S3 holds it. */
  async function storedDump(record: BackupRecord): Promise<{ sizeBytes: number; sha256: string }> {
    const key = record.path.replace(`s3://${s3.bucket}/`, '');
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return digestStream(got.Body as Readable);
  }

  it('a second run on the release whose migration fails restores ITS OWN backup, not the first run\'s', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('second-run');
    const first = await outcome(await start(sys, input(sys)).then(async (h) => (await phase(h, 'waiting-approval'), await approve(h), h)), { ns: sys.ns });
    assert.equal(first.failure, undefined, first.failure?.message);
    // The new version runs for a month and writes; this is what the second run must keep.
    await writeAsNewVersion(sys, 'written after the first upgrade');
    await sys.psql("INSERT INTO alerts (tenant, severity, title) VALUES ('beta', 3, 'a month of work')");
    const beforeSecond = await sys.checksum();

    const h2 = await start(sys, input(sys, { imageTag: Build.migrationFails('0.2.1') }));
    await phase(h2, 'waiting-approval');
    await approve(h2);
    const second = await outcome(h2, { ns: sys.ns });
    t.diagnostic(journal(second.status));
    assert.ok(second.failure, 'the second run fails');
    assert.equal(second.failure.type, FailureType.MigrationFailed, second.failure.message);
    assert.match(second.failure.message, /compensated: restore database from .*restored and verified/);

    assert.equal(await sys.checksum(), beforeSecond, 'the database is as it was before the SECOND run (nothing since the first run lost)');
    await assertReleaseSane(sys, { revisions: 2, last: 'deployed 0.2.0' });
    const records = await backups(sys);
    assert.deepEqual(records.map((r) => r.runId), [first.runId, second.runId], 'one backup per run, each recorded with its run');
    assert.notEqual(records[0]!.name, records[1]!.name);
    assert.equal(records[1]!.verifyValue, '0002_triage', "the second run's backup holds the first run's schema");
    assert.match(second.failure.message, new RegExp(records[1]!.name));
    assert.equal((await jobRuns(sys.ns))?.runs, 1, 'the failed Job ran once');
    console.log(`# scenario second-run: ${Date.now() - t0} ms`);
  });

  it('kill -9 of the worker during a helm upgrade --wait that outlasts the retry budget: the retry waits for its own helm, one new revision, no rollback', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('orphan-helm');
    const before = await sys.checksum();
    // The new API pod becomes Ready after 100s: longer than the first attempt's heartbeat
    // timeout (60s) plus the retry backoff, so the retry finds the killed attempt's helm still going.
    const h = await startApproved(sys, input(sys, { imageTag: Build.readyAfter('0.2.0', '100s'), timeouts: { upgrade: '150s' } }));
    await phase(h, 'upgrading');
    await waitFor('pending-upgrade', async () => (await helmStatus(sys.ns)) === 'pending-upgrade' || undefined, 120_000, sys.ns);
    await killWorkersAndStartOne();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    const hist = await assertUpgradedOnce(sys, run, before);
    assert.match(run.status.steps.find((s) => s.name === 'upgrade 4: helm upgrade --wait')?.detail ?? '', /revision 2 \(deployed\), done by an earlier attempt/);
    assert.match(hist[1]!.description, new RegExp(`upgrade-runbooks run ${sys.workflowId.replace(/[/]/g, '\\/')} \\(run ${run.runId}\\)`), 'the revision carries the run');
    console.log(`# scenario orphan-helm: ${Date.now() - t0} ms`);
  });

  it('two workers on one task queue: the one that took the backup is killed, the restore on the other one succeeds (S3)', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('two-workers');
    await startWorker();
    assert.equal(live().length, 2);
    const before = await sys.checksum();
    const h = await start(sys, input(sys, { imageTag: Build.migrationFails('0.2.0') }));
    await phase(h, 'waiting-approval');
    // Which worker took the backup: the identity in the backup activity's started event.
    const startedBy = (await finalAttempt(h, 'backupDatabase')).identity;
    const taker = live().find((w) => startedBy === `fault-worker-${w.name}`);
    assert.ok(taker, `the backup was taken by ${startedBy}`);
    await kill9(taker);
    await writeAsNewVersion(sys, 'half-applied migration');
    await approve(h);
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.MigrationFailed, run.failure?.message);
    assert.match(run.failure.message, /compensated: restore database from .*restored and verified/);
    assert.equal(await sys.checksum(), before, 'restored from S3 by the surviving worker');
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    const records = await backups(sys);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.runId, run.runId);
    console.log(`# scenario two-workers: ${Date.now() - t0} ms (backup by ${startedBy})`);
  });

  it('abort during the backup: pg_dump stops within seconds, nothing is written after "nothing was changed"', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('abort-backup');
    const before = await sys.checksum();
    const lock = await lockAlerts(sys);
    const h = await start(sys, input(sys));
    await waitFor('pg_dump waiting on the lock', async () => (await pgDumps(sys)).length === 1 || undefined);
    const abortedAt = Date.now();
    await abort(h);
    const run = await outcome(h, { ns: sys.ns });
    const endedMs = Date.now() - abortedAt;
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /nothing was changed$/);
    assert.deepEqual(await pgDumps(sys), [], 'pg_dump is gone when the run reports');
    assert.ok(endedMs < 15_000, `the run ended ${endedMs} ms after the abort`);
    await lock.release();
    await sleep(2_000);
    assert.deepEqual(await backups(sys), [], 'no dump and no record, even after the lock is gone');
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    assert.equal(await sys.checksum(), before);
    assert.equal((await jobRuns(sys.ns))?.uid, sys.jobUid, 'the Job was not touched');
    console.log(`# scenario abort-backup: ${Date.now() - t0} ms (run ended ${endedMs} ms after the abort)`);
  });

  it('the Temporal server killed (SIGKILL) and restarted mid-run: the run goes on from its history, one new revision', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('temporal-restart');
    const before = await sys.checksum();
    const h = await startApproved(sys, input(sys, { imageTag: Build.migrationTakes('0.2.0', '12s') }));
    await stepRunning(h, 'upgrade 3: wait for migrations to complete', sys.ns);
    await temporal.kill();
    await sleep(3_000);
    await temporal.start();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    await assertUpgradedOnce(sys, run, before);
    console.log(`# scenario temporal-restart: ${Date.now() - t0} ms`);
  });

  it('pods never Ready: helm upgrade --wait times out, helm rolls back and the database is restored to before the run', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('never-ready');
    const before = await sys.checksum();
    // The migration Job runs and writes (as a real one would), then the new API pods never become Ready.
    const h = await start(sys, input(sys, { imageTag: Build.unready('0.2.0'), timeouts: { upgrade: '20s' } }));
    await phase(h, 'waiting-approval');
    await writeAsNewVersion(sys, 'written by the migration of a release that never became ready');
    await approve(h);
    const run = await outcome(h, { ns: sys.ns, expectTimeout: true });
    t.diagnostic(journal(run.status));
    assert.ok(run.failure, 'the run fails');
    assert.equal(run.failure.type, FailureType.RolloutTimeout, run.failure.message);
    assert.match(run.failure.message, /compensated: .*helm rollback/);
    assert.match(run.failure.message, /restore database from .*restored and verified/);
    assert.equal(await sys.checksum(), before, 'the database is as it was before the run');
    await assertReleaseSane(sys, { revisions: 3, last: 'deployed 0.1.0' });
    assert.equal((await backups(sys)).length, 1);
    // The run's own record, not the Job object: the rollback to revision 1 re-creates the old
    // release's Job, which may not have finished when this looks.
    assert.equal(run.status.steps.find((x) => x.name === 'upgrade 3: wait for migrations to complete')?.outcome, 'succeeded', 'the migration Job ran');
    console.log(`# scenario never-ready: ${Date.now() - t0} ms`);
  });

  it('abort at the approval gate: nothing was changed, the backup is kept, the release and the database untouched', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('abort-approval');
    const before = await sys.checksum();
    const h = await start(sys, input(sys));
    await phase(h, 'waiting-approval');
    await abort(h);
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /nothing was changed$/);
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    assert.equal(await sys.checksum(), before);
    assert.equal((await jobRuns(sys.ns))?.uid, sys.jobUid, 'the Job was not touched');
    const records = await backups(sys);
    assert.deepEqual(records.map((r) => r.runId), [run.runId], "the run's own backup, recorded with its run");
    console.log(`# scenario abort-approval: ${Date.now() - t0} ms`);
  });

  it('abort during the migration: the Job is stopped, the database restored from this run\'s backup, the release untouched', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('abort-migration');
    const before = await sys.checksum();
    const h = await startApproved(sys, input(sys, { imageTag: Build.migrationTakes('0.2.0', '30s') }));
    await stepRunning(h, 'upgrade 3: wait for migrations to complete', sys.ns);
    // What the Job has written so far: the restore must take it away.
    await writeAsNewVersion(sys, 'half-applied migration');
    await abort(h);
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /restore database from .*restored and verified/);
    assert.equal(await sys.checksum(), before, 'restored to before the run');
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    assert.equal((await backups(sys)).length, 1);
    console.log(`# scenario abort-migration: ${Date.now() - t0} ms`);
  });

  it('kill -9 of the worker while pg_dump runs: the retry on a new worker takes the backup again, one complete backup, one new revision', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('kill-backup');
    const before = await sys.checksum();
    const lock = await lockAlerts(sys);
    const h = await start(sys, input(sys));
    const [killedDump] = await waitFor('pg_dump waiting on the lock', async () => {
      const dumps = await pgDumps(sys);
      return dumps.length === 1 ? dumps : undefined;
    });
    const restarted = await killWorkersAndStartOne();
    // The retry's own pg_dump, beside the killed attempt's (still waiting on the lock); then both may go on.
    await waitFor("the retry's pg_dump", async () => (await pgDumps(sys)).some((p) => p !== killedDump) || undefined, 60_000);
    await lock.release();
    await phase(h, 'waiting-approval');
    await approve(h);
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    await assertTakenOver(h, 'backupDatabase', restarted);
    // The killed attempt's pg_dump has nobody to write to: it ends on its first write.
    await waitFor("the killed attempt's pg_dump to end", async () => (await pgDumps(sys)).length === 0 || undefined, 30_000);
    await assertUpgradedOnce(sys, run, before);
    const [record] = await backups(sys);
    assert.deepEqual(await storedDump(record!), { sizeBytes: record!.sizeBytes, sha256: record!.sha256 }, 'the stored dump is the complete one its record describes');
    console.log(`# scenario kill-backup: ${Date.now() - t0} ms`);
  });

  it('kill -9 of the worker during the migration Job wait: the retry on a new worker waits for the same Job, never applies it again, one new revision', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('kill-migration');
    const before = await sys.checksum();
    const h = await startApproved(sys, input(sys, { imageTag: Build.migrationTakes('0.2.0', '15s') }));
    await stepRunning(h, 'upgrade 3: wait for migrations to complete', sys.ns);
    const job = await jobRuns(sys.ns);
    assert.ok(job && job.uid !== sys.jobUid && job.runs === 0, `the run's own Job is still running when the worker dies: ${JSON.stringify(job)}`);
    const restarted = await killWorkersAndStartOne();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    await assertTakenOver(h, 'waitForMigrationJob', restarted);
    assert.equal((await finalAttempt(h, 'applyMigrationJob')).attempt, 1, 'the Job was applied once');
    assert.equal((await jobRuns(sys.ns))?.uid, job.uid, 'the same Job object: the retry did not apply it again');
    await assertUpgradedOnce(sys, run, before);
    console.log(`# scenario kill-migration: ${Date.now() - t0} ms`);
  });

  it('kill -9 of the worker during verification (its API health check in flight): the retry on a new worker verifies, one new revision, nothing restored', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('kill-verify');
    const before = await sys.checksum();
    // The API answers this run's first health check slowly: the worker dies while it waits.
    const held = health!.holdNext();
    const requestsBefore = health!.requests();
    const h = await startApproved(sys, input(sys));
    await waitFor('the API health check', async () => held.arrived() || undefined, 120_000, sys.ns);
    const during = await h.query(statusQuery);
    assert.equal(during.steps.find((x) => x.name === 'verify 2: API health')?.outcome, 'running', journal(during));
    const restarted = await killWorkersAndStartOne();
    held.release();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    await assertTakenOver(h, 'checkHealth', restarted);
    assert.equal(health!.requests() - requestsBefore, 2, "the held check and the retry's, nothing else");
    assert.equal((await finalAttempt(h, 'helmUpgrade')).attempt, 1, 'helm upgrade ran once');
    await assertUpgradedOnce(sys, run, before);
    console.log(`# scenario kill-verify: ${Date.now() - t0} ms`);
  });

  it('abort during helm upgrade --wait: helm runs to its end, then the run rolls back and restores this run\'s backup, and says so', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('abort-upgrade');
    const before = await sys.checksum();
    const h = await startApproved(sys, input(sys, { imageTag: Build.readyAfter('0.2.0', '15s') }));
    await stepRunning(h, 'upgrade 4: helm upgrade --wait', sys.ns);
    await waitFor('pending-upgrade', async () => (await helmStatus(sys.ns)) === 'pending-upgrade' || undefined, 60_000, sys.ns);
    // What the migration wrote: the restore must take it away.
    await writeAsNewVersion(sys, 'written by the migration before the abort');
    const ack = await abort(h);
    assert.match(ack.message, /takes effect when "upgrade 4: helm upgrade --wait" returns, then compensation runs/);
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /compensated: helm rollback soctalk-system to revision 1 .*; restore database from .*restored and verified/);
    const upgrade = run.status.steps.find((x) => x.name === 'upgrade 4: helm upgrade --wait');
    assert.equal(upgrade?.outcome, 'succeeded', 'helm upgrade was not interrupted');
    assert.match(upgrade.detail ?? '', /^revision 2 \(deployed\)$/);
    assert.ok(!run.status.steps.some((x) => x.name.startsWith('verify ')), 'nothing after the upgrade ran');
    const hist = await assertReleaseSane(sys, { revisions: 3, last: 'deployed 0.1.0' });
    assert.deepEqual(hist.map((x) => x.status), ['superseded', 'superseded', 'deployed']);
    // helm overwrites the description of an upgrade that fails; this one kept the run's mark.
    assert.match(hist[1]!.description, /^upgrade-runbooks run /, 'revision 2 completed as the run upgraded it');
    assert.equal(hist[2]!.description, 'Rollback to 1');
    assert.equal(await sys.checksum(), before, 'the database is as it was before the run');
    assert.deepEqual((await backups(sys)).map((r) => r.runId), [run.runId]);
    // The run's own record, not the Job object: the rollback re-creates revision 1's Job.
    assert.equal(run.status.steps.find((x) => x.name === 'upgrade 3: wait for migrations to complete')?.outcome, 'succeeded', 'the migration Job ran');
    console.log(`# scenario abort-upgrade: ${Date.now() - t0} ms`);
  });

  it('PostgreSQL stopped while pg_dump runs: the run fails before changing anything and says so, no partial backup, the database intact once PostgreSQL is back', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('pg-stopped');
    const before = await sys.checksum();
    const lock = await lockAlerts(sys);
    const h = await start(sys, input(sys));
    await waitFor('pg_dump waiting on the lock', async () => (await pgDumps(sys)).length === 1 || undefined);
    // A fast shutdown cuts every session: the dump's and the lock's.
    await pg.stopServer();
    let run: Awaited<ReturnType<typeof outcome>>;
    try {
      await lock.ended;
      run = await outcome(h, { ns: sys.ns });
    } finally {
      await pg.startServer();
    }
    t.diagnostic(journal(run.status));
    assert.ok(run.failure, 'the run fails');
    assert.match(run.failure.message, /pg_dump|psql|connection/i, 'the cause names what failed');
    assert.match(run.failure.message, /; nothing had been changed$/);
    assert.equal(run.status.steps.find((x) => x.name === 'pre-flight 3: back up Postgres')?.outcome, 'failed', journal(run.status));
    assert.ok(!run.status.steps.some((x) => /^(pre-flight 4|upgrade )/.test(x.name)), `nothing after the backup ran:\n${journal(run.status)}`);
    assert.deepEqual(await backups(sys), [], 'no dump and no record');
    const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${S3_PREFIX}${sys.workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}-` }));
    assert.deepEqual(uploads.Uploads ?? [], [], 'no unfinished upload either');
    assert.equal(await sys.checksum(), before, 'the database after the restart is as it was before the run');
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    assert.equal((await jobRuns(sys.ns))?.uid, sys.jobUid, 'the Job was not touched');
    console.log(`# scenario pg-stopped: ${Date.now() - t0} ms`);
  });

  it('the kube-apiserver killed (SIGKILL) during helm upgrade --wait and started again by kwokctl: helm waits through it, one new revision', async (t) => {
    const t0 = Date.now();
    const sys = await freshSystem('apiserver-restart');
    const before = await sys.checksum();
    const h = await startApproved(sys, input(sys, { imageTag: Build.readyAfter('0.2.0', '10s'), timeouts: { upgrade: '90s' } }));
    await stepRunning(h, 'upgrade 4: helm upgrade --wait', sys.ns);
    await waitFor('pending-upgrade', async () => (await helmStatus(sys.ns)) === 'pending-upgrade' || undefined, 60_000, sys.ns);
    // Killed in the wait, not while helm still applies the target: an API that vanishes mid-
    // apply leaves helm unable to record anything (that case is test/integration/helm-stale-lock).
    await waitFor('helm to have applied the whole target', async () => (await appliedBy(sys.ns, `${CHART}-0.2.0`)) || undefined, 60_000, sys.ns);
    const killedAt = Date.now();
    const killed = await killApiServer(cluster);
    await assert.rejects(kubectl('--request-timeout=2s', 'get', '--raw', '/readyz'), 'the API is down');
    await sleep(3_000);
    const restartedPid = await restartApiServer(cluster, killed);
    const downMs = Date.now() - killedAt;
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    await assertUpgradedOnce(sys, run, before);
    assert.match(run.status.steps.find((x) => x.name === 'upgrade 4: helm upgrade --wait')?.detail ?? '', /^revision 2 \(deployed\)/);
    console.log(`# scenario apiserver-restart: ${Date.now() - t0} ms (API down ${downMs} ms; kube-apiserver pid ${killed} -> ${restartedPid})`);
  });
});
