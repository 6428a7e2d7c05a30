/**
 * "Back up. Snapshot Postgres" and "Restore Postgres from the pre-upgrade backup".
 *
 * A backup belongs to one run: its name carries the workflow ID and the run ID, and its
 * record says which run took it, so a retried activity of the same run finds its own
 * backup and a later run never adopts it. The dump is streamed into the backup store (a
 * local directory, or S3-compatible storage that every worker reaches) and becomes visible
 * only once complete; a failed or cancelled dump leaves nothing. The record holds size,
 * sha256 and the verify query's answer; a restore checks the stored dump against what THIS
 * run recorded before it touches the database. A restore stops the API first (scale to 0,
 * remembering the replica count in an annotation so a retry scales back correctly),
 * restores, checks the verify query against the backup's answer, then scales the API back.
 */
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { DatabaseBackup } from '../../domain/soctalk/system-upgrade-input.js';
import type { CommandRunner, CommandSpec } from '../command.js';
import { getList, getObject } from '../kube-json.js';
import { kubectlAnnotateArgs, kubectlRolloutStatusArgs, kubectlScaleArgs, type Scope } from '../kubectl/commands.js';
import { currentRun, currentRunContext } from '../run-context.js';
import { resolveSecretRef } from '../secret-ref.js';
import { digestStream, HashingStream, type BackupStore } from '../storage/backup-store.js';
import { localBackupStore } from '../storage/local-store.js';
import { applyRetention } from '../storage/retention.js';
import {
  libpqEnv,
  pgDumpDirectArgs,
  pgDumpExecArgs,
  pgRestoreDirectArgs,
  pgRestoreExecArgs,
  psqlQueryDirectArgs,
  psqlQueryExecArgs,
  type PodDatabase,
} from './commands.js';

export interface BackupRecord {
  name: string;
  /** Where the dump is: a file path, or s3://bucket/key. */
  path: string;
  /** Which store holds it (records from before stores existed are local). */
  storage?: 'local' | 's3';
  sizeBytes: number;
  sha256: string;
  createdAt: string;
  /** The run that took it (workflow ID and run ID); no other run adopts it. */
  workflowId?: string;
  runId?: string;
  /** The verify query's answer at backup time ("" when the query found nothing). */
  verifyValue?: string;
  /**
   * In use until then: the run that took it may still restore it, so retention keeps it
   * whatever the count (the run's remaining timeouts from the backup on; a run that crashed
   * holds it until then too).
   */
  heldUntil?: string;
}

export interface DatabaseTarget {
  namespace: string;
  kube: KubeTarget;
  database: Exclude<DatabaseBackup, { mode: 'none' }>;
}

export interface BackupDeps {
  runner: CommandRunner;
  /** The worker's backup store (BACKUP_STORAGE); a run's own `directory` overrides it with a local one. */
  store: BackupStore;
  /** Backups kept per release (BACKUP_RETENTION_KEEP); older ones are removed after a new backup. */
  keep?: number;
}

const ANNOTATION = 'upgrade-runbooks.io/replicas-before-restore';
/** How often a dump or restore heartbeats: an abort reaches pg_dump within a few seconds. */
const DUMP_HEARTBEAT_MS = 1_000;

export function createBackupActivities({ runner, store, keep }: BackupDeps) {
  /** The worker's store, or a local one when the run names its own directory. */
  const storeFor = (directory: string | undefined): BackupStore => (directory ? localBackupStore(directory) : store);

  /** The store a record was written to: a local record names its own directory. */
  function storeOf(record: BackupRecord, directory: string | undefined): BackupStore {
    if (directory) return localBackupStore(directory);
    const kind = record.storage ?? 'local';
    if (kind === 'local') return localBackupStore(dirname(record.path));
    if (store.kind === kind) return store;
    throw ApplicationFailure.create({
      type: FailureType.NotFound,
      nonRetryable: true,
      message: `backup ${record.name} is in ${kind} storage (${record.path}) but this worker's backup storage is ${store.kind}: configure BACKUP_STORAGE=${kind} on the workers`,
    });
  }

  /** How to run pg_* for this target: in the postgres pod or over a direct connection. */
  async function connect(target: DatabaseTarget): Promise<{
    dump: (sink: Writable) => CommandSpec;
    restore: (source: Readable) => CommandSpec;
    query: (sql: string) => CommandSpec;
  }> {
    if (target.database.mode === 'direct') {
      const url = await resolveSecretRef(runner, target.database.urlFrom, target);
      const { env, database } = libpqEnv(url);
      // Only the password is secret: host, user and database name stay readable in errors
      // (the runner would otherwise hide "soctalk" inside every backup path it prints).
      const envSecrets = ['PGPASSWORD'];
      return {
        dump: (sink) => ({ tool: 'pg_dump', args: pgDumpDirectArgs(), stdoutStream: sink, env, envSecrets, mutates: false }),
        restore: (source) => ({ tool: 'pg_restore', args: pgRestoreDirectArgs(database), inputStream: source, env, envSecrets, mutates: true }),
        query: (sql) => ({ tool: 'psql', args: psqlQueryDirectArgs(database, sql), env, envSecrets, mutates: false }),
      };
    }
    const db = target.database;
    const pods = await getList(runner, target, 'pods', db.podSelector);
    const pod = pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running') ?? pods[0];
    if (!pod) {
      throw ApplicationFailure.create({
        type: FailureType.NotFound,
        nonRetryable: false,
        message: `no postgres pod matches ${db.podSelector} in ${target.namespace}`,
      });
    }
    const podDb: PodDatabase = { namespace: target.namespace, kube: target.kube, pod: pod.metadata.name, user: db.user, database: db.database, ...(db.container ? { container: db.container } : {}) };
    return {
      dump: (sink) => ({ tool: 'kubectl', args: pgDumpExecArgs(podDb), stdoutStream: sink, mutates: false }),
      restore: (source) => ({ tool: 'kubectl', args: pgRestoreExecArgs(podDb), inputStream: source, mutates: true }),
      query: (sql) => ({ tool: 'kubectl', args: psqlQueryExecArgs(podDb, sql), mutates: false }),
    };
  }

  async function queryValue(spec: CommandSpec, timeoutMs: number): Promise<string> {
    const out = await runner.run({ ...spec, timeoutMs }, currentRunContext());
    return out.stdout.trim();
  }

  async function readRecord(s: BackupStore, name: string): Promise<BackupRecord | undefined> {
    const text = await s.readRecord(name);
    return text === undefined ? undefined : (JSON.parse(text) as BackupRecord);
  }

  return {
    /** A backup taken earlier (the standalone rollback restores one by name). */
    async findBackup(input: { name: string; directory?: string }): Promise<BackupRecord> {
      const s = storeFor(input.directory);
      const record = await readRecord(s, input.name);
      if (!record) {
        throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `no backup named ${input.name} (looked in ${s.locationOf(input.name).replace(/\.dump$/, '.json')})` });
      }
      return record;
    },

    /**
     * pg_dump -Fc of the SocTalk database into the backup store, once per name: a retry of
     * the same run finds its own finished backup; a backup of that name taken by another
     * run is refused, never adopted.
     */
    async backupDatabase(input: DatabaseTarget & { name: string; directory?: string; verifyQuery?: string; timeoutMs: number; holdMs?: number }): Promise<BackupRecord> {
      const s = storeFor(input.directory);
      const run = currentRun();
      const existing = await readRecord(s, input.name);
      if (existing) {
        if (run && existing.runId !== undefined && (existing.runId !== run.runId || existing.workflowId !== run.workflowId)) {
          throw ApplicationFailure.create({
            type: FailureType.InvalidInput,
            nonRetryable: true,
            message: `a backup named ${input.name} already exists and belongs to run ${existing.workflowId}/${existing.runId}, not to this run (${run.workflowId}/${run.runId}); it is not reused`,
          });
        }
        return existing;
      }

      const db = await connect(input);
      const verifyValue = input.verifyQuery ? await queryValue(db.query(input.verifyQuery), 60_000) : undefined;
      const written = await s.writeDump(input.name, async (sink) => {
        await runner.run({ ...db.dump(sink), timeoutMs: input.timeoutMs, heartbeatIntervalMs: DUMP_HEARTBEAT_MS }, currentRunContext());
      });
      if (written.sizeBytes === 0) {
        await s.remove(input.name);
        throw ApplicationFailure.create({ type: FailureType.CommandFailed, nonRetryable: false, message: `pg_dump wrote an empty dump for ${input.name}` });
      }
      const now = Date.now();
      const record: BackupRecord = {
        name: input.name,
        path: written.location,
        storage: s.kind,
        sizeBytes: written.sizeBytes,
        sha256: written.sha256,
        createdAt: new Date(now).toISOString(),
        ...(run ? { workflowId: run.workflowId, runId: run.runId } : {}),
        ...(verifyValue !== undefined ? { verifyValue } : {}),
        ...(input.holdMs !== undefined ? { heldUntil: new Date(now + input.holdMs).toISOString() } : {}),
      };
      await s.writeRecord(input.name, JSON.stringify(record, null, 2));
      if (keep !== undefined) await applyRetention(s, record, keep);
      return record;
    },

    /**
     * Restore the database from a backup with the API stopped, verify it by the recorded
     * query answer, and start the API again. The stored dump must match what the caller
     * recorded (size and sha256, and the run that took it) before anything is stopped.
     */
    async restoreDatabase(input: DatabaseTarget & { backup: BackupRecord; directory?: string; apiDeployment: string; verifyQuery?: string; timeoutMs: number }): Promise<string> {
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const ctx = currentRunContext();
      const s = storeOf(input.backup, input.directory);
      const stored = await readRecord(s, input.backup.name);
      const mismatch = (why: string) =>
        ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `backup ${input.backup.name} (${input.backup.path}) ${why}; nothing was restored` });
      if (!stored) throw mismatch('is missing from the backup storage');
      if (stored.runId !== input.backup.runId || stored.sha256 !== input.backup.sha256) {
        throw mismatch(`is not the one this run recorded (stored: run ${stored.runId ?? '?'}, sha256 ${stored.sha256.slice(0, 12)}; recorded: run ${input.backup.runId ?? '?'}, sha256 ${input.backup.sha256.slice(0, 12)})`);
      }
      const check = await s
        .readDump(input.backup.name)
        .then(digestStream)
        .catch(() => undefined);
      if (!check || check.sha256 !== input.backup.sha256 || check.sizeBytes !== input.backup.sizeBytes) {
        throw mismatch(check ? `does not match its recorded size and sha256 (${input.backup.sizeBytes} bytes, ${input.backup.sha256})` : 'cannot be read');
      }
      const deployment = `deployment/${input.apiDeployment}`;
      const api = await getObject(runner, scope, 'deployment', input.apiDeployment);
      let replicas = 0;
      if (api) {
        const remembered = api.metadata.annotations?.[ANNOTATION];
        replicas = remembered !== undefined ? Number(remembered) : Number((api.spec as { replicas?: number }).replicas ?? 1);
        await runner.run({ tool: 'kubectl', args: kubectlAnnotateArgs(scope, deployment, `${ANNOTATION}=${replicas}`), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlScaleArgs(scope, deployment, 0), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlRolloutStatusArgs(scope, deployment, input.timeoutMs), mutates: false, timeoutMs: input.timeoutMs + 30_000 }, ctx);
      }
      const db = await connect(input);
      // Hashed again on its way in: what pg_restore read is what was recorded.
      const source = (await s.readDump(input.backup.name)).pipe(new HashingStream());
      // Uninterruptible: a half-fed pg_restore rolls back, but a cancelled one is the same
      // as no restore at all, which the caller must not mistake for done.
      await runner.run({ ...db.restore(source), uninterruptible: true, timeoutMs: input.timeoutMs, heartbeatIntervalMs: DUMP_HEARTBEAT_MS }, ctx);
      if (source.sha256() !== input.backup.sha256) {
        throw ApplicationFailure.create({
          type: FailureType.VerificationFailed,
          nonRetryable: true,
          message: `pg_restore read ${source.sizeBytes} bytes of ${input.backup.name} whose sha256 ${source.sha256()} is not the recorded ${input.backup.sha256}`,
        });
      }
      let verified = 'restored';
      if (input.verifyQuery && input.backup.verifyValue !== undefined) {
        const now = await queryValue(db.query(input.verifyQuery), 60_000);
        if (now !== input.backup.verifyValue) {
          throw ApplicationFailure.create({
            type: FailureType.VerificationFailed,
            nonRetryable: true,
            message: `after restoring ${input.backup.name}, "${input.verifyQuery}" answers "${now}" instead of "${input.backup.verifyValue}"`,
          });
        }
        verified = `restored and verified (${input.verifyQuery} = ${now || '(empty)'})`;
      }
      if (api) {
        await runner.run({ tool: 'kubectl', args: kubectlScaleArgs(scope, deployment, replicas), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlAnnotateArgs(scope, deployment, `${ANNOTATION}-`), mutates: true }, ctx);
        await runner.run({ tool: 'kubectl', args: kubectlRolloutStatusArgs(scope, deployment, input.timeoutMs), mutates: false, timeoutMs: input.timeoutMs + 30_000 }, ctx);
      }
      return `${verified} from ${input.backup.name}${api ? `; ${input.apiDeployment} back to ${replicas} replicas` : ''}`;
    },
  };
}
