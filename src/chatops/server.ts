/**
 * The chat-ops HTTP service: routing, body limits and probes. What a slash command does is
 * in slash-command.ts; this file only moves bytes.
 *
 *   POST /slack/commands  Slack slash commands (urlencoded; the raw bytes are kept for the signature)
 *   GET  /healthz         liveness: the process serves requests
 *   GET  /readyz          readiness: Temporal answers, so commands can be carried out
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Logger } from './log.js';
import { type SlashCommandDeps, createSlashCommandHandler } from './slash-command.js';

export const SLASH_COMMAND_PATH = '/slack/commands';

/** Slack's slash-command payloads are a few hundred bytes; anything large is not Slack. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ChatOpsServerDeps extends SlashCommandDeps {
  /** Resolves when Temporal is reachable; rejects with the reason otherwise. */
  checkReady: () => Promise<void>;
  /**
   * Upper bound for checkReady. gRPC retries an unreachable server until its own deadline
   * and sometimes past it; the probe must answer within the kubelet's timeoutSeconds.
   */
  readyTimeoutMs?: number;
  logger: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createChatOpsServer(deps: ChatOpsServerDeps): Server {
  const handleSlashCommand = createSlashCommandHandler(deps);
  const { logger } = deps;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      allow(req, 'GET');
      return send(res, 200, { status: 'ok' });
    }
    if (path === '/readyz') {
      allow(req, 'GET');
      try {
        await withTimeout(deps.checkReady(), deps.readyTimeoutMs ?? 2000);
        return send(res, 200, { status: 'ready' });
      } catch (err) {
        // The reason goes to the log only: the probe's body may be reachable from outside.
        logger.warn('not ready', { error: err instanceof Error ? err.message : String(err) });
        return send(res, 503, { status: 'not-ready' });
      }
    }
    if (path === SLASH_COMMAND_PATH) {
      allow(req, 'POST');
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') {
        throw new HttpError(415, 'slash commands are application/x-www-form-urlencoded');
      }
      const rawBody = await readBody(req, MAX_BODY_BYTES);
      const answer = await handleSlashCommand({ headers: req.headers, rawBody });
      if (answer.body === null) {
        res.writeHead(answer.status).end();
        return;
      }
      return send(res, answer.status, answer.body);
    }
    throw new HttpError(404, `no route for ${path}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status === 405) res.setHeader('allow', err.message);
        send(res, err.status, { error: err.status === 405 ? `use ${err.message}` : err.message });
        return;
      }
      logger.error('request failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
      send(res, 500, { error: 'internal error (see the chat-ops logs)' });
    });
  });
  // Bounds on slow or stalled clients, well above Slack's own 3-second budget.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return server;
}

async function withTimeout(check: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  try {
    await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function allow(req: IncomingMessage, method: string): void {
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) throw new HttpError(405, method);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
