import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectionOptions, DEFAULT_TASK_QUEUE, temporalConfigFromEnv } from '../../src/temporal-config.js';

async function pemFiles() {
  const dir = await mkdtemp(join(tmpdir(), 'temporal-config-'));
  const files = { cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), ca: join(dir, 'ca.pem') };
  await writeFile(files.cert, 'CERT');
  await writeFile(files.key, 'KEY');
  await writeFile(files.ca, 'CA');
  return { dir, ...files };
}

describe('temporalConfigFromEnv', () => {
  it('defaults: a local dev server, namespace default, task queue upgrade-runbooks, no TLS', () => {
    assert.equal(DEFAULT_TASK_QUEUE, 'upgrade-runbooks');
    assert.deepEqual(temporalConfigFromEnv({}), { address: 'localhost:7233', namespace: 'default', taskQueue: 'upgrade-runbooks' });
  });

  it('address, namespace and task queue from the environment; unrelated variables ignored', () => {
    assert.deepEqual(temporalConfigFromEnv({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'ops', TEMPORAL_TASK_QUEUE: 'q', PATH: '/bin' }), {
      address: 'temporal:7233',
      namespace: 'ops',
      taskQueue: 'q',
    });
  });

  it('mTLS: certificate and key read from files, with CA and server name', async () => {
    const f = await pemFiles();
    const config = temporalConfigFromEnv({
      TEMPORAL_ADDRESS: 'ns.abcd.tmprl.cloud:7233',
      TEMPORAL_TLS_CERT_PATH: f.cert,
      TEMPORAL_TLS_KEY_PATH: f.key,
      TEMPORAL_TLS_CA_PATH: f.ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.deepEqual(config.tls, {
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    assert.equal(config.apiKey, undefined);
  });

  it('the mTLS pair must come together, with a clear error', async () => {
    const f = await pemFiles();
    const msg = 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS needs both the certificate and its key)';
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CERT_PATH: f.cert }), { message: msg });
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_KEY_PATH: f.key }), { message: msg });
  });

  it('an API key implies TLS (Temporal Cloud), with the system CAs', () => {
    const config = temporalConfigFromEnv({ TEMPORAL_API_KEY: 'key-123' });
    assert.deepEqual(config.tls, {});
    assert.equal(config.apiKey, 'key-123');
    assert.deepEqual(connectionOptions(config), { address: 'localhost:7233', tls: {}, apiKey: 'key-123' });
  });

  it('TEMPORAL_TLS=true alone turns TLS on; TEMPORAL_TLS=false turns it off even with an API key', () => {
    assert.deepEqual(temporalConfigFromEnv({ TEMPORAL_TLS: 'true' }).tls, {});
    const off = temporalConfigFromEnv({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' });
    assert.equal(off.tls, undefined);
    assert.equal(off.apiKey, 'k');
  });

  it('a CA alone turns TLS on', async () => {
    const f = await pemFiles();
    assert.deepEqual(temporalConfigFromEnv({ TEMPORAL_TLS_CA_PATH: f.ca }).tls, { serverRootCACertificate: Buffer.from('CA') });
  });

  it('an unreadable file: the error names the variable and the path', async () => {
    const f = await pemFiles();
    const missing = join(f.dir, 'nope.pem');
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CERT_PATH: missing, TEMPORAL_TLS_KEY_PATH: f.key }), (err: Error) => {
      assert.ok(err.message.startsWith(`TEMPORAL_TLS_CERT_PATH=${missing} cannot be read: `), err.message);
      assert.match(err.message, /ENOENT/);
      return true;
    });
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CERT_PATH: f.cert, TEMPORAL_TLS_KEY_PATH: missing }), /^Error: TEMPORAL_TLS_KEY_PATH=/);
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CA_PATH: f.dir }), /^Error: TEMPORAL_TLS_CA_PATH=.* cannot be read: .*EISDIR/);
  });

  it('invalid values name the variable', () => {
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS: 'yes' }), /^Error: invalid environment: TEMPORAL_TLS: /);
  });

  it('empty variables count as unset (what compose passes for an unset ${VAR:-})', () => {
    assert.deepEqual(
      temporalConfigFromEnv({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_TLS: '', TEMPORAL_API_KEY: '', TEMPORAL_TLS_CERT_PATH: '', TEMPORAL_TLS_KEY_PATH: '' }),
      { address: 'localhost:7233', namespace: 'default', taskQueue: 'upgrade-runbooks' },
    );
  });

  it('connectionOptions: only what is set', () => {
    assert.deepEqual(connectionOptions(temporalConfigFromEnv({ TEMPORAL_ADDRESS: 'temporal:7233' })), { address: 'temporal:7233' });
  });
});
