/**
 * A Temporal PayloadCodec that encrypts every payload with AES-256-GCM, so workflow inputs,
 * activity inputs and results, Update arguments and failures' details are ciphertext in
 * Temporal's history. The key ID travels in the payload's metadata: a payload is decrypted
 * with the key it was encrypted with, whatever the current key is now.
 *
 * The encrypted payload's data is iv (12 bytes) | ciphertext | tag (16 bytes); the
 * plaintext is the original payload (metadata and data) as JSON. The encoding and key ID
 * are authenticated (GCM additional data), so neither can be swapped unnoticed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { CodecKeyring } from './keys.js';
import { metadataText as text, payloadFromBytes, payloadToBytes } from './payload-bytes.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new TextEncoder().encode(text);

function additionalData(keyId: string): Buffer {
  return Buffer.from(`${ENCRYPTED_ENCODING}:${keyId}`, 'utf8');
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeyring) {}

  // async: a failure is a rejected promise, as the SDK expects, never a synchronous throw.
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys.current;
    return await Promise.resolve(
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(additionalData(id));
        const sealed = Buffer.concat([iv, cipher.update(payloadToBytes(payload)), cipher.final(), cipher.getAuthTag()]);
        return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) }, data: new Uint8Array(sealed) };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return await Promise.resolve(payloads.map((payload) => this.decodeOne(payload)));
  }

  private decodeOne(payload: Payload): Payload {
    // Payloads written before the codec was turned on stay readable.
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = this.keys.byId.get(keyId);
    if (!key) {
      throw new Error(`payload encrypted with key "${keyId}", which is not in the codec's keys (${[...this.keys.byId.keys()].join(', ')}): add it back to RUNBOOK_CODEC_KEYS(_FILE) after the current key`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`payload encrypted with key "${keyId}" is truncated (${data.length} bytes)`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(additionalData(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`payload encrypted with key "${keyId}" does not authenticate: a different key under the same ID, or altered data`);
    }
    return payloadFromBytes(plain);
  }
}
