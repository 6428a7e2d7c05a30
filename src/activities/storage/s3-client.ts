/**
 * Where an S3-compatible store is and how to reach it, shared by the backup store and the
 * payload store (src/codec/payload-store.ts): one bucket, one credential reference, one
 * server-side encryption setting for everything the worker writes there.
 */
import { S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';

export interface S3Destination {
  bucket: string;
  /** Key prefix ("upgrade-runbooks/backups/"); "" for the bucket's root. */
  prefix: string;
  region: string;
  /** For S3-compatible servers; omitted for AWS S3. */
  endpoint?: string;
  /** Path-style URLs (most S3-compatible servers want them). */
  forcePathStyle?: boolean;
  /** Credentials already resolved from their references; omitted: the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /** Multipart part size (at least 5 MiB). */
  partSizeBytes?: number;
}

export function s3ClientFor(dest: S3Destination): S3Client {
  return new S3Client({
    region: dest.region,
    ...(dest.endpoint ? { endpoint: dest.endpoint } : {}),
    forcePathStyle: dest.forcePathStyle ?? Boolean(dest.endpoint),
    ...(dest.credentials ? { credentials: dest.credentials } : {}),
    // S3-compatible servers do not all accept the newer streaming checksum trailers; what
    // is stored carries its own sha256 (a dump's record, a payload's key), checked on read.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The PutObject parameters for the destination's server-side encryption (none: {}). */
export function sseParams(dest: S3Destination): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
  if (!dest.serverSideEncryption) return {};
  return {
    ServerSideEncryption: dest.serverSideEncryption.algorithm,
    ...(dest.serverSideEncryption.kmsKeyId ? { SSEKMSKeyId: dest.serverSideEncryption.kmsKeyId } : {}),
  };
}

/** S3's "no such key", as AWS and S3-compatible servers report it. */
export function isMissingObject(err: unknown): boolean {
  return (err as { name?: string }).name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}
