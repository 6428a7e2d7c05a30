// A real S3-compatible server for a test file: SeaweedFS (`weed server -filer -s3`, built by
// scripts/toolchain.sh), on loopback only, in its own temp directory, with one identity's
// credentials and an SSE-S3 key, so tests exercise signed requests and encryption. Every
// port is chosen free (gRPC ports are SeaweedFS's http port + 10000). Its glog files (-logdir;
// by default they go to $TMPDIR) and the filer's Unix socket are in that directory, which stop()
// removes. weed puts its gRPC Unix sockets at fixed paths (/tmp/seaweedfs-<server>-grpc-<port>.sock)
// and leaves them there when it stops, so stop() removes those of its own ports too.
//
//   const s3 = await startSeaweedfs();     // s3.endpoint, s3.bucket, s3.workerEnv
//   await s3.stop();
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './postgres.js';
import { toolchainEnv } from './toolchain-env.js';

export interface Seaweedfs {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A client with the test identity's credentials. */
  client: S3Client;
  /**
   * The worker's backup-storage environment: credentials by reference (the names of the
   * variables that hold them), as a deployment would set them from a Secret.
   */
  workerEnv(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

/** A free port whose +10000 gRPC companion is free too. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + 10_000 > 65_000) continue;
    const server = (await import('node:net')).createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(p + 10_000, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return p;
    }
  }
}

/**
 * Starts SeaweedFS; when it exits before it is ready (a chosen port taken meanwhile by another
 * test file's server: the ports are free when chosen, not reserved), it starts again on new
 * ports, three times at most. Its own error log's end is in the error when it gives up.
 */
export async function startSeaweedfs(bucket = 'upgrade-runbooks-backups'): Promise<Seaweedfs> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(bucket);
    } catch (err) {
      if (!(err instanceof ExitedEarly) || attempt === 3) throw err;
    }
  }
}

class ExitedEarly extends Error {}

const logTail = async (file: string): Promise<string> => (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n');

async function startOnce(bucket: string): Promise<Seaweedfs> {
  const { SEAWEEDFS_BIN } = await toolchainEnv('seaweedfs');
  if (!SEAWEEDFS_BIN) throw new Error('SEAWEEDFS_BIN is not set: run `bash scripts/toolchain.sh ensure seaweedfs`');
  const root = await mkdtemp(join(tmpdir(), 'seaweedfs-'));
  const data = join(root, 'data');
  await mkdir(data);
  const accessKeyId = `test-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(16).toString('hex');
  const config = join(root, 's3.json');
  await writeFile(
    config,
    JSON.stringify({ identities: [{ name: 'upgrade-runbooks-test', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }),
    { mode: 0o600 },
  );
  const [master, volume, filer, s3] = [await freePortPair(), await freePortPair(), await freePortPair(), await freePortPair()];
  const proc: ResultPromise = execa(
    SEAWEEDFS_BIN,
    [
      `-logdir=${root}`,
      'server',
      `-dir=${data}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${master}`,
      `-volume.port=${volume}`,
      '-filer',
      `-filer.port=${filer}`,
      `-filer.localSocket=${join(root, 'filer.sock')}`,
      '-s3',
      `-s3.port=${s3}`,
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-s3.config=${config}`,
      '-master.volumeSizeLimitMB=64',
      '-volume.max=8',
    ],
    // SSE-S3 needs a key-encryption key; without one SeaweedFS refuses encrypted uploads.
    { cwd: root, env: { WEED_S3_SSE_KEK: randomBytes(32).toString('hex') }, stdout: { file: join(root, 'weed.log') }, stderr: { file: join(root, 'weed.err.log') }, reject: false, cleanup: true },
  );
  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const stop = async () => {
    proc.kill('SIGTERM');
    await Promise.race([proc, sleep(10_000)]);
    proc.kill('SIGKILL');
    await proc;
    client.destroy();
    await rm(root, { recursive: true, force: true });
    for (const [name, port] of Object.entries({ master, volume, filer, s3 })) await rm(`/tmp/seaweedfs-${name}-grpc-${port + 10_000}.sock`, { force: true });
  };
  // Ready when it accepts a bucket: the volume server must have registered with the master.
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      break;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') break;
      const exited = proc.exitCode !== null;
      if (exited || Date.now() > deadline) {
        const log = await logTail(join(root, 'weed.err.log'));
        await stop();
        const message = `SeaweedFS ${exited ? `exited (${proc.exitCode})` : 'did not become ready'} on ${endpoint}: ${String(err)}${log ? `\n${log}` : ''}`;
        throw exited ? new ExitedEarly(message) : new Error(message);
      }
      await sleep(300);
    }
  }
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    client,
    workerEnv: (prefix) => ({
      BACKUP_STORAGE: 's3',
      BACKUP_S3_BUCKET: bucket,
      BACKUP_S3_PREFIX: prefix,
      BACKUP_S3_REGION: 'us-east-1',
      BACKUP_S3_ENDPOINT: endpoint,
      BACKUP_S3_SSE: 'AES256',
      BACKUP_S3_ACCESS_KEY_ID_ENV: 'TEST_S3_KEY_ID',
      BACKUP_S3_SECRET_ACCESS_KEY_ENV: 'TEST_S3_SECRET',
      TEST_S3_KEY_ID: accessKeyId,
      TEST_S3_SECRET: secretAccessKey,
    }),
    stop,
  };
}
