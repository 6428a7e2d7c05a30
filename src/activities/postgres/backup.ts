/**
 * "Back up. Snapshot Postgres" and "Restore Postgres from the pre-upgrade backup".
 *
 * A backup is named after the workflow, written to `<name>.dump.partial`, renamed when
 * complete and described by `<name>.json` (size, sha256, the verify query's answer), so a
 * retried activity finds the finished backup instead of taking a second one. A restore
 * stops the API first (scale to 0, remembering the replica count in an annotation so a
 * retry scales back correctly), restores, checks the verify query against the backup's
 * answer, then scales the API back and waits for it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import type { KubeTarget } from '../../domain/kube-target.js';
import type { DatabaseBackup } from '../../domain/soctalk/system-upgrade-input.js';
import type { CommandRunner, CommandSpec } from '../command.js';
import { getList, getObject } from '../kube-json.js';
import { kubectlAnnotateArgs, kubectlRolloutStatusArgs, kubectlScaleArgs, type Scope } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';
import { resolveSecretRef } from '../secret-ref.js';
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
  path: string;
  sizeBytes: number;
  sha256: string;
  createdAt: string;
  /** The verify query's answer at backup time ("" when the query found nothing). */
  verifyValue?: string;
}

export interface DatabaseTarget {
  namespace: string;
  kube: KubeTarget;
  database: Exclude<DatabaseBackup, { mode: 'none' }>;
}

export interface BackupDeps {
  runner: CommandRunner;
  /** Default backup directory (the worker's BACKUP_DIR). */
  backupDir: string;
}

const ANNOTATION = 'upgrade-runbooks.io/replicas-before-restore';

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function createBackupActivities({ runner, backupDir }: BackupDeps) {
  /** How to run pg_* for this target: in the postgres pod or over a direct connection. */
  async function connect(target: DatabaseTarget): Promise<{
    dump: (file: string) => CommandSpec;
    restore: (file: string) => CommandSpec;
    query: (sql: string) => CommandSpec;
  }> {
    if (target.database.mode === 'direct') {
      const url = await resolveSecretRef(runner, target.database.urlFrom, target);
      const { env, database } = libpqEnv(url);
      // Only the password is secret: host, user and database name stay readable in errors
      // (the runner would otherwise hide "soctalk" inside every backup path it prints).
      const envSecrets = ['PGPASSWORD'];
      return {
        dump: (file) => ({ tool: 'pg_dump', args: pgDumpDirectArgs(file), env, envSecrets, mutates: false }),
        restore: (file) => ({ tool: 'pg_restore', args: pgRestoreDirectArgs(database, file), env, envSecrets, mutates: true, uninterruptible: true }),
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
      dump: (file) => ({ tool: 'kubectl', args: pgDumpExecArgs(podDb), stdoutFile: file, mutates: false }),
      restore: (file) => ({ tool: 'kubectl', args: pgRestoreExecArgs(podDb), inputFile: file, mutates: true, uninterruptible: true }),
      query: (sql) => ({ tool: 'kubectl', args: psqlQueryExecArgs(podDb, sql), mutates: false }),
    };
  }

  async function queryValue(spec: CommandSpec, timeoutMs: number): Promise<string> {
    const out = await runner.run({ ...spec, timeoutMs }, currentRunContext());
    return out.stdout.trim();
  }

  return {
    /** A backup taken earlier (the standalone rollback restores one by name). */
    async findBackup(input: { name: string; directory?: string }): Promise<BackupRecord> {
      const recordPath = join(input.directory ?? backupDir, `${input.name}.json`);
      const text = await readFile(recordPath, 'utf8').catch(() => {
        throw ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: `no backup named ${input.name} (looked for ${recordPath})` });
      });
      return JSON.parse(text) as BackupRecord;
    },

    /** pg_dump -Fc of the SocTalk database to `<directory>/<name>.dump`, once per name. */
    async backupDatabase(input: DatabaseTarget & { name: string; directory?: string; verifyQuery?: string; timeoutMs: number }): Promise<BackupRecord> {
      const dir = input.directory ?? backupDir;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `${input.name}.dump`);
      const recordPath = join(dir, `${input.name}.json`);
      const existing = await readFile(recordPath, 'utf8').then(
        (t) => JSON.parse(t) as BackupRecord,
        () => undefined,
      );
      if (existing) return existing;

      const db = await connect(input);
      const verifyValue = input.verifyQuery ? await queryValue(db.query(input.verifyQuery), 60_000) : undefined;
      const partial = `${path}.partial`;
      await rm(partial, { force: true });
      await runner.run({ ...db.dump(partial), timeoutMs: input.timeoutMs }, currentRunContext());
      const size = (await stat(partial)).size;
      if (size === 0) {
        throw ApplicationFailure.create({ type: FailureType.CommandFailed, nonRetryable: false, message: `pg_dump wrote an empty dump for ${input.name}` });
      }
      await rename(partial, path);
      const record: BackupRecord = {
        name: input.name,
        path,
        sizeBytes: size,
        sha256: await sha256(path),
        createdAt: new Date().toISOString(),
        ...(verifyValue !== undefined ? { verifyValue } : {}),
      };
      await writeFile(recordPath, JSON.stringify(record, null, 2), { mode: 0o600 });
      return record;
    },

    /**
     * Restore the database from a backup with the API stopped, verify it by the recorded
     * query answer, and start the API again.
     */
    async restoreDatabase(input: DatabaseTarget & { backup: BackupRecord; apiDeployment: string; verifyQuery?: string; timeoutMs: number }): Promise<string> {
      const scope: Scope = { namespace: input.namespace, kube: input.kube };
      const ctx = currentRunContext();
      if ((await sha256(input.backup.path).catch(() => '')) !== input.backup.sha256) {
        throw ApplicationFailure.create({
          type: FailureType.NotFound,
          nonRetryable: true,
          message: `backup ${input.backup.path} is missing or does not match its recorded sha256 ${input.backup.sha256}`,
        });
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
      await runner.run({ ...db.restore(input.backup.path), timeoutMs: input.timeoutMs }, ctx);
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
