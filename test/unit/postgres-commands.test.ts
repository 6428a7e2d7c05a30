import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  libpqEnv,
  pgDumpDirectArgs,
  pgDumpExecArgs,
  pgRestoreDirectArgs,
  pgRestoreExecArgs,
  psqlQueryDirectArgs,
  psqlQueryExecArgs,
  type PodDatabase,
} from '../../src/activities/postgres/commands.js';

const db: PodDatabase = { namespace: 'soctalk', kube: {}, pod: 'soctalk-system-postgres-0', user: 'postgres', database: 'soctalk' };
const dbProd: PodDatabase = { ...db, kube: { kubeconfig: '/k', context: 'prod' }, container: 'postgres' };
const QUERY = 'SELECT version_num FROM alembic_version';

describe('pg_dump / pg_restore / psql over a direct connection', () => {
  it('pg_dump: custom format, never prompts, to a file (the connection comes from PG* env)', () => {
    assert.deepEqual(pgDumpDirectArgs('/backups/run-pre-upgrade.dump'), ['--format=custom', '--no-password', '--file=/backups/run-pre-upgrade.dump']);
  });

  it('pg_restore: clean, in one transaction, stopping at the first error', () => {
    assert.deepEqual(pgRestoreDirectArgs('soctalk', '/backups/x.dump'), [
      '--dbname=soctalk',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
      '--no-password',
      '/backups/x.dump',
    ]);
  });

  it('psql: one query, unaligned tuples, no psqlrc, ON_ERROR_STOP', () => {
    assert.deepEqual(psqlQueryDirectArgs('soctalk', QUERY), [
      '--dbname=soctalk',
      '--no-psqlrc',
      '--tuples-only',
      '--no-align',
      '--set',
      'ON_ERROR_STOP=1',
      '--no-password',
      `--command=${QUERY}`,
    ]);
  });
});

describe('pg_dump / pg_restore / psql inside the postgres pod (kubectl exec)', () => {
  it('pg_dump to stdout, no --stdin', () => {
    assert.deepEqual(pgDumpExecArgs(db), [
      'exec',
      'soctalk-system-postgres-0',
      '--namespace',
      'soctalk',
      '--',
      'pg_dump',
      '--format=custom',
      '--username=postgres',
      '--dbname=soctalk',
    ]);
  });

  it('a database name is never a positional: --file=/x as a name stays inside --dbname=', () => {
    const argv = pgDumpExecArgs({ ...db, database: '--file=/tmp/x' });
    assert.deepEqual(argv.slice(-2), ['--username=postgres', '--dbname=--file=/tmp/x']);
    assert.equal(argv.includes('--file=/tmp/x'), false);
  });

  it('pg_restore reads the dump from stdin; container and kube flags before --', () => {
    assert.deepEqual(pgRestoreExecArgs(dbProd), [
      'exec',
      '--stdin',
      'soctalk-system-postgres-0',
      '--container',
      'postgres',
      '--namespace',
      'soctalk',
      '--kubeconfig',
      '/k',
      '--context',
      'prod',
      '--',
      'pg_restore',
      '--username=postgres',
      '--dbname=soctalk',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      '--exit-on-error',
    ]);
  });

  it('psql query', () => {
    assert.deepEqual(psqlQueryExecArgs(db, QUERY), [
      'exec',
      'soctalk-system-postgres-0',
      '--namespace',
      'soctalk',
      '--',
      'psql',
      '--username=postgres',
      '--dbname=soctalk',
      '--no-psqlrc',
      '--tuples-only',
      '--no-align',
      '--set',
      'ON_ERROR_STOP=1',
      `--command=${QUERY}`,
    ]);
  });
});

describe('libpqEnv', () => {
  it('turns a URL into PG* variables; the password is only in PGPASSWORD, never in argv', () => {
    const url = 'postgres://soctalk_app:s3cr3t-pw@db.internal:6432/soctalk';
    const { env, database } = libpqEnv(url);
    assert.deepEqual(env, { PGHOST: 'db.internal', PGPORT: '6432', PGDATABASE: 'soctalk', PGUSER: 'soctalk_app', PGPASSWORD: 's3cr3t-pw' });
    assert.equal(database, 'soctalk');
    for (const argv of [pgDumpDirectArgs('/b/f.dump'), pgRestoreDirectArgs(database, '/b/f.dump'), psqlQueryDirectArgs(database, QUERY)]) {
      assert.ok(!argv.some((a) => a.includes('s3cr3t-pw') || a.includes('postgres://')), argv.join(' '));
    }
  });

  it("the SocTalk chart's own admin URL (postgresql+asyncpg://, a SQLAlchemy driver suffix) maps to the same libpq variables", () => {
    const { env, database } = libpqEnv('postgresql+asyncpg://soctalk_admin:pw@soctalk-system-postgres:5432/soctalk');
    assert.deepEqual(env, { PGHOST: 'soctalk-system-postgres', PGPORT: '5432', PGDATABASE: 'soctalk', PGUSER: 'soctalk_admin', PGPASSWORD: 'pw' });
    assert.equal(database, 'soctalk');
    assert.throws(() => libpqEnv('mysql+pymysql://u:p@h/db'), /not a postgres URL/);
  });

  it('postgresql:// too; default port 5432; sslmode passed as PGSSLMODE', () => {
    assert.deepEqual(libpqEnv('postgresql://u:p@db/soctalk?sslmode=verify-full').env, {
      PGHOST: 'db',
      PGPORT: '5432',
      PGDATABASE: 'soctalk',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGSSLMODE: 'verify-full',
    });
  });

  it('decodes a url-encoded user, password and database name', () => {
    const { env, database } = libpqEnv('postgres://us%40er:p%40ss%3Aw%2Frd%25@db:5432/soc%20talk');
    assert.equal(env.PGUSER, 'us@er');
    assert.equal(env.PGPASSWORD, 'p@ss:w/rd%');
    assert.equal(database, 'soc talk');
    assert.equal(env.PGDATABASE, 'soc talk');
  });

  it('without user, password or database: no PGUSER/PGPASSWORD, database postgres', () => {
    assert.deepEqual(libpqEnv('postgres://db.internal'), { env: { PGHOST: 'db.internal', PGPORT: '5432', PGDATABASE: 'postgres' }, database: 'postgres' });
  });

  it('an IPv6 host loses the URL brackets (libpq does not accept them)', () => {
    assert.equal(libpqEnv('postgres://u:p@[::1]:5433/db').env.PGHOST, '::1');
  });

  it('refuses other schemes and non-URLs, without echoing the URL', () => {
    assert.throws(() => libpqEnv('mysql://root:hunter2@db/x'), (err: Error) => {
      assert.match(err.message, /^not a postgres URL/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
    assert.throws(() => libpqEnv('postgres://u:hunter2@db host:5432/x'), (err: Error) => {
      assert.match(err.message, /^not a postgres URL/);
      assert.equal(JSON.stringify(err).includes('hunter2'), false);
      return true;
    });
  });
});
