/**
 * Where the claim-check codec puts payloads too large for Temporal's history: objects in
 * the S3-compatible store the backups already use (same bucket, credentials and
 * server-side encryption), under their own prefix, each named by the sha256 of what it
 * holds. Configured by the environment of every process that reads or writes payloads
 * (worker, CLI, chat-ops, codec server):
 *
 *   RUNBOOK_PAYLOAD_STORE=s3             offload payloads (unset or "off": never offload)
 *   RUNBOOK_PAYLOAD_S3_PREFIX=<prefix>   default: BACKUP_S3_PREFIX + "payloads/"
 *   RUNBOOK_PAYLOAD_OFFLOAD_BYTES=<n>    payloads larger than this are offloaded (default 131072)
 *   BACKUP_S3_BUCKET, BACKUP_S3_ENDPOINT, ... as for BACKUP_STORAGE=s3 (storage/config.ts)
 *
 * A history names its offloaded payloads for as long as Temporal keeps it, so objects must
 * outlive the namespace's retention: an expiry rule on the prefix longer than the retention
 * is the way to clean up (nothing here deletes).
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BackupConfigError, s3DestinationFromEnv } from '../activities/storage/config.js';
import { isMissingObject, s3ClientFor, sseParams, type S3Destination } from '../activities/storage/s3-client.js';

export interface PayloadStore {
  /** For messages: where the objects are (s3://bucket/prefix). */
  readonly location: string;
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The object's bytes, or undefined when there is none under that name. */
  get(sha256: string): Promise<Uint8Array | undefined>;
}

export interface PayloadOffload {
  store: PayloadStore;
  /** Payloads whose data and metadata exceed this many bytes go to the store. */
  thresholdBytes: number;
}

export const PAYLOAD_STORE_ENV = 'RUNBOOK_PAYLOAD_STORE';
export const PAYLOAD_OFFLOAD_BYTES_ENV = 'RUNBOOK_PAYLOAD_OFFLOAD_BYTES';
/** A quarter of Temporal's 512 KB payload warning: a history's other payloads have room beside it. */
export const DEFAULT_OFFLOAD_BYTES = 128 * 1024;
const MIN_OFFLOAD_BYTES = 1024;
const MAX_OFFLOAD_BYTES = 512 * 1024;

export function s3PayloadStore(dest: S3Destination): PayloadStore {
  const client = s3ClientFor(dest);
  const sse = sseParams(dest);
  const key = (sha256: string) => `${dest.prefix}${sha256}`;
  return {
    location: `s3://${dest.bucket}/${dest.prefix}`,
    async put(sha256, bytes) {
      await client.send(new PutObjectCommand({ Bucket: dest.bucket, Key: key(sha256), Body: bytes, ContentType: 'application/json', ...sse }));
    },
    async get(sha256) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: dest.bucket, Key: key(sha256) }));
        return await out.Body?.transformToByteArray();
      } catch (err) {
        if (isMissingObject(err)) return undefined;
        throw err;
      }
    },
  };
}

export function payloadOffloadFromEnv(env: NodeJS.ProcessEnv): PayloadOffload | undefined {
  const kind = env[PAYLOAD_STORE_ENV]?.trim() ?? '';
  if (kind === '' || kind === 'off') return undefined;
  if (kind !== 's3') throw new BackupConfigError(`${PAYLOAD_STORE_ENV} must be "s3" or "off", not "${kind}"`);
  let dest: S3Destination;
  try {
    dest = s3DestinationFromEnv(env);
  } catch (err) {
    throw new BackupConfigError(`${PAYLOAD_STORE_ENV}=s3 uses the backup store's S3 settings: ${(err as Error).message.replace(/^BACKUP_STORAGE=s3 needs /, 'it needs ')}`);
  }
  const own = env.RUNBOOK_PAYLOAD_S3_PREFIX?.trim().replace(/^\/+/, '');
  const prefix = own ? (own.endsWith('/') ? own : `${own}/`) : `${dest.prefix}payloads/`;
  return { store: s3PayloadStore({ ...dest, prefix }), thresholdBytes: thresholdOf(env[PAYLOAD_OFFLOAD_BYTES_ENV]) };
}

function thresholdOf(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_OFFLOAD_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_OFFLOAD_BYTES || n > MAX_OFFLOAD_BYTES) {
    throw new BackupConfigError(`${PAYLOAD_OFFLOAD_BYTES_ENV} must be a whole number of bytes from ${MIN_OFFLOAD_BYTES} to ${MAX_OFFLOAD_BYTES} (Temporal warns above 512 KB), not "${raw}"`);
  }
  return n;
}
