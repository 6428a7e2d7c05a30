// The Temporal CLI dev server as its own OS process, persisted to a SQLite file, so a test
// can kill it with SIGKILL mid-run and start it again on the same port and data: the runs
// must go on from their histories.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.js';
import { freePort } from '../helpers/postgres.js';
import { toolchainEnv } from '../helpers/toolchain-env.js';

export interface TemporalServer {
  address: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTemporalServer(dir: string): Promise<TemporalServer> {
  const { TEMPORAL_CLI_PATH } = await toolchainEnv('temporal');
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  let proc: ResultPromise | undefined;
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    join(dir, 'temporal.sqlite'),
    '--log-level',
    'error',
    ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  const server: TemporalServer = {
    address,
    async start() {
      proc = execa(TEMPORAL_CLI_PATH!, args, { reject: false, stdout: 'ignore', stderr: { file: join(dir, 'temporal.log'), append: true }, cleanup: true });
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const c = await Connection.connect({ address, connectTimeout: 1_000 });
          await c.workflowService.getSystemInfo({});
          await c.close();
          return;
        } catch (err) {
          if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the Temporal dev server did not start on ${address}: ${String(err)}`);
          await sleep(250);
        }
      }
    },
    async kill() {
      proc?.kill('SIGKILL');
      await proc;
    },
    async stop() {
      proc?.kill('SIGTERM');
      await Promise.race([proc, sleep(10_000)]);
      proc?.kill('SIGKILL');
      await proc;
    },
  };
  await server.start();
  return server;
}
