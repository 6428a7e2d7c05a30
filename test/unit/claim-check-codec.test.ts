/**
 * The claim-check codec: what stays in history and what goes to the payload store, the
 * round trip, refusal of a missing or altered object, its place after encryption (the
 * store holds ciphertext), and the configuration's errors, each naming the setting.
 * The store here is a map in memory; test/integration/payload-offload.test.ts runs the
 * same codec against SeaweedFS and a real Temporal server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../src/codec/aes-gcm-codec.js';
import { CLAIM_CHECK_ENCODING, ClaimCheckPayloadCodec } from '../../src/codec/claim-check-codec.js';
import { chainCodecs } from '../../src/codec/data-converter.js';
import { parseCodecKeys } from '../../src/codec/keys.js';
import { DEFAULT_OFFLOAD_BYTES, payloadOffloadFromEnv, type PayloadStore } from '../../src/codec/payload-store.js';
import { loadTemporalConfig } from '../../src/temporal-config.js';

class MemoryStore implements PayloadStore {
  readonly location = 'memory://payloads/';
  readonly objects = new Map<string, Uint8Array>();
  puts = 0;
  put(sha256: string, bytes: Uint8Array): Promise<void> {
    this.puts += 1;
    this.objects.set(sha256, bytes);
    return Promise.resolve();
  }
  get(sha256: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.objects.get(sha256));
  }
}

const THRESHOLD = 2048;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
/** A carry-like value of about 40 bytes a tenant. */
const big = (tenants: number) => ({ names: Array.from({ length: tenants }, (_, i) => `tenant-${String(i).padStart(5, '0')}`).join(','), states: 's'.repeat(tenants) });
const S3_ENV = { RUNBOOK_PAYLOAD_STORE: 's3', BACKUP_S3_BUCKET: 'runbooks', BACKUP_S3_ENDPOINT: 'http://127.0.0.1:9', BACKUP_S3_PREFIX: 'prod/backups' };

describe('claim-check payload codec', () => {
  it('leaves a payload at or below the threshold in history, untouched and unstored', async () => {
    const store = new MemoryStore();
    const codec = new ClaimCheckPayloadCodec({ store, thresholdBytes: THRESHOLD });
    const small = payload({ tenant: 'acme' });
    assert.deepEqual(await codec.encode([small]), [small]);
    assert.equal(store.puts, 0);
  });

  it('stores a larger one under its sha256, leaves a claim of under 200 bytes, and decodes it back exactly', async () => {
    const store = new MemoryStore();
    const codec = new ClaimCheckPayloadCodec({ store, thresholdBytes: THRESHOLD });
    const original = payload(big(20_000));
    const [claim] = await codec.encode([original]);
    assert.equal(text(claim!.metadata?.encoding), CLAIM_CHECK_ENCODING);
    assert.ok(claim!.data!.length < 200, `claim is ${claim!.data!.length} bytes`);
    const { sha256, bytes } = JSON.parse(text(claim!.data)) as { sha256: string; bytes: number };
    assert.equal(store.objects.get(sha256)?.length, bytes);
    assert.ok(bytes > 20_000 * 12);
    const [back] = await codec.decode([claim!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(back!), big(20_000));
  });

  it('puts an unchanged payload once, however often it is encoded', async () => {
    const store = new MemoryStore();
    const codec = new ClaimCheckPayloadCodec({ store, thresholdBytes: THRESHOLD });
    const p = payload(big(500));
    const [a] = await codec.encode([p]);
    const [b] = await codec.encode([p]);
    assert.deepEqual(a, b);
    assert.equal(store.puts, 1);
  });

  it('refuses a claim whose object is gone, naming the store and what keeps objects, and one whose object was altered', async () => {
    const store = new MemoryStore();
    const codec = new ClaimCheckPayloadCodec({ store, thresholdBytes: THRESHOLD });
    const [claim] = await codec.encode([payload(big(500))]);
    const { sha256 } = JSON.parse(text(claim!.data)) as { sha256: string };
    const stored = store.objects.get(sha256)!;
    const altered = Buffer.from(stored);
    altered[altered.length - 10]! ^= 1;
    store.objects.set(sha256, altered);
    await assert.rejects(codec.decode([claim!]), new RegExp(`payload ${sha256} \\(\\d+ bytes\\) in memory://payloads/ does not match its sha256`));
    store.objects.delete(sha256);
    await assert.rejects(codec.decode([claim!]), /is not in the payload store memory:\/\/payloads\/: .*longer than the namespace's retention/);
    await assert.rejects(codec.decode([{ metadata: { encoding: Buffer.from(CLAIM_CHECK_ENCODING) }, data: Buffer.from('{"sha256":"../x","bytes":1}') }]), /does not hold a claim/);
  });

  it('runs after encryption when chained as the SDK chains them: the store holds ciphertext only', async () => {
    const store = new MemoryStore();
    const secret = 'canary-db-password-77aa';
    const codec = chainCodecs([new AesGcmPayloadCodec(parseCodecKeys(`k1=${randomBytes(32).toString('base64')}`, 'test')), new ClaimCheckPayloadCodec({ store, thresholdBytes: THRESHOLD })]);
    const value = { ...big(1000), password: secret };
    const [claim] = await codec.encode([payload(value)]);
    assert.equal(text(claim!.metadata?.encoding), CLAIM_CHECK_ENCODING);
    const [object] = [...store.objects.values()];
    assert.ok(object);
    assert.ok(!text(object).includes(secret) && !text(object).includes('tenant-00001'), 'no plaintext in the store');
    assert.match(text(object), /YmluYXJ5L2VuY3J5cHRlZA/, 'the stored payload is the encrypted one (binary/encrypted)');
    const [back] = await codec.decode([claim!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(back!), value);
  });
});

describe('payload store configuration', () => {
  it('is off unless RUNBOOK_PAYLOAD_STORE=s3, and then uses the backup bucket under its own prefix', () => {
    assert.equal(payloadOffloadFromEnv({}), undefined);
    assert.equal(payloadOffloadFromEnv({ RUNBOOK_PAYLOAD_STORE: 'off' }), undefined);
    const on = payloadOffloadFromEnv(S3_ENV);
    assert.equal(on?.store.location, 's3://runbooks/prod/backups/payloads/');
    assert.equal(on?.thresholdBytes, DEFAULT_OFFLOAD_BYTES);
    assert.equal(payloadOffloadFromEnv({ ...S3_ENV, RUNBOOK_PAYLOAD_S3_PREFIX: '/temporal/claims', RUNBOOK_PAYLOAD_OFFLOAD_BYTES: '4096' })?.store.location, 's3://runbooks/temporal/claims/');
  });

  it('names the setting and the fix when it is wrong', () => {
    assert.throws(() => payloadOffloadFromEnv({ RUNBOOK_PAYLOAD_STORE: 'local' }), /RUNBOOK_PAYLOAD_STORE must be "s3" or "off", not "local"/);
    assert.throws(() => payloadOffloadFromEnv({ RUNBOOK_PAYLOAD_STORE: 's3' }), /RUNBOOK_PAYLOAD_STORE=s3 uses the backup store's S3 settings: it needs BACKUP_S3_BUCKET/);
    assert.throws(() => payloadOffloadFromEnv({ ...S3_ENV, RUNBOOK_PAYLOAD_OFFLOAD_BYTES: '600000' }), /RUNBOOK_PAYLOAD_OFFLOAD_BYTES must be a whole number of bytes from 1024 to 524288/);
    assert.throws(() => payloadOffloadFromEnv({ ...S3_ENV, RUNBOOK_PAYLOAD_OFFLOAD_BYTES: '4KiB' }), /not "4KiB"/);
  });

  it('gives every client the codec, and never counts offloading as encryption (inline secrets stay refused)', () => {
    const offloadOnly = loadTemporalConfig({ env: S3_ENV });
    assert.ok(offloadOnly.dataConverter?.payloadCodecs?.[0] instanceof ClaimCheckPayloadCodec);
    assert.equal(offloadOnly.payloadsEncrypted, undefined);
    const both = loadTemporalConfig({ env: { ...S3_ENV, RUNBOOK_CODEC_KEYS: `k1=${randomBytes(32).toString('base64')}` } });
    assert.deepEqual(both.dataConverter?.payloadCodecs?.map((c) => c.constructor.name), ['AesGcmPayloadCodec', 'ClaimCheckPayloadCodec']);
    assert.equal(both.payloadsEncrypted, true);
  });
});
