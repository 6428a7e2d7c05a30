/**
 * The payload codec: AES-256-GCM round trips, key rotation by key ID, refusal of tampered
 * data and unknown keys, key-list errors that name the entry (never the key), and the
 * codec server's /encode and /decode with its bearer token and CORS origin list.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/aes-gcm-codec.js';
import { codecKeysFromEnv, parseCodecKeys } from '../../src/codec/keys.js';
import { codecServerConfigFromEnv } from '../../src/codec/main.js';
import { createCodecServer } from '../../src/codec/server.js';
import { loadTemporalConfig } from '../../src/temporal-config.js';

const key = () => randomBytes(32).toString('base64');
const OLD = key();
const NEW = key();
const CANARY = 'canary-db-password-5f1c';

function payload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('AES-GCM payload codec', () => {
  it('encrypts (no plaintext left, key ID in metadata) and decrypts back to the same payload', async () => {
    const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1=${OLD}`, 'test'));
    const original = payload({ values: { set: { 'db.password': CANARY } } });
    const [sealed] = await codec.encode([original]);
    assert.ok(sealed);
    assert.equal(text(sealed.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed.metadata?.[KEY_ID_METADATA]), 'k1');
    assert.ok(!Buffer.from(sealed.data!).includes(CANARY), 'the ciphertext does not contain the secret');
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { values: { set: { 'db.password': CANARY } } });
  });

  it('rotates: the new first key encrypts, payloads under the old key still decrypt', async () => {
    const before = new AesGcmPayloadCodec(parseCodecKeys(`k1=${OLD}`, 'test'));
    const [old] = await before.encode([payload('old')]);
    const rotated = new AesGcmPayloadCodec(parseCodecKeys(`k2=${NEW}\nk1=${OLD}`, 'test'));
    const [fresh] = await rotated.encode([payload('new')]);
    assert.equal(text(fresh!.metadata?.[KEY_ID_METADATA]), 'k2');
    const decoded = await rotated.decode([old!, fresh!]);
    assert.deepEqual(decoded.map((p) => defaultPayloadConverter.fromPayload(p)), ['old', 'new']);
    // Once k1 is dropped, its payloads fail with the key ID named.
    await assert.rejects(new AesGcmPayloadCodec(parseCodecKeys(`k2=${NEW}`, 'test')).decode([old!]), /key "k1", which is not in the codec's keys \(k2\)/);
  });

  it('refuses altered data, a swapped key ID and a different key under the same ID', async () => {
    const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1=${OLD},k2=${NEW}`, 'test'));
    const [sealed] = await codec.encode([payload('x')]);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...sealed!, data: flipped }]), /does not authenticate/);
    await assert.rejects(codec.decode([{ ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('k2') } }]), /does not authenticate/);
    await assert.rejects(new AesGcmPayloadCodec(parseCodecKeys(`k1=${NEW}`, 'test')).decode([sealed!]), /does not authenticate/);
  });

  it('passes payloads written before the codec was on through unchanged', async () => {
    const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1=${OLD}`, 'test'));
    const plain = payload({ a: 1 });
    assert.deepEqual(await codec.decode([plain]), [plain]);
  });
});

describe('codec keys', () => {
  it('reports a bad entry by position and ID, never by the key material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    assert.throws(() => parseCodecKeys(`k1=${short}`, 'RUNBOOK_CODEC_KEYS'), (err: Error) => /RUNBOOK_CODEC_KEYS, entry 1: key "k1" is not 32 bytes/.test(err.message) && !err.message.includes(short));
    assert.throws(() => parseCodecKeys(`k1=${OLD},k1=${NEW}`, 'X'), /key ID "k1" is listed twice/);
    assert.throws(() => parseCodecKeys('justakey', 'X'), /expected id=base64key/);
    assert.throws(() => parseCodecKeys('# nothing\n', 'X'), /lists no key/);
    assert.throws(() => codecKeysFromEnv({ RUNBOOK_CODEC_KEYS: `k=${OLD}`, RUNBOOK_CODEC_KEYS_FILE: '/x' }), /not both/);
    assert.throws(() => codecKeysFromEnv({ RUNBOOK_CODEC_KEYS_FILE: '/nonexistent/keys' }), /RUNBOOK_CODEC_KEYS_FILE=\/nonexistent\/keys cannot be read: ENOENT/);
  });

  it('is off without keys, and the one Temporal configuration carries the converter when on', () => {
    assert.equal(codecKeysFromEnv({}), undefined);
    assert.equal(loadTemporalConfig({ env: {} }).dataConverter, undefined);
    const converter = loadTemporalConfig({ env: { RUNBOOK_CODEC_KEYS: `k1=${OLD}` } }).dataConverter;
    assert.ok(converter?.payloadCodecs?.[0] instanceof AesGcmPayloadCodec);
  });
});

describe('codec server', () => {
  const TOKEN = 'test-token-0123456789abcdef';
  const ORIGIN = 'http://localhost:8233';
  const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1=${OLD}`, 'test'));
  const server = createCodecServer({ codec, token: TOKEN, corsOrigins: [ORIGIN] });
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body: JSON.stringify(body) });
  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });

  it('decodes what the worker encoded, and encodes what it is given (the Web UI protocol)', async () => {
    const [sealed] = await codec.encode([payload({ password: CANARY })]);
    const res = await post('/decode', { payloads: [asJson(sealed!)] }, { origin: ORIGIN, 'x-namespace': 'default' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()), { password: CANARY });

    const encoded = (await (await post('/encode', { payloads: body.payloads })).json()) as { payloads: Array<{ metadata: Record<string, string> }> };
    assert.equal(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
  });

  it('answers the CORS preflight for the Web UI origin only, and refuses others and missing tokens', async () => {
    const preflight = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal((await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status, 403);
    assert.equal((await post('/decode', { payloads: [] }, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await post('/decode', { payloads: [] }, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post('/decode', { nope: 1 })).status, 400);
  });

  it('will not listen beyond loopback without a token', () => {
    assert.throws(() => codecServerConfigFromEnv({ RUNBOOK_CODEC_SERVER_HOST: '0.0.0.0' }), /set RUNBOOK_CODEC_SERVER_TOKEN/);
    assert.deepEqual(codecServerConfigFromEnv({ RUNBOOK_CODEC_SERVER_CORS_ORIGINS: 'http://localhost:8233/' }), { host: '127.0.0.1', port: 8888, corsOrigins: ['http://localhost:8233'] });
    assert.throws(() => codecServerConfigFromEnv({ RUNBOOK_CODEC_SERVER_CORS_ORIGINS: 'localhost:8233' }), /is not an origin/);
  });
});
