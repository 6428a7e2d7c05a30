/**
 * A whole Temporal payload (metadata and data) as bytes and back: what the encryption codec
 * seals and what the claim-check codec stores. JSON with base64 fields, so it survives any
 * store and a human can still see which encoding a stored payload had.
 */
import type { Payload } from '@temporalio/common';

interface PlainPayload {
  metadata: Record<string, string>;
  data: string;
}

export function payloadToBytes(payload: Payload): Buffer {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  const plain: PlainPayload = { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
  return Buffer.from(JSON.stringify(plain), 'utf8');
}

export function payloadFromBytes(bytes: Buffer): Payload {
  const plain = JSON.parse(bytes.toString('utf8')) as PlainPayload;
  return {
    metadata: Object.fromEntries(Object.entries(plain.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(plain.data, 'base64')),
  };
}

/** The metadata value as text ('' when absent). */
export const metadataText = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString('utf8') : '');
