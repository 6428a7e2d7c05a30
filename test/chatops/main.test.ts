/** The chat-ops entry point as a process: configuration errors, probes, shutdown. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { spawnChatOps, startChatOps } from './chatops-process.js';

const SECRET = 'main-test-signing-secret-0c41';

/** A loopback port nothing listens on: Temporal is "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('chat-ops main', () => {
  it('refuses to start without SLACK_SIGNING_SECRET and says which variable to set', async () => {
    const { output, exited } = spawnChatOps({ CHATOPS_USERS: 'U1=alice' });
    assert.equal(await exited, 2);
    const line = output.find((l) => l.includes('invalid configuration'));
    assert.ok(line, output.join('\n'));
    assert.match((JSON.parse(line) as { error: string }).error, /SLACK_SIGNING_SECRET is not set/);
  });

  it('is live but not ready while Temporal is unreachable, stops on SIGTERM, never logs the secret', async () => {
    const service = await startChatOps({
      SLACK_SIGNING_SECRET: SECRET,
      CHATOPS_USERS: 'U1=alice',
      TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`,
    });
    try {
      assert.equal((await fetch(`${service.baseUrl}/healthz`)).status, 200);
      assert.equal((await fetch(`${service.baseUrl}/readyz`)).status, 503);
    } finally {
      assert.equal(await service.stop(), 0);
    }
    assert.ok(service.output.some((l) => l.includes('"msg":"not ready"')));
    for (const line of service.output) assert.ok(!line.includes(SECRET), `secret in output: ${line}`);
  });
});
