/**
 * Temporal's standard codec server (https://docs.temporal.io/production-deployment/data-encryption):
 * `POST /encode` and `POST /decode` take and return `{"payloads": [{"metadata": {k: base64},
 * "data": base64}]}`, so the Web UI and `temporal workflow show --codec-endpoint` show inputs
 * and results in clear to the operators who may read them, while Temporal stores ciphertext.
 *
 * Who may call it: a bearer token (Authorization: Bearer <token>) when one is configured, and
 * browsers only from the listed origins (CORS), so a page on another site cannot use an
 * operator's browser to decrypt history.
 */
import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** A history page of payloads is a few MiB at most; anything larger is not the Web UI. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Required bearer token; undefined only for a loopback-bound server (main.ts enforces it). */
  token?: string;
  /** Browser origins allowed to call (the Web UI's, e.g. http://localhost:8233). */
  corsOrigins: readonly string[];
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createCodecServer(options: CodecServerOptions): Server {
  const log = options.log ?? (() => undefined);
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`, 'utf8') : undefined;

  const authorized = (req: IncomingMessage): boolean => {
    if (!expected) return true;
    const given = Buffer.from(req.headers.authorization ?? '', 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    const allowedOrigin = origin !== undefined && options.corsOrigins.includes(origin);
    if (origin !== undefined && !allowedOrigin) throw new HttpError(403, `origin ${origin} is not allowed (RUNBOOK_CODEC_SERVER_CORS_ORIGINS)`);
    if (allowedOrigin) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      // The preflight carries no credentials; the POST that follows must.
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, authorization, x-namespace');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(204).end();
      return;
    }
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, { status: 'ok' });
    if (path !== '/encode' && path !== '/decode') throw new HttpError(404, `no route for ${path}: POST /encode or /decode`);
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    if (!authorized(req)) throw new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer <RUNBOOK_CODEC_SERVER_TOKEN>)');
    const body = parseBody(await readBody(req));
    const payloads = body.map(fromJson);
    const out = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    log('codec request', { path, namespace: req.headers['x-namespace'], payloads: payloads.length });
    send(res, 200, { payloads: out.map(toJson) });
  };

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 400;
      // The message never contains payload data: only key IDs and sizes (aes-gcm-codec.ts).
      send(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });
}

function parseBody(raw: Buffer): JsonPayload[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON: expected {"payloads": [...]}');
  }
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'expected {"payloads": [...]}');
  return payloads as JsonPayload[];
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
