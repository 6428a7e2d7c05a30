/**
 * How the worker, the CLI and the chat-ops service reach Temporal, from the environment:
 * a local dev server by default, or Temporal Cloud / a self-hosted cluster with mTLS or an
 * API key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const DEFAULT_TASK_QUEUE = 'upgrade-runbooks';

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_API_KEY: z.string().optional(),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  // An empty variable counts as unset (compose's `TEMPORAL_TLS: ${TEMPORAL_TLS:-}` and the like).
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid environment: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
    throw new Error('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS needs both the certificate and its key)');
  }
  const read = (name: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name}=${path} cannot be read: ${(err as Error).message}`);
    }
  };
  // An API key (Temporal Cloud) implies TLS; so does a client certificate.
  const wantsTls = e.TEMPORAL_TLS === 'true' || Boolean(e.TEMPORAL_API_KEY) || Boolean(e.TEMPORAL_TLS_CERT_PATH) || Boolean(e.TEMPORAL_TLS_CA_PATH);
  const config: TemporalConfig = { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE };
  if (wantsTls && e.TEMPORAL_TLS !== 'false') {
    config.tls = {
      ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(e.TEMPORAL_TLS_CA_PATH ? { serverRootCACertificate: read('TEMPORAL_TLS_CA_PATH', e.TEMPORAL_TLS_CA_PATH) } : {}),
      ...(e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH
        ? {
            clientCertPair: {
              crt: read('TEMPORAL_TLS_CERT_PATH', e.TEMPORAL_TLS_CERT_PATH),
              key: read('TEMPORAL_TLS_KEY_PATH', e.TEMPORAL_TLS_KEY_PATH),
            },
          }
        : {}),
    };
  }
  if (e.TEMPORAL_API_KEY) config.apiKey = e.TEMPORAL_API_KEY;
  return config;
}

/** Options shared by NativeConnection.connect (worker) and Connection.connect (clients). */
export function connectionOptions(config: TemporalConfig) {
  return {
    address: config.address,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}
