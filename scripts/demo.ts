/**
 * The main job, end to end on one machine: a Temporal dev server with its Web UI, a KWOK
 * Kubernetes control plane, PostgreSQL, a local chart repository and a worker. It installs
 * the old releases (soctalk-system 0.1.0, several tenants on soctalk-tenant 0.1.0, OpenCTI
 * 1.0.0), runs the SocTalk system upgrade (waiting for your approval unless --yes), then a
 * canary-first fleet upgrade of the tenants, prints a summary and removes everything it
 * started.
 *
 *   npm run demo               approve from the CLI or the Web UI when asked
 *   npm run demo -- --yes      approve automatically
 *   npm run demo -- --tenants 12
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { CommandRunner, toolPathsFromEnv } from '../src/activities/command.js';
import { createActivities } from '../src/activities/index.js';
import { ALL_SEARCH_ATTRIBUTES } from '../src/domain/search-attributes.js';
import { fleetWorkflowId, releaseWorkflowId } from '../src/domain/workflow-ids.js';
import { DEFAULT_TASK_QUEUE } from '../src/temporal-config.js';
import { workflowsPath } from '../src/worker.js';
import { approveUpdate, statusQuery } from '../src/workflows/lib/messages.js';
import { soctalkFleetUpgrade } from '../src/workflows/soctalk/fleet-upgrade.js';
import { soctalkSystemUpgrade } from '../src/workflows/soctalk/system-upgrade.js';
import { startChartRepo } from '../test/helpers/chart-repo.js';
import { createKwokCluster } from '../test/helpers/kwok.js';
import { freePort, startPostgres } from '../test/helpers/postgres.js';
import { toolchainEnv } from '../test/helpers/toolchain-env.js';

const { values: args } = parseArgs({
  options: { yes: { type: 'boolean', default: false }, tenants: { type: 'string', default: '6' }, 'ui-port': { type: 'string', default: '8233' } },
});
const TENANTS = ['acme', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi', 'omicron', 'pi', 'rho', 'sigma', 'tau', 'upsilon'].slice(
  0,
  Math.min(20, Math.max(1, Number(args.tenants))),
);

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const say = (line: string) => process.stdout.write(`\n▶ ${line}\n`);
const cleanups: Array<() => Promise<unknown>> = [];
let cleaning = false;
async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

async function main(): Promise<void> {
  const started = Date.now();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  say('toolchain (scripts/toolchain.sh: built once, cached outside the repository)');
  Object.assign(process.env, await toolchainEnv('temporal', 'helm', 'kubectl', 'kwok', 'kube', 'etcd', 'postgres'));

  // helm keeps repositories in the user's config: give the demo its own.
  const work = await mkdtemp(join(tmpdir(), 'upgrade-runbooks-demo-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  Object.assign(process.env, { HELM_CONFIG_HOME: join(work, 'helm/config'), HELM_CACHE_HOME: join(work, 'helm/cache'), HELM_DATA_HOME: join(work, 'helm/data') });

  say('Temporal dev server with the Web UI');
  // --ui-port 0: any free port (tests run the demo next to a developer's own dev server).
  const uiPort = Number(args['ui-port']) || (await freePort());
  const temporal = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH! },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ip: '127.0.0.1',
      ui: true,
      uiPort,
    },
  });
  cleanups.push(() => temporal.teardown());
  const address = temporal.connection.options.address;
  const ui = `http://127.0.0.1:${uiPort}`;

  say('KWOK cluster, PostgreSQL and the chart repository');
  const cluster = await createKwokCluster('demo');
  cleanups.push(() => cluster.delete());
  const pg = await startPostgres();
  cleanups.push(() => pg.stop());
  const repo = await startChartRepo();
  cleanups.push(() => repo.stop());
  process.env.SOCTALK_DATABASE_URL = pg.url;
  const health = await startHealthServer();
  cleanups.push(() => new Promise((r) => health.server.close(r)));

  const helm = (a: string[]) => execa(process.env.HELM_BIN!, [...a, '--kubeconfig', cluster.kubeconfig]);
  await helm(['repo', 'add', 'demo', repo.url]);
  say('installing the old releases: soctalk-system 0.1.0, tenants on soctalk-tenant 0.1.0, OpenCTI 1.13.8');
  // The runbook applies the Alembic Job itself, so the fixture's hook variant is off.
  await helm(['install', 'soctalk-system', 'demo/soctalk-system', '--version', '0.1.0', '-n', 'soctalk-system', '--create-namespace', '--set', 'migration.hook=false', '--wait', '--timeout', '120s']);
  for (const slug of TENANTS) {
    const ns = `tenant-${slug}`;
    await cluster.kubectl(['create', 'namespace', ns]);
    await cluster.kubectl(['label', 'namespace', ns, 'tenant=true', 'managed-by=soctalk']);
    await helm(['install', ns, 'demo/soctalk-tenant', '--version', '0.1.0', '-n', ns, '--wait', '--timeout', '120s']);
  }
  await helm(['install', 'opencti', 'demo/opencti', '--version', '1.13.8', '-n', 'opencti', '--create-namespace', '--wait', '--timeout', '120s']);
  await pg.psql(`CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('0001_initial') ON CONFLICT DO NOTHING;`);

  const matrix = join(work, 'compatibility-matrix.yaml');
  await writeFile(matrix, 'systemVersions:\n  "0.1.0": { tenantChart: ">=0.1.0 <0.2.0" }\n  "0.2.0": { tenantChart: ">=0.1.0 <0.3.0", upgradeFrom: ">=0.1.0 <0.2.0" }\n');

  process.stdout.write(`  Web UI: ${ui}   Temporal: ${address}\n`);
  say('worker');
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: DEFAULT_TASK_QUEUE,
    workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: quiet }),
    activities: createActivities({ runner: new CommandRunner({ tools: toolPathsFromEnv(process.env) }), backupDir: join(work, 'backups'), workDir: work, pollIntervalMs: 1000 }),
  });
  const running = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await running;
  });

  const kube = { kubeconfig: cluster.kubeconfig };
  const chart = (name: string) => ({ ref: `demo/${name}`, repository: { name: 'demo', url: repo.url } });
  const systemId = releaseWorkflowId('soctalk-system', 'soctalk-system');
  say(`SocTalk system upgrade 0.1.0 -> 0.2.0 (workflow ${systemId})`);
  const system = await temporal.client.workflow.start(soctalkSystemUpgrade, {
    taskQueue: DEFAULT_TASK_QUEUE,
    workflowId: systemId,
    workflowIdConflictPolicy: 'FAIL',
    staticSummary: 'demo: soctalk-system 0.1.0 -> 0.2.0 with schema migration',
    args: [
      {
        kube,
        chart: chart('soctalk-system'),
        targetVersion: '0.2.0',
        imageTag: '0.2.0',
        values: { files: [], set: { 'migration.hook': false } },
        compatibility: { file: matrix },
        backup: { database: { mode: 'direct', urlFrom: { env: 'SOCTALK_DATABASE_URL' } } },
        api: { healthUrl: `${health.url}/health/ready` },
        timeouts: { migration: '2m', upgrade: '2m', rollback: '2m', verify: '2m' },
        requestedBy: 'demo',
      },
    ],
  });
  await waitForApproval(system, address, ui);
  const systemResult = await system.result();
  process.stdout.write(`  soctalk-system now at revision ${systemResult.revision}, backup ${systemResult.backup?.name} (${systemResult.backup?.sizeBytes} bytes)\n`);

  const fleetId = fleetWorkflowId('demo');
  say(`canary fleet upgrade of ${TENANTS.length} tenants to soctalk-tenant 0.2.0 (workflow ${fleetId})`);
  const fleet = await temporal.client.workflow.start(soctalkFleetUpgrade, {
    taskQueue: DEFAULT_TASK_QUEUE,
    workflowId: fleetId,
    staticSummary: `demo: ${TENANTS.length} tenants to soctalk-tenant 0.2.0, canary first`,
    args: [
      {
        name: 'demo',
        upgrade: {
          version: '0.2.0',
          chart: chart('soctalk-tenant'),
          kube,
          valuesSource: { kind: 'current' },
          compatibility: { file: matrix },
          helmTimeout: '2m',
          rolloutTimeout: '2m',
          heartbeat: { settle: '5s' },
        },
        canaries: { count: 1 },
        waves: { percentages: [50, 100] },
        maxParallel: 3,
        bakeTime: '10s',
        failureBudget: { maxFailed: 1 },
        requestedBy: 'demo',
      },
    ],
  });
  await printFleetProgress(fleet);
  const fleetResult = await fleet.result();

  say('summary');
  process.stdout.write(`${(await helm(['list', '--all-namespaces'])).stdout}\n`);
  process.stdout.write(`\nfleet: ${JSON.stringify((fleetResult as { totals?: unknown }).totals ?? fleetResult)}\n`);
  process.stdout.write(`demo finished in ${Math.round((Date.now() - started) / 1000)}s; cleaning up\n`);
}

async function waitForApproval(handle: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>, address: string, ui: string): Promise<void> {
  for (;;) {
    const status = await handle.query(statusQuery);
    if (status.outcome) return;
    if (status.phase === 'waiting-approval') break;
    await sleep(500);
  }
  const status = await handle.query(statusQuery);
  process.stdout.write(`  waiting for approval: ${status.pendingApproval?.summary.split('\n').join('\n    ')}\n`);
  if (args.yes) {
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'demo-approver', comment: 'approved by --yes', acknowledgeSchemaChanges: true }] });
    process.stdout.write('  approved automatically (--yes)\n');
    return;
  }
  process.stdout.write(
    `\n  Approve from another terminal:\n    TEMPORAL_ADDRESS=${address} npx runbook approve ${handle.workflowId} --ack-schema-changes --as <your name>\n` +
      `  or in the Web UI (${ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}): send Signal "approve" with {"by": "<your name>", "acknowledgeSchemaChanges": true}\n`,
  );
  for (;;) {
    const s = await handle.query(statusQuery);
    if (s.phase !== 'waiting-approval') return;
    await sleep(1000);
  }
}

async function printFleetProgress(handle: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>): Promise<void> {
  let last = '';
  for (;;) {
    const desc = await handle.describe();
    const status = await handle.query(statusQuery).catch(() => undefined);
    const line = status ? `  ${status.phase}: ${status.steps.filter((s) => s.outcome === 'succeeded').length} steps done` : '';
    if (line && line !== last) process.stdout.write(`${line}\n`);
    last = line;
    if (desc.status.name !== 'RUNNING') return;
    await sleep(2000);
  }
}

async function startHealthServer(): Promise<{ server: Server; url: string }> {
  // Nothing runs inside KWOK pods: this stands in for the API's /health/ready endpoint.
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health/ready' ? 200 : 404;
    res.end(res.statusCode === 200 ? 'ok' : 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}` };
}

main()
  .then(cleanup)
  .catch(async (err: unknown) => {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err)}\n`);
    await cleanup();
    process.exit(1);
  });
