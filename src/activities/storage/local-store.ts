/**
 * Backups in a local directory: the embedded default for one host (docker compose mounts a
 * named volume there). A dump is written to `<name>.dump.partial` (mode 0600) and renamed
 * when complete; a failed or cancelled write removes the partial file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { BackupStore, WrittenObject } from './backup-store.js';
import { HashingStream } from './backup-store.js';

/**
 * The file for a backup name, which must stay a file directly in `directory`: a name from
 * input (restore.backupName) such as `../../x` is refused even if validation was skipped.
 */
export function pathInside(directory: string, file: string): string {
  const base = resolve(directory);
  const path = resolve(base, file);
  if (dirname(path) !== base || basename(path) !== file) {
    throw new Error(`backup name ${JSON.stringify(file)} would leave the backup directory: use the name the upgrade run recorded`);
  }
  return path;
}

export function localBackupStore(directory: string): BackupStore {
  const dumpPath = (name: string) => pathInside(directory, `${name}.dump`);
  const recordPath = (name: string) => pathInside(directory, `${name}.json`);
  return {
    kind: 'local',
    locationOf: dumpPath,

    async writeDump(name, fill): Promise<WrittenObject> {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const path = dumpPath(name);
      const partial = `${path}.partial`;
      await rm(partial, { force: true });
      const hashing = new HashingStream();
      const feed = new PassThrough();
      const written = pipeline(feed, hashing, createWriteStream(partial, { mode: 0o600 }));
      try {
        await fill(feed);
        feed.end();
        await written;
      } catch (err) {
        feed.destroy();
        await written.catch(() => undefined);
        await rm(partial, { force: true });
        throw err;
      }
      await rename(partial, path);
      return { sizeBytes: hashing.sizeBytes, sha256: hashing.sha256(), location: path };
    },

    async readDump(name): Promise<Readable> {
      const stream = createReadStream(dumpPath(name));
      // Surface ENOENT now rather than halfway through a restore.
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
      return stream;
    },

    readRecord: (name) => readFile(recordPath(name), 'utf8').catch(() => undefined),

    async writeRecord(name, json) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await writeFile(recordPath(name), json, { mode: 0o600 });
    },

    async listNames(prefix) {
      const entries = await readdir(directory).catch(() => [] as string[]);
      return entries.filter((f) => f.startsWith(prefix) && f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
    },

    async remove(name) {
      await rm(dumpPath(name), { force: true });
      await rm(recordPath(name), { force: true });
    },
  };
}
