// End to end (issue 14): the runbook paths that need a kubelet, through a real API server.
// KWOK pods run nothing, so the cluster script gives them what a kubelet would serve:
//   - `kubectl exec` into the soctalk postgres container runs the real pg_dump, pg_restore
//     and psql on this machine against this file's PostgreSQL (ClusterExec);
//   - `kubectl logs job/<alembic job>` serves a log file of an Alembic run (ClusterLogs);
//   - `kubectl port-forward svc/<release>-server :80` reaches a loopback /health server that
//     checks the health access key, as OpenCTI's does (ClusterPortForward).
// The workflows run unchanged on a real worker; the tests check the cluster, the database
// and the dump, not only the result. The cluster's processes listen on 127.0.0.1 only.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/kubelet-paths.test.ts
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createActivities } from '../../src/activities/index.js';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { approveUpdate, statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { openctiUpgradeV2, type OpenctiUpgradeResult } from '../../src/workflows/opencti/opencti-upgrade-v2.js';
import { soctalkSystemUpgrade } from '../../src/workflows/soctalk/system-upgrade.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { fixturesDir } from '../helpers/paths.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';
import { businessWorkflowId } from '../helpers/workflow-harness.js';

const SOCTALK = 'soctalk-system';
const JOB = `${SOCTALK}-alembic-upgrade`;
const POSTGRES_POD = `${SOCTALK}-postgres-0`;
const OPENCTI = 'opencti';
/** The OpenCTI platform container's port (the fixture chart's service.targetPort). */
const OPENCTI_PORT = 4000;
const HEALTH_SECRET = 'opencti-credentials';
const HEALTH_SECRET_KEY = 'APP__HEALTH_ACCESS_KEY';
const HEALTH_KEY = 'e2e-health-key-7f3a';
// health-key-exec: the key only in the Secret, env.APP__HEALTH_ACCESS_KEY unset, so chart 2.5.0's probes read the pod env (else the plan refuses the probe key).
const OPENCTI_VALUES = ['connectors.yaml', 'ingress-tls.yaml', 'health-key-exec.yaml'].map((f) => join(fixturesDir, 'opencti-values', f));
const LOGS = { migrated: join(fixturesDir, 'kwok', 'logs', 'alembic-upgrade.cri'), failed: join(fixturesDir, 'kwok', 'logs', 'alembic-upgrade-failed.cri') };

describe('kubectl exec, logs and port-forward through KWOK, end to end', { timeout: 8 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let pg: Postgres;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let health: Server;
  /** `<status> <health_access_key>` per /health request that reached the server. */
  const healthHits: string[] = [];
  let tmp: string;
  let backupDir: string;
  let valuesFile: string;
  const timings: Record<string, number> = {};
  let namespaces = 0;

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const chartTgz = (name: string, version: string) => join(repo.dir, `${name}-${version}.tgz`);
  const status = async (release: string, ns: string) => {
    const st = JSON.parse(await helm(['status', release, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } };
    return [st.version, st.info.status];
  };
  const stepOutcomes = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 240)})` : ''}`);
  const report = (t: { diagnostic: (m: string) => void }, what: string, run: { ms: number; status: RunStatus }) => {
    t.diagnostic(`${what} ${run.ms} ms`);
    for (const line of stepOutcomes(run.status)) t.diagnostic(`  ${line}`);
  };

  async function waitForPhase(h: WorkflowHandle, phase: string, timeoutMs = 90_000): Promise<RunStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await h.query(statusQuery);
      if (s.phase === phase) return s;
      if (s.outcome) assert.fail(`the run ended (${s.outcome.message}) before reaching phase ${phase}\n${stepOutcomes(s).join('\n')}`);
      if (Date.now() > deadline) assert.fail(`the run never reached phase ${phase} (now ${s.phase}; steps ${JSON.stringify(s.steps)})`);
      await sleep(200);
    }
  }

  /** Runs a workflow to its end; `drive` plays the operator. */
  async function runToEnd<R>(handle: WorkflowHandle, drive: (h: WorkflowHandle) => Promise<void>) {
    const started = Date.now();
    await drive(handle);
    try {
      const result = (await handle.result()) as R;
      return { result, failure: undefined, status: await handle.query(statusQuery), ms: Date.now() - started };
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      return { result: undefined, failure: err.cause, status: await handle.query(statusQuery), ms: Date.now() - started };
    }
  }
  const approve = async (h: WorkflowHandle) => {
    await waitForPhase(h, 'waiting-approval');
    await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', comment: 'e2e', acknowledgeSchemaChanges: true }] });
  };

  // ---- SocTalk: the exec backup mode and the migration Job's logs ------------------------

  /** A namespace with soctalk-system 0.1.0 (the fixture variant shipping the runbook's Alembic Job) installed, its own copy of the seeded database, and the Job logs served from `logs`. */
  async function freshSystem(label: string, logs: string) {
    namespaces += 1;
    const ns = `kp-${namespaces}-${label}`;
    const db = `soctalk_${namespaces}`;
    await kubectl('create', 'namespace', ns);
    await cluster.serveLogs(ns, logs);
    await helm(['install', SOCTALK, chartTgz('soctalk-system-job', '0.1.0'), '-n', ns, '--values', valuesFile, '--wait', '--timeout', '60s']);
    await pg.psql(`CREATE DATABASE ${db} TEMPLATE soctalk`, 'postgres');
    await kubectl('-n', ns, 'wait', '--for=condition=complete', `job/${JOB}`, '--timeout=60s');
    return { ns, db, psql: (sql: string) => pg.psql(sql, db) };
  }
  const dbContent = (psql: (sql: string) => Promise<string>) =>
    Promise.all([
      psql('SELECT version_num FROM alembic_version'),
      psql('SELECT count(*) FROM alerts'),
      psql("SELECT string_agg(slug || ':' || chart_version, ',' ORDER BY slug) FROM tenants"),
      psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'triaged'"),
    ]).then(([version, alerts, tenants, triagedColumn]) => ({ version, alerts, tenants, triagedColumn }));
  const SEEDED = { version: '0001_initial', alerts: '30', tenants: 'acme:0.1.0,beta:0.1.0,gamma:0.1.0', triagedColumn: '0' };
  /** What a half-applied migration leaves behind. */
  const simulateMigration = (psql: (sql: string) => Promise<string>) =>
    psql(
      "UPDATE alembic_version SET version_num = '0002_triage'; ALTER TABLE alerts ADD COLUMN triaged boolean DEFAULT false; " +
        "INSERT INTO alerts (tenant, severity, title) VALUES ('acme', 5, 'written by the new version'); UPDATE tenants SET chart_version = '0.2.0'",
    );

  function soctalkInput(ns: string, db: string, extra: Record<string, unknown> = {}) {
    return {
      release: SOCTALK,
      namespace: ns,
      kube: { kubeconfig: cluster.kubeconfig },
      chart: { ref: 'e2e-kubelet/soctalk-system-job', repository: { name: 'e2e-kubelet', url: repo.url } },
      targetVersion: '0.2.0',
      imageTag: '0.2.0',
      values: { files: [valuesFile] },
      requestedBy: 'ria',
      timeouts: { migration: '30s', upgrade: '45s', rollback: '45s', backup: '60s', verify: '30s' },
      prerequisites: { apiGroups: ['snapshot.storage.k8s.io'], crds: ['volumesnapshots.snapshot.storage.k8s.io'] },
      // The runbook's own way: pg_dump/pg_restore inside the chart's postgres pod.
      backup: {
        database: { mode: 'exec', podSelector: `app.kubernetes.io/name=soctalk-postgres,app.kubernetes.io/instance=${SOCTALK}`, container: 'postgres', database: db, user: 'postgres' },
        volumeSnapshots: { selector: `app.kubernetes.io/name=soctalk-postgres,app.kubernetes.io/instance=${SOCTALK}` },
      },
      api: { healthUrl: `http://127.0.0.1:${(health.address() as AddressInfo).port}/ready` },
      approval: { timeout: '10m' },
      ...extra,
    };
  }
  const startSoctalk = (ns: string, input: Record<string, unknown>) =>
    env.client.workflow.start(soctalkSystemUpgrade, { taskQueue, workflowId: businessWorkflowId('soctalkSystemUpgrade', input)!, args: [input] });

  // ---- OpenCTI: /health through kubectl port-forward -------------------------------------

  async function freshOpencti(label: string, key: string) {
    namespaces += 1;
    const ns = `kp-${namespaces}-${label}`;
    await kubectl('create', 'namespace', ns);
    await kubectl('-n', ns, 'create', 'secret', 'generic', HEALTH_SECRET, `--from-literal=${HEALTH_SECRET_KEY}=${key}`, '--from-literal=APP__ADMIN__PASSWORD=e2e-admin');
    await helm(['upgrade', '--install', OPENCTI, chartTgz('opencti', '1.13.8'), '-n', ns, ...OPENCTI_VALUES.flatMap((f) => ['-f', f]), '--wait', '--timeout', '60s']);
    return ns;
  }
  /** The guide's check: `kubectl port-forward svc/<release>-server 8080:80`, then GET /health (with the key). */
  const openctiInput = (ns: string) => ({
    release: OPENCTI,
    namespace: ns,
    kube: { kubeconfig: cluster.kubeconfig },
    chart: { ref: 'e2e-kubelet/opencti', repository: { name: 'e2e-kubelet', url: repo.url } },
    approval: { required: true, timeout: '10m' },
    requestedBy: 'ria',
    version: '2.5.0',
    values: { files: OPENCTI_VALUES },
    timeout: '60s',
    health: { accessKey: { secretRef: { name: HEALTH_SECRET, key: HEALTH_SECRET_KEY } }, via: 'port-forward' as const, servicePort: 80, requestTimeout: '5s' },
  });
  const startOpencti = (ns: string) =>
    env.client.workflow.start(openctiUpgradeV2, { taskQueue, workflowId: releaseWorkflowId(ns, OPENCTI), args: [openctiInput(ns)] });

  before(async () => {
    const t0 = Date.now();
    tmp = await mkdtemp(join(tmpdir(), 'e2e-kubelet-paths-'));
    backupDir = join(tmp, 'backups');
    process.env.HELM_CONFIG_HOME = join(tmp, 'helm', 'config');
    process.env.HELM_CACHE_HOME = join(tmp, 'helm', 'cache');
    process.env.HELM_DATA_HOME = join(tmp, 'helm', 'data');
    // OpenCTI's /health as the port-forward reaches it: 200 only with the right key. It also
    // answers the SocTalk API's readiness check on /ready.
    health = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/ready') return void res.writeHead(200).end('ok\n');
      const key = url.searchParams.get('health_access_key');
      const code = url.pathname !== '/health' ? 404 : key === HEALTH_KEY ? 200 : 401;
      if (url.pathname === '/health') healthHits.push(`${code} ${key ?? '(none)'}`);
      res.writeHead(code).end(code === 200 ? '{"status":"success"}\n' : '\n');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));

    const timed = async <T>(name: string, p: Promise<T>) => {
      const t = Date.now();
      const v = await p;
      timings[name] = Date.now() - t;
      return v;
    };
    [cluster, repo, pg, env] = await Promise.all([
      timed('cluster', createKwokCluster('e2e-kubelet')),
      timed('chartRepo', startChartRepo()),
      timed('postgres', startPostgres()),
      timed('temporal', createLocalEnv()),
      timed('bundle', workflowBundle()),
    ]).then(([c, r, p, e]) => [c, r, p, e] as const);
    cluster.env.HELM_CONFIG_HOME = process.env.HELM_CONFIG_HOME;
    cluster.env.HELM_CACHE_HOME = process.env.HELM_CACHE_HOME;
    cluster.env.HELM_DATA_HOME = process.env.HELM_DATA_HOME;

    // What the simulated pods "run": the postgres container is this file's PostgreSQL, and
    // the OpenCTI platform port is the /health server.
    await cluster.execLocally('postgres', { PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGUSER: 'postgres' });
    await cluster.forwardPort(OPENCTI_PORT, `127.0.0.1:${(health.address() as AddressInfo).port}`);

    valuesFile = join(tmp, 'soctalk-system-values.yaml');
    await writeFile(valuesFile, stringify({ image: { tag: '0.1.0' }, migration: { hook: false } }));

    taskQueue = uniqueTaskQueue('e2e-kubelet');
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env, PG_BIN_DIR: pg.binDir }) });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ runner, backupDir, workDir: tmp, pollIntervalMs: 500 }),
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
    const valuesDir = join(tmpdir(), 'upgrade-runbooks-opencti-values');
    const ours = (await readdir(valuesDir).catch(() => [] as string[])).filter((f) => f.startsWith(`${OPENCTI}-kp-`));
    await Promise.all(ours.map((f) => rm(join(valuesDir, f), { force: true })));
  });

  it('the KWOK processes listen on 127.0.0.1 only; kubectl exec reaches the real psql, kubectl logs the served file', async (t) => {
    t.diagnostic(`setup ${JSON.stringify(timings)} ms`);
    const pidDir = join(cluster.kubeconfig, '..', 'kwok', 'clusters', cluster.name, 'pids');
    const pids = await Promise.all((await readdir(pidDir)).map(async (f) => [f.replace(/\.pid$/, ''), (await readFile(join(pidDir, f), 'utf8')).trim()] as const));
    assert.ok(pids.length >= 5, `pid files: ${pids.map(([c]) => c).join(', ')}`);
    const { stdout } = await execa('ss', ['-H', '-l', '-t', '-n', '-p']);
    for (const [component, pid] of pids) {
      const sockets = stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
      assert.ok(sockets.length > 0, `${component} (pid ${pid}) listens`);
      const addresses = sockets.map((line) => line.split(/\s+/)[3] ?? '');
      t.diagnostic(`${component} listens on ${addresses.join(' ')}`);
      for (const a of addresses) assert.match(a, /^127\.0\.0\.1:\d+$/, `${component} listens on ${a}`);
    }

    const sys = await freshSystem('raw', LOGS.migrated);
    const viaExec = await kubectl('-n', sys.ns, 'exec', POSTGRES_POD, '-c', 'postgres', '--', 'psql', '-X', '-At', '-d', sys.db, '-c', 'SELECT count(*) FROM alerts');
    assert.equal(viaExec.trim(), '30', 'psql ran against this file\'s PostgreSQL');
    const logs = await kubectl('-n', sys.ns, 'logs', `job/${JOB}`, '--all-containers');
    assert.match(logs, /Running upgrade 0001_initial -> 0002_triage/);
    await kubectl('delete', 'namespace', sys.ns, '--wait=false');
  });

  it('SocTalk upgrade with the exec backup: pg_dump in the postgres pod, the migration Job\'s logs kept in the result', async (t) => {
    const sys = await freshSystem('exec', LOGS.migrated);
    const run = await runToEnd<Awaited<ReturnType<typeof soctalkSystemUpgrade>>>(await startSoctalk(sys.ns, soctalkInput(sys.ns, sys.db)), approve);
    report(t, 'upgrade', run);
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${stepOutcomes(run.status).join('\n')}`);
    const result = run.result;
    assert.deepEqual(await status(SOCTALK, sys.ns), [2, 'deployed']);

    // The dump came through `kubectl exec ... pg_dump --format=custom`: a custom-format archive of this database.
    const backup = result.backup as BackupRecord;
    assert.ok(existsSync(backup.path) && backup.path.startsWith(backupDir), backup.path);
    assert.equal((await readFile(backup.path)).subarray(0, 5).toString(), 'PGDMP');
    assert.equal(backup.verifyValue, '0001_initial', 'the verify query ran through kubectl exec psql');
    const listing = await execa(join(pg.binDir, 'pg_restore'), ['--list', backup.path]);
    assert.match(listing.stdout, /dbname: soctalk_\d+/);
    assert.match(listing.stdout, /TABLE DATA public alerts/);

    // Step 3 keeps the Job's logs: what `kubectl logs job/<job>` served.
    const migration = result.migration as { jobName: string; logsTail: string };
    assert.equal(migration.jobName, JOB);
    assert.match(migration.logsTail, /Running upgrade 0001_initial -> 0002_triage, add alerts\.triaged/);
    assert.match(run.status.steps.find((s) => s.name === 'upgrade 3: wait for migrations to complete')?.detail ?? '', /logs: .*Running upgrade 0001_initial -> 0002_triage/);
    await kubectl('delete', 'namespace', sys.ns, '--wait=false');
  });

  it('a failed migration with the exec backup: the Job\'s logs in the failure, the database restored by pg_restore in the pod and verified by its content', async (t) => {
    const sys = await freshSystem('execfail', LOGS.failed);
    const input = soctalkInput(sys.ns, sys.db, { imageTag: Build.migrationFails('0.2.0') });
    const run = await runToEnd(await startSoctalk(sys.ns, input), async (h) => {
      await waitForPhase(h, 'waiting-approval');
      // After the backup: what the failed migration left half-done.
      await simulateMigration(sys.psql);
      await h.executeUpdate(approveUpdate, { args: [{ by: 'sam', acknowledgeSchemaChanges: true }] });
    });
    report(t, 'run', run);
    assert.ok(run.failure, 'the run fails');
    assert.equal(run.failure.type, FailureType.MigrationFailed, run.failure.message);
    assert.match(run.failure.message, /migration Job soctalk-system-alembic-upgrade failed .*logs: .*DuplicateColumn\) column "triaged" of relation "alerts" already exists/);
    assert.match(run.failure.message, /compensated: restore database from .*restored and verified/);
    assert.deepEqual(await status(SOCTALK, sys.ns), [1, 'deployed'], 'no helm upgrade');
    assert.deepEqual(await dbContent(sys.psql), SEEDED, 'pg_restore through kubectl exec brought back the pre-upgrade content');
  });

  it('OpenCTI in-place upgrade verified through kubectl port-forward svc/opencti-server: /health answers 200 with the key from the Secret', async (t) => {
    const ns = await freshOpencti('pf', HEALTH_KEY);
    const before = healthHits.length;
    const run = await runToEnd<OpenctiUpgradeResult>(await startOpencti(ns), approve);
    report(t, 'upgrade', run);
    assert.equal(run.failure, undefined, `${run.failure?.message}\n${stepOutcomes(run.status).join('\n')}`);
    assert.deepEqual(run.result.verification.health, ['server 200']);
    assert.deepEqual(await status(OPENCTI, ns), [2, 'deployed']);
    // The request reached the server only through the port-forward (the workflow never saw its port).
    assert.deepEqual(healthHits.slice(before), [`200 ${HEALTH_KEY}`]);
    await kubectl('delete', 'namespace', ns, '--wait=false');
  });

  it('OpenCTI with the default health key: /health through the port-forward answers 401 and the upgrade fails with the runbook\'s message', async (t) => {
    const ns = await freshOpencti('pfdefault', 'ChangeMe');
    const before = healthHits.length;
    const run = await runToEnd(await startOpencti(ns), approve);
    report(t, 'upgrade', run);
    assert.ok(run.failure, 'the upgrade fails');
    assert.equal(run.failure.type, FailureType.VerificationFailed, run.failure.message);
    assert.match(run.failure.message, /server health http:\/\/127\.0\.0\.1:\d+\/health answered 401: health access key missing or still the default/);
    assert.doesNotMatch(run.failure.message, /ChangeMe/, 'the key is not in the message');
    assert.deepEqual(healthHits.slice(before), ['401 ChangeMe']);
  });
});
