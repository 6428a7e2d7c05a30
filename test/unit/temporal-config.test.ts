import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectionOptions, DEFAULT_TASK_QUEUE, loadTemporalConfig, normalizedEnv, temporalConfigFromEnv } from '../../src/temporal-config.js';
import { testTempDir } from '../helpers/temp-dir.js';

async function pemFiles() {
  const dir = await testTempDir('temporal-config');
  const files = { cert: join(dir, 'client.pem'), key: join(dir, 'client.key'), ca: join(dir, 'ca.pem') };
  await writeFile(files.cert, 'CERT');
  await writeFile(files.key, 'KEY');
  await writeFile(files.ca, 'CA');
  return { dir, ...files };
}

/** A Temporal CLI config file (TOML, the format `temporal config set` writes). */
async function configFile(text: string): Promise<string> {
  const dir = await testTempDir('temporal-toml');
  const path = join(dir, 'temporal.toml');
  await writeFile(path, text);
  return path;
}

describe('temporalConfigFromEnv (the Temporal CLI variables, through @temporalio/envconfig)', () => {
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

  it("mTLS with the Temporal CLI's names: certificate and key read from files, with CA and server name", async () => {
    const f = await pemFiles();
    const config = temporalConfigFromEnv({
      TEMPORAL_ADDRESS: 'ns.abcd.tmprl.cloud:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: f.key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.deepEqual(config.tls, {
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
    assert.equal(config.apiKey, undefined);
  });

  it('the old names still work for one release, each with a warning naming the new one', async () => {
    const f = await pemFiles();
    const warnings: string[] = [];
    const config = temporalConfigFromEnv({ TEMPORAL_TLS_CERT_PATH: f.cert, TEMPORAL_TLS_KEY_PATH: f.key, TEMPORAL_TLS_CA_PATH: f.ca }, (w) => warnings.push(w));
    assert.deepEqual(config.tls, { serverRootCACertificate: Buffer.from('CA'), clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    assert.equal(warnings.length, 3);
    assert.match(warnings[0]!, /^TEMPORAL_TLS_CERT_PATH is deprecated: rename it to TEMPORAL_TLS_CLIENT_CERT_PATH/);
    assert.match(warnings[1]!, /TEMPORAL_TLS_KEY_PATH is deprecated: rename it to TEMPORAL_TLS_CLIENT_KEY_PATH/);
    assert.match(warnings[2]!, /TEMPORAL_TLS_CA_PATH is deprecated: rename it to TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
  });

  it('when both names are set, the new one wins and the old one is reported as ignored', () => {
    const warnings: string[] = [];
    const env = normalizedEnv({ TEMPORAL_TLS_CA_PATH: '/old', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/new' }, (w) => warnings.push(w));
    assert.deepEqual(env, { TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/new' });
    assert.deepEqual(warnings, ['TEMPORAL_TLS_CA_PATH is deprecated and ignored because TEMPORAL_TLS_SERVER_CA_CERT_PATH is set; remove TEMPORAL_TLS_CA_PATH']);
  });

  it('the mTLS pair must come together, with a clear error naming both ways to set it', async () => {
    const f = await pemFiles();
    const msg = /client certificate and its key must be set together .*TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, --tls-cert-path and --tls-key-path/;
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert }), msg);
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_KEY_PATH: f.key }), msg);
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
    assert.deepEqual(temporalConfigFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.ca }).tls, { serverRootCACertificate: Buffer.from('CA') });
  });

  it('an unreadable file: the error names the variable and the path', async () => {
    const f = await pemFiles();
    const missing = join(f.dir, 'nope.pem');
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: f.key }), (err: Error) => {
      assert.ok(err.message.startsWith(`TEMPORAL_TLS_CLIENT_CERT_PATH=${missing} cannot be read: `), err.message);
      assert.match(err.message, /ENOENT/);
      return true;
    });
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: f.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: missing }), /^Error: TEMPORAL_TLS_CLIENT_KEY_PATH=/);
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: f.dir }), /^Error: TEMPORAL_TLS_SERVER_CA_CERT_PATH=.* cannot be read: .*EISDIR/);
  });

  it('invalid values name the variable', () => {
    assert.throws(() => temporalConfigFromEnv({ TEMPORAL_TLS: 'yes' }), /^Error: TEMPORAL_TLS=yes: expected true or false/);
  });

  it('empty variables count as unset (what compose passes for an unset ${VAR:-})', () => {
    assert.deepEqual(
      temporalConfigFromEnv({ TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', TEMPORAL_TLS: '', TEMPORAL_API_KEY: '', TEMPORAL_TLS_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }),
      { address: 'localhost:7233', namespace: 'default', taskQueue: 'upgrade-runbooks' },
    );
  });

  it('connectionOptions: only what is set', () => {
    assert.deepEqual(connectionOptions(temporalConfigFromEnv({ TEMPORAL_ADDRESS: 'temporal:7233' })), { address: 'temporal:7233' });
  });
});

describe('profiles of the Temporal CLI config file', () => {
  const toml = `[profile.default]
address = "localhost:7233"

[profile.staging]
address = "staging.internal:7233"
namespace = "upgrades"
api_key = "stg-key"

[profile.staging.grpc_meta]
x-team = "platform"
`;

  it('TEMPORAL_PROFILE picks a profile of TEMPORAL_CONFIG_FILE; an API key in it implies TLS', async () => {
    const path = await configFile(toml);
    const config = temporalConfigFromEnv({ TEMPORAL_CONFIG_FILE: path, TEMPORAL_PROFILE: 'staging' });
    assert.deepEqual(config, {
      address: 'staging.internal:7233',
      namespace: 'upgrades',
      taskQueue: 'upgrade-runbooks',
      tls: {},
      apiKey: 'stg-key',
      metadata: { 'x-team': 'platform' },
      profile: 'staging',
    });
  });

  it('variables override the profile, flags override both', async () => {
    const path = await configFile(toml);
    const env = { TEMPORAL_CONFIG_FILE: path, TEMPORAL_PROFILE: 'staging', TEMPORAL_NAMESPACE: 'from-env' };
    assert.equal(loadTemporalConfig({ env }).namespace, 'from-env');
    const flagged = loadTemporalConfig({ env, overrides: { namespace: 'from-flag', address: 'flag:7233', tls: false } });
    assert.equal(flagged.namespace, 'from-flag');
    assert.equal(flagged.address, 'flag:7233');
    assert.equal(flagged.tls, undefined);
  });

  it('the default file is the Temporal CLI one under $XDG_CONFIG_HOME (or ~/.config)', async () => {
    const path = await configFile(toml);
    const xdg = join(path, '..', 'xdg');
    const { mkdir, copyFile } = await import('node:fs/promises');
    await mkdir(join(xdg, 'temporalio'), { recursive: true });
    await copyFile(path, join(xdg, 'temporalio', 'temporal.toml'));
    assert.equal(loadTemporalConfig({ env: { XDG_CONFIG_HOME: xdg }, overrides: { profile: 'staging' } }).address, 'staging.internal:7233');
  });

  it('an unknown profile names it and where it looked', async () => {
    const path = await configFile(toml);
    assert.throws(() => loadTemporalConfig({ env: { TEMPORAL_CONFIG_FILE: path }, overrides: { profile: 'prod' } }), /^Error: profile "prod" is not in .*temporal\.toml: check --profile/);
  });
});
