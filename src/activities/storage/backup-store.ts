/**
 * Where database backups live. A backup is a dump object plus a small JSON record that
 * describes it; the dump becomes visible under its name only once it is complete, and a
 * failed or cancelled write leaves nothing behind (no partial file, no half upload).
 * Two kinds: a local directory (one host) and S3-compatible object storage (every worker
 * reaches it, so a restore never depends on the disk of the worker that took the backup).
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';

export interface WrittenObject {
  sizeBytes: number;
  sha256: string;
  /** A path or s3://bucket/key, for humans and for the record. */
  location: string;
}

export interface BackupStore {
  readonly kind: 'local' | 's3';
  /** Where the dump called `name` is (or would be). */
  locationOf(name: string): string;
  /**
   * Streams a dump into the store. `fill` writes into the sink and resolves when the
   * producer succeeded; only then is the object committed. If `fill` throws (failure,
   * cancellation), everything written so far is discarded.
   */
  writeDump(name: string, fill: (sink: Writable) => Promise<void>): Promise<WrittenObject>;
  /** The dump as a stream (throws NotFound-style errors when it does not exist). */
  readDump(name: string): Promise<Readable>;
  readRecord(name: string): Promise<string | undefined>;
  writeRecord(name: string, json: string): Promise<void>;
  /** Names of the backups whose record exists and whose name starts with `prefix`. */
  listNames(prefix: string): Promise<string[]>;
  /** Removes a backup's dump and record (missing ones are fine). */
  remove(name: string): Promise<void>;
}

/** A pass-through that counts bytes and computes their sha256 on the way. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;
  private digest?: string;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
    done(null, chunk);
  }

  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}

/** sha256 and size of a whole stream. */
export async function digestStream(stream: Readable): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}
