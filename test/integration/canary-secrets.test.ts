/**
 * Canary secrets through every input path, on a real Temporal dev server, real worker
 * processes (the production entry point, one with the payload codec off and one with it
 * on), the real CLI, a notification sink and, for the runs that read values files and
 * render charts, a real KWOK cluster with the fixture charts from a local chart repository:
 *
 *   1. CLI, codec off: a URL with a password in inline input            -> refused by the CLI
 *   2. CLI, codec off: a compatibility file with a YAML typo on a password line
 *   3. a Temporal client (no CLI), codec off: inline URL credentials    -> refused by the workflow
 *   4. CLI and worker with the codec on: inline URL credentials, and a compatibility URL
 *      with credentials (sent as a Basic header to the sink, never in text)
 *   5. an OpenCTI run given a kubeconfig on the worker with credentials in its server URL
 *      and a token: it fails at preflight (that cluster does not exist) and notifies
 *   6. OpenCTI on KWOK, the clustering migration of a release installed with secrets in its
 *      values (passwords, URLs with credentials, a chart-managed Secret, the health key in a
 *      Secret): the approval preview and values diff, "waiting for approval", then approved,
 *      the new pods never become Ready, helm rolls back: "rolled back"
 *   7. OpenCTI on KWOK with a YAML typo on a password line of a values file: "failed"
 *   8. soctalk-system on KWOK, its admin password rotated through a values file (rendered
 *      into the chart's Secret, a URL with it too): the field-level diff, "waiting for
 *      approval", then rejected at the gate: "was aborted"
 *
 * Then every canary is searched in the decoded history of every run (payload bytes decoded
 * from base64 without the codec: what Temporal stores), both workers' log output, all CLI
 * output and all notification bodies. Expected: zero hits. The one exception is stated and
 * checked: in case 3 the client itself wrote the canary into the start event; it must be
 * nowhere else.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { tenantWorkflowId } from '../../src/domain/soctalk/tenant-runbooks.js';
import { releaseWorkflowId } from '../../src/domain/workflow-ids.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { createKwokCluster, Fault, FAULT_LABEL, type KwokCluster } from '../helpers/kwok.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { startProductionWorker, toolEnv, type ProductionWorker } from '../helpers/production-worker.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { waitForPhase } from '../helpers/workflow-harness.js';
import { cliRunner, said, type CliResult } from '../cli/run-cli.js';

const canary = (name: string) => `canary-${name}-${randomBytes(6).toString('hex')}`;
const C = {
  cliUrl: canary('cli-url'),
  yamlPassword: canary('yaml-pw'),
  clientUrl: canary('client-url'),
  codecUrl: canary('codec-url'),
  matrixUrl: canary('matrix-url'),
  kubeUrl: canary('kube-url'),
  kubeToken: canary('kube-token'),
  // OpenCTI on KWOK (6, 7)
  valuesPassword: canary('values-pw'),
  valuesUrl: canary('values-url'),
  ingressUrl: canary('ingress-url'),
  valuesToken: canary('values-token'),
  healthKey: canary('health-key'),
  typoPassword: canary('typo-pw'),
  // soctalk-system on KWOK (8); the chart makes the admin password itself, test 8 adds it.
  databaseUrl: canary('database-url'),
};
const canaries: Record<string, string> = C;
const KEYS = `k1=${randomBytes(32).toString('base64')}`;
const QUEUE_OFF = `canary-off-${process.pid}`;
const QUEUE_ON = `canary-on-${process.pid}`;

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

/** OpenCTI's release on KWOK (cases 6, 7) and soctalk-system's (case 8). */
const OCTI = { release: 'cti', namespace: 'octi-canary', repo: 'canary-opencti' };
const SYS = { release: 'soctalk-system', namespace: 'sys-canary', repo: 'canary-soctalk' };
const OCTI_V1 = ['connectors-cti', 'health-key-exec'].map((n) => join(fixturesDir, 'opencti-values', `${n}.yaml`));

/** An operator's OpenCTI values with secrets where operators put them. */
const openctiSecretValues = () =>
  stringify({
    env: { APP__ADMIN__PASSWORD: C.valuesPassword, ELASTICSEARCH__URL: `http://elastic:${C.valuesUrl}@cti-es:9200` },
    // In single mode the root ingress; the clustering migration moves it to the frontend (the values diff).
    ingress: {
      enabled: true,
      className: 'nginx',
      annotations: { 'nginx.ingress.kubernetes.io/auth-url': `http://auth:${C.ingressUrl}@auth.example.com/verify` },
      hosts: [{ host: 'cti.example.com', paths: [{ path: '/', pathType: 'ImplementationSpecific' }] }],
    },
    secrets: [{ name: 'cti-admin-token', data: { APP__ADMIN__TOKEN: C.valuesToken } }],
  });

type Notified = 'waiting for approval' | 'failed' | 'rolled back' | 'was aborted';
const NOTIFIED: Record<Notified, RegExp> = { 'waiting for approval': /is waiting for approval/, failed: /` failed/, 'rolled back': /rolled back/, 'was aborted': /was aborted/ };

describe('canary secrets never reach history, logs, CLI output or notifications', { timeout: 15 * 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let sink: Server;
  let sinkUrl = '';
  const notifications: string[] = [];
  const matrixAuth: string[] = [];
  const cliOutput: string[] = [];
  const workers: ProductionWorker[] = [];
  /** Every run scanned: cases 6 and 7 share the release's workflow ID, so the run ID tells them apart. */
  const runs: Array<{ id: string; runId?: string; clientWroteStart?: string }> = [];
  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'canary-'));
  let cli: ReturnType<typeof cliRunner>;

  const runCli = async (args: string[], options: Parameters<ReturnType<typeof cliRunner>>[1] = {}): Promise<CliResult> => {
    const result = await cli(args, options);
    cliOutput.push(result.stdout, result.stderr);
    return result;
  };

  /** The run a CLI `start` just started, recorded by run ID for the scan. */
  const startedRun = async (r: CliResult, runbook: string) => {
    const id = new RegExp(`started ${runbook} as (\\S+)`).exec(r.stdout)?.[1];
    assert.ok(id, said(r));
    const runId = (await env.client.workflow.getHandle(id).describe()).runId;
    runs.push({ id, runId });
    return { id, handle: env.client.workflow.getHandle(id, runId) };
  };
  /** Notifications are sent best effort, after the workflow moves on: wait for the one expected. */
  async function notified(id: string, what: Notified): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const found = notifications.find((n) => n.includes(id) && NOTIFIED[what].test(n));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.fail(`no "${what}" notification for ${id}: ${notifications.join('\n')}`);
  }
  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: { ...cluster.env, HOME: dir } })).stdout;
  /** The clustering migration of the KWOK release with these values files. */
  const openctiInput = (files: string[]) => ({
    release: OCTI.release,
    namespace: OCTI.namespace,
    kube: { kubeconfig: cluster.kubeconfig },
    chart: { ref: `${OCTI.repo}/opencti`, repository: { name: OCTI.repo, url: repo.url } },
    version: '2.5.0',
    values: { files },
    health: { accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } } },
    requestedBy: 'ria',
  });
  const inputFile = (name: string, input: object) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(input));
    return file;
  };

  before(async () => {
    // Each kept as soon as it is up, so after() stops it even when another one failed to start.
    await Promise.all([createLocalEnv().then((e) => (env = e)), createKwokCluster('canary-secrets').then((c) => (cluster = c)), startChartRepo().then((r) => (repo = r))]);
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
    const common = { ...toolEnv(cluster.env), TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', NOTIFY_WEBHOOK_URL: `${sinkUrl}/notify`, LOG_LEVEL: 'DEBUG', HOME: dir, TMPDIR: dir };
    workers.push(
      ...(await Promise.all([startProductionWorker({ ...common, TEMPORAL_TASK_QUEUE: QUEUE_OFF }), startProductionWorker({ ...common, TEMPORAL_TASK_QUEUE: QUEUE_ON, RUNBOOK_CODEC_KEYS: KEYS })])),
    );
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: QUEUE_OFF, RUNBOOK_CATALOG: 'src/runbook-catalog.ts' });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    sink?.close();
    await env?.teardown();
    await cluster?.delete();
    await repo?.stop();
    rmSync(dir, { recursive: true, force: true });
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
    // Short reads run as local activities: their attempts are in the markers they record.
    const attempts = (history.events ?? []).flatMap((e) => {
      if (e.activityTaskStartedEventAttributes) return [e.activityTaskStartedEventAttributes.attempt];
      const marker = e.markerRecordedEventAttributes;
      const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
      return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { attempt?: number }).attempt] : [];
    });
    assert.deepEqual(attempts, [1], `a broken file is not retried: ${JSON.stringify(history.events?.map((e) => e.markerRecordedEventAttributes ?? e.eventType))}`);
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

  it('5. an OpenCTI run given a kubeconfig with credentials fails at preflight and tells the channel, secrets hidden', async () => {
    const values = join(dir, 'opencti-values.yaml');
    writeFileSync(values, 'replicaCount: 1\n');
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

  it('6. OpenCTI on KWOK: the approval preview and values diff hide the values-file secrets; approved, it fails and rolls back', async () => {
    await cluster.kubectl(['create', 'namespace', OCTI.namespace]);
    await cluster.kubectl(['-n', OCTI.namespace, 'create', 'secret', 'generic', 'opencti-credentials', `--from-literal=APP__HEALTH_ACCESS_KEY=${C.healthKey}`]);
    const secrets = join(dir, 'opencti-secret-values.yaml');
    writeFileSync(secrets, openctiSecretValues());
    await helm(['install', OCTI.release, join(repo.dir, 'opencti-2.5.0.tgz'), '-n', OCTI.namespace, ...[...OCTI_V1, secrets].flatMap((f) => ['-f', f]), '--wait', '--timeout', '60s']);
    const file = inputFile('input-6', {
      ...openctiInput([...OCTI_V1, secrets]),
      // The new frontend pods never become Ready: helm upgrade --wait fails, helm rolls back.
      frontend: { replicaCount: 1, podLabels: { [FAULT_LABEL]: Fault.NeverReady } },
      ingestion: { replicaCount: 1 },
      timeout: '25s',
    });
    // The canaries are really in use: in clear in the cluster, where the run reads them.
    assert.ok((await cluster.kubectl(['-n', OCTI.namespace, 'get', 'deployment', 'cti-opencti-server', '-o', 'json'])).includes(C.valuesPassword));
    const { id, handle } = await startedRun(await runCli(['start', 'opencti-clustering-migration', '--input', file]), 'opencti-clustering-migration');
    assert.equal(id, releaseWorkflowId(OCTI.namespace, OCTI.release));
    const waiting = await waitForPhase(handle, 'waiting-approval', 180_000);
    const summary = waiting.pendingApproval?.summary ?? '';
    // What the approver reads: the secrets' places, never their values.
    assert.match(summary, /Generated values \(secrets hidden\):[\s\S]*APP__ADMIN__PASSWORD: "?\*\*\*/, summary);
    assert.match(summary, /ELASTICSEARCH__URL: http:\/\/elastic:\*\*\*@cti-es:9200/, summary);
    assert.match(summary, /^\+ clustering.*auth-url.*http:\/\/auth:\*\*\*@auth\.example\.com/m, `the moved ingress is in the values diff, its password hidden:\n${summary}`);
    await runCli(['status', id]);
    await runCli(['status', id, '-o', 'json']);
    assert.match(await notified(id, 'waiting for approval'), /Generated values/);
    const approved = await runCli(['approve', id, '--comment', 'canary']);
    assert.equal(approved.exitCode, 0, said(approved));
    await assert.rejects(handle.result());
    const status = await runCli(['status', id]);
    assert.match(status.stdout, /rolled back|helm rollback/i, said(status));
    await notified(id, 'rolled back');
  });

  it('7. OpenCTI on KWOK: a YAML typo on a password line of a values file fails the plan with file, line and column only', async () => {
    const typo = join(dir, 'opencti-typo-values.yaml');
    writeFileSync(typo, `env:\n  APP__ADMIN__PASSWORD: ${C.typoPassword}\n bad: [\n`);
    const file = inputFile('input-7', openctiInput([...OCTI_V1, typo]));
    const { id, handle } = await startedRun(await runCli(['start', 'opencti-clustering-migration', '--input', file]), 'opencti-clustering-migration');
    await assert.rejects(handle.result());
    const status = await runCli(['status', id]);
    assert.match(status.stdout + status.stderr, /opencti-typo-values\.yaml is not valid YAML \(line \d+, column \d+/, said(status));
    await notified(id, 'failed');
  });

  it('8. soctalk-system on KWOK: the field-level diff masks the admin password the chart generates (live and re-rendered); rejected at the gate', async () => {
    await cluster.kubectl(['create', 'namespace', SYS.namespace]);
    const installed = join(dir, 'soctalk-system-installed.yaml');
    writeFileSync(installed, stringify({ image: { tag: '0.1.0' } }));
    await helm(['install', SYS.release, join(repo.dir, 'soctalk-system-0.1.0.tgz'), '-n', SYS.namespace, '-f', installed, '--wait', '--timeout', '60s']);
    // Like the real chart, the install made the password: it exists only in the cluster, and becomes a canary.
    const creds = JSON.parse(await cluster.kubectl(['-n', SYS.namespace, 'get', 'secret', `${SYS.release}-postgres-admin-creds`, '-o', 'json'])) as { data: Record<string, string> };
    const livePassword = Buffer.from(creds.data.password ?? '', 'base64').toString();
    assert.match(livePassword, /^[A-Za-z0-9]{40}$/, 'the chart generated the admin password');
    canaries.livePassword = livePassword;
    const rotated = join(dir, 'soctalk-system-values.yaml');
    writeFileSync(rotated, stringify({ image: { tag: '0.1.0' }, api: { databaseUrl: `postgresql://soctalk:${C.databaseUrl}@soctalk-system-postgres:5432/soctalk` } }));
    const file = inputFile('input-8', {
      release: SYS.release,
      namespace: SYS.namespace,
      kube: { kubeconfig: cluster.kubeconfig },
      chart: { ref: `${SYS.repo}/soctalk-system`, repository: { name: SYS.repo, url: repo.url } },
      targetVersion: '0.2.0',
      imageTag: '0.2.0',
      values: { files: [rotated] },
      backup: { database: { mode: 'none', reason: 'a canary test: the database is not under test' } },
      requestedBy: 'ria',
    });
    const { id, handle } = await startedRun(await runCli(['start', 'soctalk-system-upgrade', '--input', file]), 'soctalk-system-upgrade');
    const waiting = await waitForPhase(handle, 'waiting-approval', 180_000);
    const summary = waiting.pendingApproval?.summary ?? '';
    assert.match(summary, new RegExp(`~ Secret ${SYS.namespace}/${SYS.release}-postgres-admin-creds`), summary);
    // The approver sees that the password changes, not what it is.
    assert.match(summary, /^\s*-\s+password: "?\(masked\)"?$/m, summary);
    assert.match(summary, /^\s*\+\s+password: "?\(masked, changed\)"?$/m, summary);
    await runCli(['status', id]);
    await runCli(['status', id, '-o', 'json']);
    assert.match(await notified(id, 'waiting for approval'), /Changed fields/);
    const rejected = await runCli(['reject', id, '--comment', 'canary']);
    assert.equal(rejected.exitCode, 0, said(rejected));
    await assert.rejects(handle.result());
    await runCli(['status', id]);
    await notified(id, 'was aborted');
  });

  it('finds none of the canaries in decoded history, worker logs, CLI output or notification bodies', async () => {
    const sources: Record<string, string[]> = { history: [], 'worker logs': workers.flatMap((w) => w.log), 'CLI output': cliOutput, notifications };
    for (const run of runs) {
      const events = (await env.client.workflow.getHandle(run.id, run.runId).fetchHistory()).events ?? [];
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
    const kinds = Object.entries(NOTIFIED).map(([what, re]) => `${notifications.filter((n) => re.test(n)).length} ${what}`);
    assert.ok(notifications.length >= 6, `notifications were sent (${notifications.length}: ${kinds.join(', ')})`);
    const hits: string[] = [];
    const counts: string[] = [];
    for (const [source, texts] of Object.entries(sources)) {
      let found = 0;
      for (const [name, value] of Object.entries(canaries)) {
        for (const text of texts) {
          if (text.includes(value) || text.includes(Buffer.from(value).toString('base64'))) {
            found += 1;
            hits.push(`${name} in ${source}: ${text.slice(Math.max(0, text.indexOf(value) - 80), text.indexOf(value) + 40)}`);
          }
        }
      }
      counts.push(`${source} ${texts.length} texts, ${found} hits`);
    }
    process.stdout.write(`# canary scan: ${Object.keys(canaries).length} canaries, ${runs.length} runs, ${notifications.length} notifications (${kinds.join(', ')}); ${counts.join('; ')}\n`);
    assert.deepEqual(hits, []);
  });
});
