/**
 * scripts/dev.sh tells the truth: with the gRPC port taken by another process, the dev
 * server cannot start, and the script says so with the server's own error and a non-zero
 * exit, instead of printing the Web UI banner.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from '../helpers/paths.js';

describe('scripts/dev.sh', () => {
  let busy: Server;
  let port: number;
  let state: string;

  before(async () => {
    // Whoever connects (the script's health check) is hung up on.
    busy = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
    state = await mkdtemp(join(tmpdir(), 'dev-sh-'));
  });

  after(async () => {
    await new Promise((resolve) => busy.close(resolve));
    await rm(state, { recursive: true, force: true });
  });

  it('a busy port: exits non-zero with the server error, and prints no banner', async () => {
    const uiPort = port + 1 > 65535 ? port - 1 : port + 1;
    const result = await execa('bash', ['scripts/dev.sh'], {
      cwd: repoRoot,
      env: { TEMPORAL_PORT: String(port), UI_PORT: String(uiPort), XDG_STATE_HOME: state },
      reject: false,
      timeout: 120_000,
    });
    assert.notEqual(result.exitCode, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /Temporal Web UI/);
    assert.match(result.stderr, /dev\.sh: the Temporal dev server (exited|did not become healthy)/);
    assert.match(result.stderr, /address already in use|bind/i);
  });
});
