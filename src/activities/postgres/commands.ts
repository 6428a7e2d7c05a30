/**
 * pg_dump / pg_restore / psql command lines (pure argv), for a direct connection (the
 * connection comes from PG* environment variables, never argv) or run inside the chart's
 * postgres pod through `kubectl exec`.
 *
 * Names from input are passed in the `--option=value` form (`--dbname=soctalk`), never as
 * positionals: a database name of `--file=/x` can only ever be a (refused) database name.
 */
import { kubectlExecArgs, type Scope } from '../kubectl/commands.js';

/** Without a file the dump goes to stdout (streamed into the backup store). */
export const pgDumpDirectArgs = (file?: string): string[] => ['--format=custom', '--no-password', ...(file ? [`--file=${file}`] : [])];

/** Without a file pg_restore reads the dump from stdin. */
export const pgRestoreDirectArgs = (database: string, file?: string): string[] => [
  `--dbname=${database}`,
  '--clean',
  '--if-exists',
  '--no-owner',
  '--single-transaction',
  '--exit-on-error',
  '--no-password',
  ...(file ? [file] : []),
];

export const psqlQueryDirectArgs = (database: string, query: string): string[] => [
  `--dbname=${database}`,
  '--no-psqlrc',
  '--tuples-only',
  '--no-align',
  '--set',
  'ON_ERROR_STOP=1',
  '--no-password',
  `--command=${query}`,
];

export interface PodDatabase extends Scope {
  pod: string;
  container?: string;
  user: string;
  database: string;
}

const inPod = (db: PodDatabase, command: string[], stdin = false) =>
  kubectlExecArgs({ namespace: db.namespace, kube: db.kube }, db.pod, command, { ...(db.container ? { container: db.container } : {}), stdin });

/** Custom-format dump written to kubectl's stdout (streamed to a file by the runner). */
export const pgDumpExecArgs = (db: PodDatabase): string[] => inPod(db, ['pg_dump', '--format=custom', `--username=${db.user}`, `--dbname=${db.database}`]);

/** pg_restore reading the dump from stdin. */
export const pgRestoreExecArgs = (db: PodDatabase): string[] =>
  inPod(db, ['pg_restore', `--username=${db.user}`, `--dbname=${db.database}`, '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error'], true);

export const psqlQueryExecArgs = (db: PodDatabase, query: string): string[] =>
  inPod(db, ['psql', `--username=${db.user}`, `--dbname=${db.database}`, '--no-psqlrc', '--tuples-only', '--no-align', '--set', 'ON_ERROR_STOP=1', `--command=${query}`]);

/** A postgres URL as libpq environment variables, so the password never appears in argv. */
export function libpqEnv(url: string): { env: Record<string, string>; database: string } {
  const bad = () => new Error(`not a postgres URL (postgres://user:password@host:port/database)`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // URL's own error carries the input (and so the password) in a property.
    throw bad();
  }
  // SQLAlchemy driver suffixes (the SocTalk chart's admin Secret holds postgresql+asyncpg://)
  // name a Python driver, not a different server: libpq connects the same way.
  if (!/^postgres(ql)?(\+[a-z0-9]+)?:$/.test(u.protocol)) throw bad();
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  // libpq wants an IPv6 host without the URL's brackets.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const env: Record<string, string> = { PGHOST: host, PGPORT: u.port || '5432', PGDATABASE: database };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return { env, database };
}
