/**
 * The worker's backup storage, from its environment. Credentials are given by reference
 * (the NAMES of the environment variables that hold them, which the Helm chart fills from
 * a Secret), never as literal values in configuration.
 *
 *   BACKUP_STORAGE=local (default)   BACKUP_DIR=<directory>
 *   BACKUP_STORAGE=s3                BACKUP_S3_BUCKET, BACKUP_S3_PREFIX, BACKUP_S3_REGION,
 *                                    BACKUP_S3_ENDPOINT, BACKUP_S3_FORCE_PATH_STYLE,
 *                                    BACKUP_S3_ACCESS_KEY_ID_ENV, BACKUP_S3_SECRET_ACCESS_KEY_ENV,
 *                                    BACKUP_S3_SSE (AES256 | aws:kms), BACKUP_S3_SSE_KMS_KEY_ID
 *   BACKUP_RETENTION_KEEP=<n>        backups kept per release (default 5)
 */
import type { BackupStore } from './backup-store.js';
import { localBackupStore } from './local-store.js';
import { s3BackupStore, type S3Destination } from './s3-store.js';

export interface BackupStorageConfig {
  store: BackupStore;
  keep: number;
}

export class BackupConfigError extends Error {}

const DEFAULT_KEEP = 5;

export function backupStorageFromEnv(env: NodeJS.ProcessEnv, defaultDir: string): BackupStorageConfig {
  const keep = retentionOf(env.BACKUP_RETENTION_KEEP);
  const kind = (env.BACKUP_STORAGE ?? 'local').trim() || 'local';
  if (kind === 'local') return { store: localBackupStore(env.BACKUP_DIR || defaultDir), keep };
  if (kind !== 's3') throw new BackupConfigError(`BACKUP_STORAGE must be "local" or "s3", not "${kind}"`);
  return { store: s3BackupStore(s3DestinationFromEnv(env)), keep };
}

export function s3DestinationFromEnv(env: NodeJS.ProcessEnv): S3Destination {
  const bucket = env.BACKUP_S3_BUCKET?.trim();
  if (!bucket) throw new BackupConfigError('BACKUP_STORAGE=s3 needs BACKUP_S3_BUCKET (the bucket that holds the backups)');
  const region = env.BACKUP_S3_REGION?.trim() || env.AWS_REGION || 'us-east-1';
  let prefix = (env.BACKUP_S3_PREFIX ?? '').trim().replace(/^\/+/, '');
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  const endpoint = env.BACKUP_S3_ENDPOINT?.trim();
  if (endpoint && !/^https?:\/\//.test(endpoint)) throw new BackupConfigError(`BACKUP_S3_ENDPOINT must be an http(s) URL, not "${endpoint}"`);
  const idVar = env.BACKUP_S3_ACCESS_KEY_ID_ENV?.trim();
  const secretVar = env.BACKUP_S3_SECRET_ACCESS_KEY_ENV?.trim();
  if (Boolean(idVar) !== Boolean(secretVar)) {
    throw new BackupConfigError('set both BACKUP_S3_ACCESS_KEY_ID_ENV and BACKUP_S3_SECRET_ACCESS_KEY_ENV (the names of the variables holding the keys), or neither to use the default AWS credential chain');
  }
  let credentials: S3Destination['credentials'];
  if (idVar && secretVar) {
    const accessKeyId = env[idVar];
    const secretAccessKey = env[secretVar];
    if (!accessKeyId || !secretAccessKey) {
      throw new BackupConfigError(`BACKUP_S3_ACCESS_KEY_ID_ENV / BACKUP_S3_SECRET_ACCESS_KEY_ENV name ${idVar} and ${secretVar}, but ${!accessKeyId ? idVar : secretVar} is not set in the worker's environment`);
    }
    credentials = { accessKeyId, secretAccessKey };
  }
  const sseRaw = env.BACKUP_S3_SSE?.trim();
  if (sseRaw && sseRaw !== 'AES256' && sseRaw !== 'aws:kms') throw new BackupConfigError(`BACKUP_S3_SSE must be AES256 or aws:kms, not "${sseRaw}"`);
  const kmsKeyId = env.BACKUP_S3_SSE_KMS_KEY_ID?.trim();
  if (kmsKeyId && sseRaw !== 'aws:kms') throw new BackupConfigError('BACKUP_S3_SSE_KMS_KEY_ID needs BACKUP_S3_SSE=aws:kms');
  return {
    bucket,
    prefix,
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(env.BACKUP_S3_FORCE_PATH_STYLE ? { forcePathStyle: env.BACKUP_S3_FORCE_PATH_STYLE === 'true' } : {}),
    ...(credentials ? { credentials } : {}),
    ...(sseRaw === 'AES256' || sseRaw === 'aws:kms' ? { serverSideEncryption: { algorithm: sseRaw, ...(kmsKeyId ? { kmsKeyId } : {}) } } : {}),
  };
}

function retentionOf(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_KEEP;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BackupConfigError(`BACKUP_RETENTION_KEEP must be a whole number of at least 1, not "${raw}"`);
  return n;
}
