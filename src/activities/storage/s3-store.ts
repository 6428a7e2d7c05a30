/**
 * Backups in S3-compatible object storage (AWS S3, SeaweedFS, Ceph RGW, ...), which every
 * worker reaches. Dumps are streamed (multipart upload; a large dump never needs a local
 * copy); an upload that fails or is cancelled is aborted, so no object appears under the
 * backup's name. Optional server-side encryption applies to dumps and records alike.
 */
import { Readable, PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BackupStore, WrittenObject } from './backup-store.js';
import type { S3Destination } from './s3-client.js';
import { HashingStream } from './backup-store.js';
import { isMissingObject, s3ClientFor, sseParams } from './s3-client.js';


export type { S3Destination } from './s3-client.js';

const MiB = 1024 * 1024;

export function s3BackupStore(dest: S3Destination): BackupStore {
  const client = s3ClientFor(dest);
  const key = (name: string, ext: string) => `${dest.prefix}${name}${ext}`;
  const sse = sseParams(dest);
  const location = (name: string) => `s3://${dest.bucket}/${key(name, '.dump')}`;

  return {
    kind: 's3',
    locationOf: location,

    async writeDump(name, fill): Promise<WrittenObject> {
      const feed = new PassThrough();
      const hashing = new HashingStream();
      const body = new PassThrough();
      const piped = pipeline(feed, hashing, body);
      const upload = new Upload({
        client,
        params: { Bucket: dest.bucket, Key: key(name, '.dump'), Body: body, ContentType: 'application/octet-stream', ...sse },
        partSize: Math.max(5 * MiB, dest.partSizeBytes ?? 8 * MiB),
        queueSize: 2,
        leavePartsOnError: false,
      });
      const done = upload.done();
      done.catch(() => undefined); // observed below; an abort rejects it
      try {
        await fill(feed);
        feed.end();
        await piped;
        await done;
      } catch (err) {
        feed.destroy();
        await upload.abort().catch(() => undefined);
        await piped.catch(() => undefined);
        throw err;
      }
      return { sizeBytes: hashing.sizeBytes, sha256: hashing.sha256(), location: location(name) };
    },

    async readDump(name): Promise<Readable> {
      const out = await client.send(new GetObjectCommand({ Bucket: dest.bucket, Key: key(name, '.dump') }));
      if (!(out.Body instanceof Readable)) throw new Error(`s3://${dest.bucket}/${key(name, '.dump')}: no body`);
      return out.Body;
    },

    async readRecord(name) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: dest.bucket, Key: key(name, '.json') }));
        return await out.Body?.transformToString('utf8');
      } catch (err) {
        if (isMissingObject(err)) return undefined;
        throw err;
      }
    },

    async writeRecord(name, json) {
      await client.send(new PutObjectCommand({ Bucket: dest.bucket, Key: key(name, '.json'), Body: json, ContentType: 'application/json', ...sse }));
    },

    async listNames(prefix) {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: dest.bucket, Prefix: `${dest.prefix}${prefix}`, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          if (o.Key?.endsWith('.json')) names.push(o.Key.slice(dest.prefix.length, -'.json'.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return names;
    },

    async remove(name) {
      // The record last: a dump without a record is invisible to listNames, never the reverse.
      await client.send(new DeleteObjectCommand({ Bucket: dest.bucket, Key: key(name, '.dump') }));
      await client.send(new DeleteObjectCommand({ Bucket: dest.bucket, Key: key(name, '.json') }));
    },
  };
}
