/**
 * The one data converter of the worker, the CLI, chat-ops and the codec server: Temporal's
 * default payload converter, then the AES-GCM codec when keys are configured, then the
 * claim-check codec when a payload store is (encryption first, so the store holds
 * ciphertext). Without either, no converter: payloads go as the SDK writes them.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { ClaimCheckPayloadCodec } from './claim-check-codec.js';
import { codecKeysFromEnv } from './keys.js';
import { payloadOffloadFromEnv } from './payload-store.js';

/** The codecs the environment configures, in the SDK's order (encode first to last). */
export function payloadCodecsFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec[] {
  const codecs: PayloadCodec[] = [];
  const keys = codecKeysFromEnv(env);
  if (keys) codecs.push(new AesGcmPayloadCodec(keys));
  const offload = payloadOffloadFromEnv(env);
  if (offload) codecs.push(new ClaimCheckPayloadCodec(offload));
  return codecs;
}

export function codecDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codecs = payloadCodecsFromEnv(env);
  return codecs.length ? { payloadCodecs: codecs } : undefined;
}

/** Whether payloads are encrypted: inline secrets in run input are refused without it. */
export function codecEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return codecKeysFromEnv(env) !== undefined;
}

/** Several codecs as one, applied as the SDK applies a list: encode first to last, decode last to first. */
export function chainCodecs(codecs: PayloadCodec[]): PayloadCodec {
  return {
    async encode(payloads: Payload[]) {
      for (const codec of codecs) payloads = await codec.encode(payloads);
      return payloads;
    },
    async decode(payloads: Payload[]) {
      for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
      return payloads;
    },
  };
}
