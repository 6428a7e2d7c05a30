// Fault-injection tier (issue 12): soctalkSystemUpgrade on real components while things
// break. One KWOK cluster, one PostgreSQL, one SeaweedFS (the backup store, S3), one chart
// repository and a Temporal dev server persisted to disk, all started by the project's own
// scripts and helpers. The worker is its own OS process (test/faults/worker-main.ts) and is
// killed with SIGKILL; the Temporal server is killed and restarted too.
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
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { stringify } from 'yaml';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { abortUpdate, approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startSeaweedfs, type Seaweedfs } from '../helpers/seaweedfs.js';
import { uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { describeCluster, withDiagnostics } from './cluster-diagnostics.js';
import { startTemporalServer, type TemporalServer } from './temporal-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const RELEASE = 'soctalk-system';
const JOB = `${RELEASE}-alembic-upgrade`;
/** The fixture variant that ships the runbook's Alembic Job: the faults are about that path. */
const CHART = 'soctalk-system-job';
const REPO_NAME = 'faults-soctalk';
const S3_PREFIX = 'faults/';
const SCENARIOS = 8;

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}

describe('soctalk-system upgrade under faults (kill -9, aborts, server restarts)', { timeout: 15 * 60_000 }, () => {
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
  // The API's readiness as the worker (a host process) can reach it: always ready here.
  let health: Server | undefined;
  let healthUrl = '';
  const started = Date.now();

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const history = async (ns: string) => JSON.parse(await helm(['history', RELEASE, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  const helmStatus = async (ns: string) => (JSON.parse(await helm(['status', RELEASE, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } }).info.status;
  const dbUrlEnv = (n: number) => `FAULT_DB_URL_${n}`;

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
    health = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => health!.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health/ready`;
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
    };
    await startWorker();
    console.log(`# setup ${Date.now() - started} ms`);
  });

  after(async () => {
    health?.close();
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
      api: { healthUrl },
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
    const h = await start(sys, input(sys, { imageTag: Build.readyAfter('0.2.0', '100s'), timeouts: { upgrade: '150s' } }));
    await phase(h, 'waiting-approval');
    await approve(h);
    await phase(h, 'upgrading');
    await waitFor('pending-upgrade', async () => (await helmStatus(sys.ns)) === 'pending-upgrade' || undefined, 120_000, sys.ns);
    for (const w of live()) await kill9(w);
    await startWorker();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${journal(run.status)}`);
    assert.match(run.status.steps.find((s) => s.name === 'upgrade 4: helm upgrade --wait')?.detail ?? '', /revision 2 \(deployed\), done by an earlier attempt/);
    const hist = await assertReleaseSane(sys, { revisions: 2, last: 'deployed 0.2.0' });
    assert.match(hist[1]!.description, new RegExp(`upgrade-runbooks run ${sys.workflowId.replace(/[/]/g, '\\/')} \\(run ${run.runId}\\)`), 'the revision carries the run');
    assert.equal(await sys.checksum(), before, 'no restore ran');
    assert.equal((await jobRuns(sys.ns))?.runs, 1);
    assert.equal((await backups(sys)).length, 1);
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
    const hist = await h.fetchHistory();
    const scheduled = hist.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupDatabase')!;
    const startedBy = hist.events!.find((e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(scheduled.eventId))!
      .activityTaskStartedEventAttributes!.identity!;
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
    // A session holding an exclusive lock keeps pg_dump waiting, as a long dump would run.
    const locker = execa(join(pg.binDir, 'psql'), ['-X', '-q', pg.url.replace(/\/soctalk$/, `/fault_${sys.n}`)], {
      input: 'BEGIN; LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);\n',
      reject: false,
    });
    const dumping = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'";
    const h = await start(sys, input(sys));
    await waitFor('pg_dump waiting on the lock', async () => (await sys.psql(dumping)) === '1' || undefined);
    const abortedAt = Date.now();
    await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'fault test' }] });
    const run = await outcome(h, { ns: sys.ns });
    const endedMs = Date.now() - abortedAt;
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /nothing was changed$/);
    assert.equal(await sys.psql(dumping), '0', 'pg_dump is gone when the run reports');
    assert.ok(endedMs < 15_000, `the run ended ${endedMs} ms after the abort`);
    // End the locking session from the server side (psql would sit out its pg_sleep).
    await sys.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()");
    await locker;
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
    const h = await start(sys, input(sys, { imageTag: Build.migrationTakes('0.2.0', '12s') }));
    await phase(h, 'waiting-approval');
    await approve(h);
    await waitFor('the migration wait', async () => (await h.query(statusQuery)).steps.some((x) => x.name === 'upgrade 3: wait for migrations to complete' && x.outcome === 'running') || undefined);
    await temporal.kill();
    await sleep(3_000);
    await temporal.start();
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${journal(run.status)}`);
    await assertReleaseSane(sys, { revisions: 2, last: 'deployed 0.2.0' });
    assert.equal((await jobRuns(sys.ns))?.runs, 1, 'the migration Job ran once');
    assert.equal((await backups(sys)).length, 1);
    assert.equal(await sys.checksum(), before, 'no restore ran');
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
    await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'fault test' }] });
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
    const h = await start(sys, input(sys, { imageTag: Build.migrationTakes('0.2.0', '30s') }));
    await phase(h, 'waiting-approval');
    await approve(h);
    await waitFor(
      'the migration wait',
      async () => (await h.query(statusQuery)).steps.some((x) => x.name === 'upgrade 3: wait for migrations to complete' && x.outcome === 'running') || undefined,
      120_000,
      sys.ns,
    );
    // What the Job has written so far: the restore must take it away.
    await writeAsNewVersion(sys, 'half-applied migration');
    await h.executeUpdate(abortUpdate, { args: [{ by: 'sam', reason: 'fault test' }] });
    const run = await outcome(h, { ns: sys.ns });
    t.diagnostic(journal(run.status));
    assert.equal(run.failure?.type, FailureType.Aborted, run.failure?.message);
    assert.match(run.failure.message, /restore database from .*restored and verified/);
    assert.equal(await sys.checksum(), before, 'restored to before the run');
    await assertReleaseSane(sys, { revisions: 1, last: 'deployed 0.1.0' });
    assert.equal((await backups(sys)).length, 1);
    console.log(`# scenario abort-migration: ${Date.now() - t0} ms`);
  });
});
