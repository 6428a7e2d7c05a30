// A throwaway PostgreSQL per test file (scripts/postgres.sh does the work): its own temp
// directory, a free loopback port, a seeded `soctalk` database, trust authentication.
//
//   const pg = await startPostgres();
//   await pg.psql('SELECT count(*) FROM alerts');   // -> '30'
//   pg.url                                          // postgresql://postgres@127.0.0.1:<port>/soctalk
//   await pg.stop();
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './paths.js';
import { toolchainEnv } from './toolchain-env.js';

export interface Postgres {
  /** libpq URL of the seeded `soctalk` database (superuser `postgres`, no password). */
  url: string;
  port: number;
  /** PG_BIN_DIR, for pg_dump/pg_restore/psql of the same major version. */
  binDir: string;
  /** Runs SQL against `soctalk` (or the given database); returns psql's unaligned, tuples-only output, trimmed. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (fast shutdown: sessions are cut), keeping its data; `startServer` brings it back on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it; tiny race accepted). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPostgres(): Promise<Postgres> {
  const env = await toolchainEnv('postgres');
  const binDir = env.PG_BIN_DIR ?? '';
  const script = `${repoRoot}scripts/postgres.sh`;
  const root = await mkdtemp(join(tmpdir(), 'postgres-'));
  // Run as root, the server runs as an unprivileged user that must reach <root>/pg:
  // searchable but not listable.
  await chmod(root, 0o711);
  const dir = join(root, 'pg');
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !port; attempt++) {
    const candidate = await freePort();
    try {
      await execa('bash', [script, 'start', dir, String(candidate)], { env });
      port = candidate;
    } catch (err) {
      lastError = err; // most likely the port was taken meanwhile; try another
      await execa('bash', [script, 'stop', dir], { env, reject: false });
    }
  }
  if (!port) {
    await rm(root, { recursive: true, force: true });
    throw lastError;
  }
  const host = `postgresql://postgres@127.0.0.1:${port}`;
  return {
    url: `${host}/soctalk`,
    port,
    binDir,
    async psql(sql, database = 'soctalk') {
      const { stdout } = await execa(join(binDir, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', `${host}/${database}`, '-c', sql]);
      return stdout.trim();
    },
    async stopServer() {
      await execa('bash', [script, 'stop', dir], { env });
    },
    async startServer() {
      await execa('bash', [script, 'start', dir, String(port)], { env });
    },
    async stop() {
      await execa('bash', [script, 'stop', dir], { env, reject: false });
      await rm(root, { recursive: true, force: true });
    },
  };
}
