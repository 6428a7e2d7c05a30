/**
 * The one data converter of the worker, the CLI, chat-ops and the codec server's checks:
 * Temporal's default payload converter, with the AES-GCM codec when keys are configured.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec.js';
import { codecKeysFromEnv } from './keys.js';

export function codecDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}

/** Whether payloads are encrypted: inline secrets in run input are refused without it. */
export function codecEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return codecKeysFromEnv(env) !== undefined;
}
