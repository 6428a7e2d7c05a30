/**
 * `npm run codec-server` (or `node dist/codec/main.js`): the codec server for the Web UI and
 * the Temporal CLI, configured by the environment:
 *
 *   RUNBOOK_CODEC_KEYS / RUNBOOK_CODEC_KEYS_FILE   the same keys as the worker
 *   RUNBOOK_PAYLOAD_STORE and its settings          the same payload store as the worker
 *                                                   (payload-store.ts); one of the two is required
 *   RUNBOOK_CODEC_SERVER_TOKEN(_FILE)             bearer token; required unless bound to loopback
 *   RUNBOOK_CODEC_SERVER_CORS_ORIGINS             the Web UI's origin(s), comma-separated
 *   RUNBOOK_CODEC_SERVER_HOST / _PORT             default 127.0.0.1:8888
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chainCodecs, payloadCodecsFromEnv } from './data-converter.js';
import { CODEC_KEYS_ENV, CODEC_KEYS_FILE_ENV } from './keys.js';
import { PAYLOAD_STORE_ENV } from './payload-store.js';
import { createCodecServer } from './server.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface CodecServerConfig {
  host: string;
  port: number;
  token?: string;
  corsOrigins: string[];
}

export function codecServerConfigFromEnv(env: NodeJS.ProcessEnv): CodecServerConfig {
  const host = env.RUNBOOK_CODEC_SERVER_HOST?.trim() || '127.0.0.1';
  const portText = env.RUNBOOK_CODEC_SERVER_PORT?.trim() || '8888';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`RUNBOOK_CODEC_SERVER_PORT=${portText}: expected a port number (0-65535)`);
  const tokenFile = env.RUNBOOK_CODEC_SERVER_TOKEN_FILE?.trim();
  const token = (tokenFile ? readFileSync(tokenFile, 'utf8') : (env.RUNBOOK_CODEC_SERVER_TOKEN ?? '')).trim() || undefined;
  if (!token && !LOOPBACK.has(host)) {
    throw new Error(`RUNBOOK_CODEC_SERVER_HOST=${host} is reachable from other machines: set RUNBOOK_CODEC_SERVER_TOKEN (or _FILE) so only holders of the token can decrypt`);
  }
  if (token && token.length < 16) throw new Error('RUNBOOK_CODEC_SERVER_TOKEN is shorter than 16 characters: use a random one (openssl rand -hex 32)');
  const corsOrigins = (env.RUNBOOK_CODEC_SERVER_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`RUNBOOK_CODEC_SERVER_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`);
  }
  return { host, port, ...(token ? { token } : {}), corsOrigins };
}

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service: 'codec-server', msg, ...fields })}\n`);
}

function main(): void {
  let config: CodecServerConfig;
  let codecs;
  try {
    config = codecServerConfigFromEnv(process.env);
    codecs = payloadCodecsFromEnv(process.env);
    if (codecs.length === 0) throw new Error(`no codec: set ${CODEC_KEYS_ENV} or ${CODEC_KEYS_FILE_ENV} (the worker's keys), or ${PAYLOAD_STORE_ENV} (the worker's payload store)`);
  } catch (err) {
    log('error', 'invalid configuration', { error: (err as Error).message });
    process.exit(2);
  }
  const server = createCodecServer({ codec: chainCodecs(codecs), corsOrigins: config.corsOrigins, ...(config.token ? { token: config.token } : {}), log: (msg, fields) => log('info', msg, fields) });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    log('info', 'listening', { host: config.host, port: typeof address === 'object' && address ? address.port : config.port, corsOrigins: config.corsOrigins, auth: config.token ? 'bearer' : 'none (loopback only)', codecs: codecs.map((c) => c.constructor.name) });
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
