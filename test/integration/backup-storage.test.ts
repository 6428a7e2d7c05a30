// Backups against the real components (issue 12): SeaweedFS as the S3-compatible store and a
// real PostgreSQL, through the backup activities as a worker runs them (in a mocked activity
// context that carries the run's workflow and run ID, and its cancellation).
//
// What it proves: a backup belongs to its run (a retry of the same run gets it back, another
// run of the same release is refused it); the dump is streamed into S3 with SSE and its
// size and sha256 recorded; a restore checks them first; an abort stops pg_dump within
// seconds and leaves no object behind; retention keeps the newest N per release; a local
// dump is 0600 and a failed one leaves no partial file.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createBackupActivities, type BackupRecord } from '../../src/activities/postgres/backup.js';
import { backupStorageFromEnv } from '../../src/activities/storage/config.js';
import { localBackupStore } from '../../src/activities/storage/local-store.js';
import { backupNameOf } from '../../src/domain/backup-name.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startSeaweedfs, type Seaweedfs } from '../helpers/seaweedfs.js';

const WORKFLOW_ID = 'release:soctalk-system/soctalk-system';
const DB_URL_ENV = 'BACKUP_STORAGE_TEST_DB_URL';

describe('backup storage on SeaweedFS and PostgreSQL', { timeout: 5 * 60_000 }, () => {
  let pg: Postgres;
  let s3: Seaweedfs;
  let tmp: string;
  let runner: CommandRunner;
  let dbCount = 0;

  before(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startSeaweedfs()]);
    tmp = await mkdtemp(join(tmpdir(), 'backup-storage-'));
    // No cluster here: the restore's "stop the API" finds no deployment (an empty kubectl answer).
    runner = new CommandRunner({ tools: { ...toolPathsFromEnv({ ...process.env, PG_BIN_DIR: pg.binDir }), kubectl: 'true' } });
  });
  after(async () => {
    await s3?.stop();
    await pg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A fresh copy of the seeded database, reachable through the env var the input names. */
  async function freshDb(): Promise<{ psql: (sql: string) => Promise<string> }> {
    dbCount += 1;
    const db = `storage_${dbCount}`;
    await pg.psql(`CREATE DATABASE ${db} TEMPLATE soctalk`, 'postgres');
    process.env[DB_URL_ENV] = pg.url.replace(/\/soctalk$/, `/${db}`);
    return { psql: (sql) => pg.psql(sql, db) };
  }
  const content = (psql: (sql: string) => Promise<string>) => psql("SELECT md5(string_agg(id::text || title, ',' ORDER BY id)) FROM alerts");
  const target = { namespace: 'soctalk-system', kube: {}, database: { mode: 'direct' as const, urlFrom: { env: DB_URL_ENV } } };
  const inRun = <T>(runId: string, fn: () => Promise<T>, env = new MockActivityEnvironment({ workflowExecution: { workflowId: WORKFLOW_ID, runId } })): Promise<T> =>
    env.run<[], T, () => Promise<T>>(fn);
  const s3Activities = (prefix: string, keep = 5) => createBackupActivities({ runner, ...backupStorageFromEnv({ ...s3.workerEnv(prefix), BACKUP_RETENTION_KEEP: String(keep) }, tmp) });
  const keys = async (prefix: string) =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();

  it('streams the dump to S3 with SSE, records size and sha256 and the run; a retry of the run gets it back, another run is refused it', async () => {
    const { psql } = await freshDb();
    const acts = s3Activities('t1/');
    const runA = '11111111-1111-4111-8111-111111111111';
    const name = backupNameOf(WORKFLOW_ID, runA);
    const record = await inRun(runA, () => acts.backupDatabase({ ...target, name, verifyQuery: 'SELECT count(*) FROM alerts', timeoutMs: 60_000 }));
    assert.equal(record.storage, 's3');
    assert.equal(record.runId, runA);
    assert.equal(record.workflowId, WORKFLOW_ID);
    assert.equal(record.path, `s3://${s3.bucket}/t1/${name}.dump`);
    assert.equal(record.verifyValue, '30');
    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `t1/${name}.dump` }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    assert.equal(bytes.subarray(0, 5).toString(), 'PGDMP', 'a custom-format dump');
    assert.equal(bytes.length, record.sizeBytes);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), record.sha256);
    assert.equal(object.ServerSideEncryption, 'AES256');
    assert.deepEqual(await keys('t1/'), [`${name}.dump`, `${name}.json`]);

    // The same run again (an activity retry): its own backup, not a second dump.
    const again = await inRun(runA, () => acts.backupDatabase({ ...target, name, timeoutMs: 60_000 }));
    assert.deepEqual(again, record);
    // Another run presenting the same name is refused: a backup is never adopted.
    await assert.rejects(
      inRun('22222222-2222-4222-8222-222222222222', () => acts.backupDatabase({ ...target, name, timeoutMs: 60_000 })),
      (err: unknown) => err instanceof ApplicationFailure && /belongs to run .*1111.*not to this run/.test(err.message),
    );

    // Restore: the database changes, then comes back to the backup's content, from S3.
    const beforeContent = await content(psql);
    await psql("DELETE FROM alerts WHERE id > 10; INSERT INTO alerts (tenant, severity, title) VALUES ('acme', 1, 'after the backup')");
    assert.notEqual(await content(psql), beforeContent);
    const restored = await inRun(runA, () => acts.restoreDatabase({ ...target, backup: record, apiDeployment: 'soctalk-system-api', verifyQuery: 'SELECT count(*) FROM alerts', timeoutMs: 60_000 }));
    assert.match(restored, /restored and verified/);
    assert.equal(await content(psql), beforeContent);
  });

  it('a restore refuses a dump that is not what this run recorded, before touching the database', async () => {
    const { psql } = await freshDb();
    const acts = s3Activities('t2/');
    const run = '33333333-3333-4333-8333-333333333333';
    const record = await inRun(run, () => acts.backupDatabase({ ...target, name: backupNameOf(WORKFLOW_ID, run), timeoutMs: 60_000 }));
    await psql("INSERT INTO alerts (tenant, severity, title) VALUES ('acme', 1, 'kept')");
    const changed = await content(psql);
    const forged: BackupRecord = { ...record, sha256: '0'.repeat(64) };
    await assert.rejects(
      inRun(run, () => acts.restoreDatabase({ ...target, backup: forged, apiDeployment: 'api', timeoutMs: 60_000 })),
      (err: unknown) => err instanceof ApplicationFailure && /is not the one this run recorded.*nothing was restored/.test(err.message),
    );
    assert.equal(await content(psql), changed, 'the database was not touched');
  });

  it('an abort during the dump stops pg_dump within seconds and leaves no object', async () => {
    const { psql } = await freshDb();
    const acts = s3Activities('t3/');
    const run = '44444444-4444-4444-8444-444444444444';
    // A session holding an exclusive lock keeps pg_dump waiting, as a long dump would run.
    const locker = execa(join(pg.binDir, 'psql'), ['-X', '-q', process.env[DB_URL_ENV]!], { input: 'BEGIN; LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);\n', reject: false });
    await waitFor(async () => (await psql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'alerts'::regclass")) === '1');
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: WORKFLOW_ID, runId: run } });
    const started = Date.now();
    const backup = inRun(run, () => acts.backupDatabase({ ...target, name: backupNameOf(WORKFLOW_ID, run), timeoutMs: 60_000 }), env);
    await waitFor(async () => (await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND wait_event_type = 'Lock'")) === '1');
    const cancelledAt = Date.now();
    env.cancel();
    await assert.rejects(backup, (err: unknown) => err instanceof CancelledFailure);
    const stoppedMs = Date.now() - cancelledAt;
    assert.ok(stoppedMs < 5_000, `pg_dump stopped ${stoppedMs} ms after the cancellation`);
    assert.equal(await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'"), '0', 'no pg_dump left running');
    await psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()");
    await locker;
    assert.deepEqual(await keys('t3/'), [], 'nothing was written');
    console.log(`# dump cancelled after ${cancelledAt - started} ms; stopped ${stoppedMs} ms after the cancellation`);
  });

  it('retention keeps the newest N backups of the release, always including the one just taken', async () => {
    await freshDb();
    const acts = s3Activities('t4/', 2);
    const runs = ['a', 'b', 'c'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
    const names: string[] = [];
    for (const run of runs) {
      const name = backupNameOf(WORKFLOW_ID, run);
      names.push(name);
      await inRun(run, () => acts.backupDatabase({ ...target, name, timeoutMs: 60_000 }));
    }
    // Another release's backups are never counted against this one.
    const other = backupNameOf('release:other/soctalk-system', runs[0]!);
    await inRun(runs[0]!, () => acts.backupDatabase({ ...target, name: other, timeoutMs: 60_000 }));
    assert.deepEqual(await keys('t4/'), [`${names[1]}.dump`, `${names[1]}.json`, `${names[2]}.dump`, `${names[2]}.json`, `${other}.dump`, `${other}.json`].sort());
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `t4/${names[2]}.dump` }));
  });

  it('a local backup is 0600 and a failed dump leaves no partial file', async () => {
    await freshDb();
    const dir = join(tmp, 'local');
    const acts = createBackupActivities({ runner, store: localBackupStore(dir) });
    const run = '55555555-5555-4555-8555-555555555555';
    const record = await inRun(run, () => acts.backupDatabase({ ...target, name: backupNameOf(WORKFLOW_ID, run), timeoutMs: 60_000 }));
    assert.equal((await stat(record.path)).mode & 0o777, 0o600);
    assert.equal((await stat(record.path.replace(/\.dump$/, '.json'))).mode & 0o777, 0o600);
    process.env[DB_URL_ENV] = pg.url.replace(/\/soctalk$/, '/no_such_database');
    await assert.rejects(inRun(run, () => acts.backupDatabase({ ...target, name: backupNameOf(WORKFLOW_ID, 'other'), timeoutMs: 60_000 })));
    assert.deepEqual((await readdir(dir)).sort(), [`${record.name}.dump`, `${record.name}.json`]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
