/**
 * Canary secrets through every input path reachable without a cluster, on a real Temporal
 * dev server, real worker processes (the production entry point, one with the payload
 * codec off and one with it on), the real CLI, and a notification sink:
 *
 *   1. CLI, codec off: a URL with a password in inline input            -> refused by the CLI
 *   2. CLI, codec off: a compatibility file with a YAML typo on a password line
 *   3. a Temporal client (no CLI), codec off: inline URL credentials    -> refused by the workflow
 *   4. CLI and worker with the codec on: inline URL credentials, and a compatibility URL
 *      with credentials (sent as a Basic header to the sink, never in text)
 *   5. an OpenCTI run given a values file (a password, a URL with credentials) and a
 *      kubeconfig on the worker with credentials in its server URL and a token: it fails at
 *      preflight (there is no cluster) and notifies the channel
 *
 * Then every canary is searched in the decoded history of every run (payload bytes decoded
 * from base64 without the codec: what Temporal stores), both workers' log output, all CLI
 * output and all notification bodies. Expected: zero hits. The one exception is stated and
 * checked: in case 3 the client itself wrote the canary into the start event; it must be
 * nowhere else.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tenantWorkflowId } from '../../src/domain/soctalk/tenant-runbooks.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { repoRoot } from '../helpers/paths.js';
import { cliRunner, said, type CliResult } from '../cli/run-cli.js';

const canary = (name: string) => `canary-${name}-${randomBytes(6).toString('hex')}`;
const C = {
  cliUrl: canary('cli-url'),
  yamlPassword: canary('yaml-pw'),
  clientUrl: canary('client-url'),
  codecUrl: canary('codec-url'),
  matrixUrl: canary('matrix-url'),
  valuesPassword: canary('values-pw'),
  valuesUrl: canary('values-url'),
  kubeUrl: canary('kube-url'),
  kubeToken: canary('kube-token'),
};
const KEYS = `k1=${randomBytes(32).toString('base64')}`;
const QUEUE_OFF = `canary-off-${process.pid}`;
const QUEUE_ON = `canary-on-${process.pid}`;

interface WorkerProc {
  child: ChildProcess;
  log: string[];
}

function startWorker(env: Record<string, string>): Promise<WorkerProc> {
  // The toolchain's binaries (HELM_BIN, KUBECTL_BIN...) and PATH; nothing else of this process.
  const tools = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && /_BIN(_DIR)?$/.test(k))) as Record<string, string>;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...tools, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const collect = (chunk: Buffer) => log.push(chunk.toString('utf8'));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 180s:\n${log.join('')}`)), 180_000);
    const check = () => {
      if (log.join('').includes('"message":"worker started"')) {
        clearTimeout(timer);
        resolve({ child, log });
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${log.join('')}`));
    });
  });
}

/** Every string in a history, payload bytes decoded as UTF-8 (and their base64 as is). */
function historyTexts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) historyTexts(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) historyTexts(v, out);
  return out;
}

const baseInput = () => {
  const input = JSON.parse(readFileSync(join(repoRoot, 'examples/soctalk-tenant-upgrade.json'), 'utf8')) as Record<string, unknown>;
  delete input.maintenanceWindow;
  return input;
};

describe('canary secrets never reach history, logs, CLI output or notifications', () => {
  let env: TestWorkflowEnvironment;
  let sink: Server;
  let sinkUrl = '';
  const notifications: string[] = [];
  const matrixAuth: string[] = [];
  const cliOutput: string[] = [];
  const workers: WorkerProc[] = [];
  const runs: Array<{ id: string; clientWroteStart?: string }> = [];
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'canary-'));
  let cli: ReturnType<typeof cliRunner>;

  const runCli = async (args: string[], options: Parameters<ReturnType<typeof cliRunner>>[1] = {}): Promise<CliResult> => {
    const result = await cli(args, options);
    cliOutput.push(result.stdout, result.stderr);
    return result;
  };

  before(async () => {
    env = await createLocalEnv();
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/notify') notifications.push(Buffer.concat(chunks).toString('utf8'));
        if (req.url?.startsWith('/matrix')) {
          matrixAuth.push(req.headers.authorization ?? '');
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    const common = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', NOTIFY_WEBHOOK_URL: `${sinkUrl}/notify`, LOG_LEVEL: 'DEBUG', HOME: dir, TMPDIR: dir };
    workers.push(...(await Promise.all([startWorker({ ...common, TEMPORAL_TASK_QUEUE: QUEUE_OFF }), startWorker({ ...common, TEMPORAL_TASK_QUEUE: QUEUE_ON, RUNBOOK_CODEC_KEYS: KEYS })])));
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: QUEUE_OFF, RUNBOOK_CATALOG: 'src/runbook-catalog.ts' });
  });

  after(async () => {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))));
    sink?.close();
    await env?.teardown();
  });

  it('1. the CLI refuses inline URL credentials while the codec is off, naming the field', async () => {
    const file = join(dir, 'input-1.json');
    writeFileSync(file, JSON.stringify({ ...baseInput(), heartbeat: { apiUrl: `http://ops:${C.cliUrl}@soctalk-api:8000` } }));
    const r = await runCli(['start', 'soctalk-tenant-upgrade', '--input', file]);
    assert.equal(r.exitCode, 2, said(r));
    assert.match(r.stderr, /heartbeat\.apiUrl/);
    assert.match(r.stderr, /RUNBOOK_CODEC_KEYS/);
  });

  it('2. a YAML typo on a password line fails the run once, with file, line and column only', async () => {
    const matrix = join(dir, 'compatibility-matrix.yaml');
    writeFileSync(matrix, `# the mirror's credentials\nmirror:\n  password: ${C.yamlPassword}\n bad: [\n`);
    const file = join(dir, 'input-2.json');
    writeFileSync(file, JSON.stringify({ ...baseInput(), tenant: 'canary2', compatibility: { file: matrix } }));
    const r = await runCli(['start', 'soctalk-tenant-upgrade', '--input', file, '--wait', '--interval', '1']);
    assert.notEqual(r.exitCode, 0, said(r));
    const id = /started soctalk-tenant-upgrade as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(id, said(r));
    runs.push({ id });
    await assert.rejects(env.client.workflow.getHandle(id).result());
    const status = await runCli(['status', id]);
    assert.match(status.stdout + status.stderr, /is not valid YAML \(line \d+, column \d+: [A-Z_]+\)/, said(status));
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.deepEqual(attempts, [1], 'a broken file is not retried');
  });

  it('3. a client that bypasses the CLI is refused by the workflow before any step', async () => {
    // The tenant's business ID, so the only refusal left to meet is the secret's.
    const id = tenantWorkflowId('canary3');
    const handle = await env.client.workflow.start('soctalkTenantUpgrade', {
      taskQueue: QUEUE_OFF,
      workflowId: id,
      args: [{ ...baseInput(), tenant: 'canary3', heartbeat: { apiUrl: `http://ops:${C.clientUrl}@soctalk-api:8000` } }],
    });
    runs.push({ id, clientWroteStart: C.clientUrl });
    await assert.rejects(handle.result(), (err: Error & { cause?: Error }) => {
      assert.match(err.cause?.message ?? '', /heartbeat\.apiUrl/);
      assert.match(err.cause?.message ?? '', /payload codec is off/);
      return true;
    });
    const scheduled = (await handle.fetchHistory()).events?.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType?.name);
    assert.deepEqual(scheduled, ['checkInlineSecrets'], 'nothing but the check ran');
  });

  it('4. with the codec on, inline secrets are accepted and stored encrypted; a URL password is sent only as a header', async () => {
    const file = join(dir, 'input-4.json');
    writeFileSync(
      file,
      JSON.stringify({ ...baseInput(), tenant: 'canary4', compatibility: { url: `http://matrix:${C.matrixUrl}@127.0.0.1:${new URL(sinkUrl).port}/matrix.yaml` }, heartbeat: { apiUrl: `http://ops:${C.codecUrl}@soctalk-api:8000` } }),
    );
    const codecEnv = { RUNBOOK_CODEC_KEYS: KEYS, TEMPORAL_TASK_QUEUE: QUEUE_ON };
    const r = await runCli(['start', 'soctalk-tenant-upgrade', '--input', file, '--wait', '--interval', '1'], { env: codecEnv });
    const id = /started soctalk-tenant-upgrade as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(id, said(r));
    runs.push({ id });
    const status = await runCli(['status', id], { env: codecEnv });
    assert.match(status.stdout + status.stderr, /compatibility matrix http:\/\/matrix:\*\*\*@127\.0\.0\.1:\d+\/matrix\.yaml answered 404/, said(status));
    assert.deepEqual(matrixAuth, [`Basic ${Buffer.from(`matrix:${C.matrixUrl}`).toString('base64')}`], 'the password went to the URL\'s own host, as a header');
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const encodings = historyTexts((history.events ?? [])[0]?.workflowExecutionStartedEventAttributes?.input);
    assert.ok(encodings.includes('binary/encrypted'), 'the start input is ciphertext in Temporal');
  });

  it('5. an OpenCTI run with secrets in its worker files fails at preflight and tells the channel, secrets hidden', async () => {
    const values = join(dir, 'opencti-values.yaml');
    writeFileSync(values, `opencti:\n  adminPassword: ${C.valuesPassword}\n  url: http://admin:${C.valuesUrl}@opencti:8080\n`);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://admin:' + C.kubeUrl + '@127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: ' + C.kubeToken + '}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const input = JSON.parse(readFileSync(join(repoRoot, 'examples/opencti-upgrade-v2.json'), 'utf8')) as Record<string, unknown>;
    const file = join(dir, 'input-5.json');
    writeFileSync(file, JSON.stringify({ ...input, values: { files: [values] }, kube: { kubeconfig } }));
    const r = await runCli(['start', 'opencti-upgrade-v2', '--input', file, '--wait', '--interval', '2']);
    const id = /started opencti-upgrade-v2 as (\S+)/.exec(r.stdout)?.[1];
    assert.ok(id, said(r));
    runs.push({ id });
    await assert.rejects(env.client.workflow.getHandle(id).result());
    await runCli(['status', id]);
    // The failure notification is sent best effort after the run ends: wait for it.
    for (let i = 0; i < 50 && !notifications.some((n) => n.includes(id)); i++) await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(notifications.some((n) => n.includes(id) && /failed/.test(n)), `a failure notification for ${id}: ${notifications.join('\n')}`);
  });

  it('finds none of the canaries in decoded history, worker logs, CLI output or notification bodies', async () => {
    const sources: Record<string, string[]> = { history: [], 'worker logs': workers.flatMap((w) => w.log), 'CLI output': cliOutput, notifications };
    for (const run of runs) {
      const events = (await env.client.workflow.getHandle(run.id).fetchHistory()).events ?? [];
      for (const [i, event] of events.entries()) {
        const texts = historyTexts(event);
        // Case 3: the client wrote it into the start event itself; it must be nowhere else.
        if (i === 0 && run.clientWroteStart) {
          assert.ok(texts.some((t) => t.includes(run.clientWroteStart!)), 'the canary is in the start event the client wrote');
          continue;
        }
        sources.history!.push(...texts);
      }
    }
    assert.ok(notifications.length >= 1, `notifications were sent (${notifications.length})`);
    const hits: string[] = [];
    const counts: string[] = [];
    for (const [source, texts] of Object.entries(sources)) {
      let found = 0;
      for (const [name, value] of Object.entries(C)) {
        for (const text of texts) {
          if (text.includes(value) || text.includes(Buffer.from(value).toString('base64'))) {
            found += 1;
            hits.push(`${name} in ${source}: ${text.slice(Math.max(0, text.indexOf(value) - 80), text.indexOf(value) + 40)}`);
          }
        }
      }
      counts.push(`${source} ${texts.length} texts, ${found} hits`);
    }
    process.stdout.write(`# canary scan: ${Object.keys(C).length} canaries, ${runs.length} runs, ${notifications.length} notifications; ${counts.join('; ')}\n`);
    assert.deepEqual(hits, []);
  });
});
