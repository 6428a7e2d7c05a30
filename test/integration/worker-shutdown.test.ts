import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLocalEnv } from '../helpers/temporal.js';
import { repoRoot } from '../helpers/paths.js';

// The worker as operators run it: a process that connects from its environment, logs JSON
// lines, and exits cleanly on SIGTERM (what Kubernetes sends before killing a pod).
describe('src/worker.ts as a process', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createLocalEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('starts from TEMPORAL_* env, logs JSON, and drains on SIGTERM', async () => {
    const address = env.connection.options.address;
    const worker = execa('node', ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repoRoot,
      env: { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: 'shutdown-test', WORKER_SHUTDOWN_GRACE: '2s' },
      reject: false,
      all: true,
    });
    let output = '';
    const started = new Promise<void>((resolve) => {
      worker.all?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"message":"worker started"')) resolve();
      });
    });
    await Promise.race([started, worker.then(() => assert.fail(`the worker exited early:\n${output}`))]);
    const stopAt = Date.now();
    worker.kill('SIGTERM');
    const result = await worker;
    assert.equal(result.exitCode, 0, output);
    assert.ok(Date.now() - stopAt < 15_000, 'drained promptly');
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    const messages = lines.map((l) => (JSON.parse(l) as { message: string; level: string }).message);
    assert.ok(messages.includes('worker started'));
    assert.ok(messages.includes('worker stopped'), output);
    assert.match(lines.find((l) => l.includes('worker started'))!, new RegExp(`"taskQueue":"shutdown-test"`));
  });

  it('fails with a message naming the variable when mTLS is half configured', async () => {
    const result = await execa('node', ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repoRoot,
      env: { TEMPORAL_TLS_CLIENT_CERT_PATH: '/tmp/cert.pem' },
      reject: false,
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr, /client certificate and its key must be set together .*TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });

  it('still reads the deprecated TEMPORAL_TLS_CERT_PATH, warning with the new name', async () => {
    const result = await execa('node', ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repoRoot,
      env: { TEMPORAL_TLS_CERT_PATH: '/tmp/cert.pem' },
      reject: false,
    });
    assert.equal(result.exitCode, 1);
    assert.match(result.stdout, /TEMPORAL_TLS_CERT_PATH is deprecated: rename it to TEMPORAL_TLS_CLIENT_CERT_PATH/);
    assert.match(result.stderr, /client certificate and its key must be set together/);
  });
});
