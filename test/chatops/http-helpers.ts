/** Loopback HTTP plumbing for the chat-ops tests: random ports on 127.0.0.1 only. */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local stand-in for a Slack webhook or response_url: records what arrives and answers
 * with `status` (or never answers when `status` is 'hang').
 */
export class Receiver {
  readonly received: ReceivedRequest[] = [];
  status: number | 'hang' = 200;
  answer = 'ok';
  url = '';
  private waiters: Array<() => void> = [];
  readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const wake of this.waiters.splice(0)) wake();
      if (this.status === 'hang') return;
      res.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.answer);
    });
  });

  async start(path = '/'): Promise<this> {
    this.url = `${await listen(this.server)}${path}`;
    return this;
  }

  /** Resolves once `count` requests have arrived. */
  async waitFor(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} request(s), got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  stop(): Promise<void> {
    return close(this.server);
  }
}
