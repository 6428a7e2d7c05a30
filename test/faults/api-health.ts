// The SocTalk API's readiness endpoint as the worker (a host process) reaches it in the fault
// tier: ready at once, unless a scenario holds the next check. A held request gets no answer
// (an API too slow to reply) until the scenario lets it go, so the test knows the run's
// health check is in flight at that moment.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldCheck {
  /** The held request has arrived (the run's health check is in flight). */
  arrived(): boolean;
  /** Answers it (if its client is still there) and every later one at once. */
  release(): void;
}

export interface ApiHealth {
  url: string;
  /** Requests answered or held so far. */
  requests(): number;
  holdNext(): HeldCheck;
  close(): Promise<void>;
}

export async function startApiHealth(): Promise<ApiHealth> {
  let count = 0;
  let hold: { held?: ServerResponse; released: boolean } | undefined;
  const ok = (res: ServerResponse) => res.writeHead(200).end('ok');
  const server = createServer((_req, res) => {
    count += 1;
    if (hold && !hold.released && !hold.held) hold.held = res;
    else ok(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/ready`,
    requests: () => count,
    holdNext() {
      const h: { held?: ServerResponse; released: boolean } = { released: false };
      hold = h;
      return {
        arrived: () => h.held !== undefined,
        release() {
          h.released = true;
          if (h.held && !h.held.destroyed) ok(h.held);
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        hold?.held?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
