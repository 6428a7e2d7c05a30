// End to end (issues 4 and 7): the SocTalk tenant upgrade and the canary-aware fleet
// upgrade against real components. One KWOK cluster, one chart repository, one Temporal
// dev server and one real worker (real helm and kubectl) for the file. Each test has its
// own tenant namespaces (and the fleet its own name), so the tests do not depend on each
// other; only the fleet's namespaces carry the runbook's labels (tenant=true,
// managed-by=soctalk), so the fleet's default selector finds exactly them. Every test
// checks the cluster afterwards with `helm` and `kubectl`, not only the workflow's result.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/soctalk-fleet.test.ts
//
// The tenant fixture models the real soctalk-tenant chart (soctalk-adapter and
// soctalk-runs-worker with their own image keys, a strict values schema, kubeVersion).
// How a tenant fails on purpose, the way a real cluster fails it: its namespace's
// ResourceQuota (tenant-quota, which the real chart renders) has room for its two pods and
// no more (resourceQuota.pods "2", a value the real chart has). Installed at 0.1.0 it is
// healthy; on the fleet-wide upgrade (valuesSource current: `helm get values -a` carries the
// quota over) the API server refuses the rolling update's new pods, so only that tenant's
// 0.2.0 rollout hangs. No chart carries a test-only value.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createActivities } from '../../src/activities/index.js';
import { FailureType } from '../../src/domain/failure-types.js';
import type { FleetUpgradeInput } from '../../src/domain/soctalk/fleet-input.js';
import { tenantWorkflowId } from '../../src/domain/soctalk/tenant-runbooks.js';
import type { TenantUpgradeInput } from '../../src/domain/soctalk/tenant-upgrade-input.js';
import { fleetWorkflowId } from '../../src/domain/workflow-ids.js';
import { statusQuery } from '../../src/workflows/lib/messages.js';
import type { RunStatus } from '../../src/workflows/lib/status.js';
import { fleetProgressQuery } from '../../src/workflows/soctalk/fleet/progress.js';
import { soctalkFleetUpgrade } from '../../src/workflows/soctalk/fleet-upgrade.js';
import { soctalkTenantUpgrade } from '../../src/workflows/soctalk/tenant-upgrade.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { createLocalEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal.js';

const REPO_NAME = 'e2e-fleet';
const FLEET_SIZE = 21;
const TENANT_CHART_010 = 'soctalk-tenant-0.1.0';
/** A tenant quota with room for its two pods only: an upgrade's surge pod is refused at admission. */
const FULL_QUOTA = 'resourceQuota.pods=2';

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}
interface ListedRelease {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
}
interface KubeDeployment {
  spec: { template: { metadata: { labels?: Record<string, string> }; spec: { containers: { image: string }[] } } };
  status: { readyReplicas?: number };
}

describe('soctalk tenant and fleet upgrades, end to end', { timeout: 9 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let tmp: string;
  let matrixFile: string;
  const timings: Record<string, number> = {};

  const helm = async (args: string[]) => (await execa(cluster.env.HELM_BIN ?? 'helm', [...args, '--kubeconfig', cluster.kubeconfig], { env: cluster.env })).stdout;
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const chartTgz = (name: string, version: string) => join(repo.dir, `${name}-${version}.tgz`);
  const history = async (release: string, ns: string) => JSON.parse(await helm(['history', release, '-n', ns, '-o', 'json'])) as HistoryEntry[];
  /** `helm status` (revision, status) and the chart from `helm list` (helm 3's status JSON has no chart). */
  const helmStatus = async (release: string, ns: string) => {
    const st = JSON.parse(await helm(['status', release, '-n', ns, '-o', 'json'])) as { version: number; info: { status: string } };
    const listed = (JSON.parse(await helm(['list', '-n', ns, '--all', '-o', 'json'])) as ListedRelease[]).find((r) => r.name === release);
    return { revision: st.version, status: st.info.status, chart: listed?.chart };
  };
  const deployment = async (ns: string, name: string) => JSON.parse(await kubectl('-n', ns, 'get', 'deploy', name, '-o', 'json')) as KubeDeployment;
  const imageTag = (d: KubeDeployment) => d.spec.template.spec.containers[0]!.image.split(':').pop();

  /** tenant-<slug> namespace with soctalk-tenant 0.1.0 installed. */
  async function installTenant(slug: string, opts: { labels?: boolean; setString?: string[]; wait?: boolean } = {}): Promise<void> {
    const ns = `tenant-${slug}`;
    await kubectl('create', 'namespace', ns);
    if (opts.labels) await kubectl('label', 'namespace', ns, 'tenant=true', 'managed-by=soctalk');
    await helm([
      'install',
      ns,
      chartTgz('soctalk-tenant', '0.1.0'),
      '-n',
      ns,
      ...(opts.setString ?? []).flatMap((s) => ['--set-string', s]),
      ...(opts.wait === false ? [] : ['--wait', '--timeout', '60s']),
    ]);
  }

  function tenantSpec(extra: Record<string, unknown> = {}) {
    return {
      version: '0.2.0',
      chart: { ref: `${REPO_NAME}/soctalk-tenant`, repository: { name: REPO_NAME, url: repo.url } },
      kube: { kubeconfig: cluster.kubeconfig },
      valuesSource: { kind: 'current' as const },
      compatibility: { file: matrixFile },
      helmTimeout: '30s',
      rolloutTimeout: '30s',
      heartbeat: { settle: '2s' },
      ...extra,
    };
  }

  const stepOutcomes = (s: RunStatus) => s.steps.map((x) => `${x.outcome}: ${x.name}${x.detail ? ` (${x.detail.slice(0, 200)})` : ''}`);

  /** Runs a workflow to its end: its result or its ApplicationFailure, and its final status. */
  async function runToEnd<R>(handle: WorkflowHandle): Promise<{ result?: R; failure?: ApplicationFailure; status: RunStatus; ms: number }> {
    const started = Date.now();
    try {
      const result = (await handle.result()) as R;
      return { result, status: await handle.query(statusQuery), ms: Date.now() - started };
    } catch (err) {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, `cause: ${String(err.cause)}`);
      return { failure: err.cause, status: await handle.query(statusQuery), ms: Date.now() - started };
    }
  }

  /** The upgrade hung for the reason the test gave it: the quota refused the new pods. */
  async function assertRefusedByQuota(ns: string): Promise<void> {
    const events = await kubectl('-n', ns, 'get', 'events', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}');
    assert.match(events, /exceeded quota: tenant-quota, requested: pods=1, used: pods=2, limited: pods=2/, `${ns}: ${events}`);
  }

  const startTenantUpgrade = (input: TenantUpgradeInput) =>
    env.client.workflow.start(soctalkTenantUpgrade, { taskQueue, workflowId: tenantWorkflowId(input.tenant), args: [input] });

  before(async () => {
    const t0 = Date.now();
    tmp = await mkdtemp(join(tmpdir(), 'e2e-soctalk-fleet-'));
    // The worker's helm (a child of this process) and the test's helm share these, never the user's.
    process.env.HELM_CONFIG_HOME = join(tmp, 'helm', 'config');
    process.env.HELM_CACHE_HOME = join(tmp, 'helm', 'cache');
    process.env.HELM_DATA_HOME = join(tmp, 'helm', 'data');

    const timed = async <T>(name: string, p: Promise<T>) => {
      const t = Date.now();
      const v = await p;
      timings[name] = Date.now() - t;
      return v;
    };
    [cluster, repo, env] = await Promise.all([
      timed('cluster', createKwokCluster('fleet-e2e')),
      timed('chartRepo', startChartRepo()),
      timed('temporal', createLocalEnv()),
      timed('bundle', workflowBundle()),
    ]).then(([c, r, e]) => [c, r, e] as const);
    cluster.env.HELM_CONFIG_HOME = process.env.HELM_CONFIG_HOME;
    cluster.env.HELM_CACHE_HOME = process.env.HELM_CACHE_HOME;
    cluster.env.HELM_DATA_HOME = process.env.HELM_DATA_HOME;

    matrixFile = join(tmp, 'compatibility.yaml');
    await writeFile(
      matrixFile,
      stringify({
        systemVersions: {
          '0.1.0': { tenantChart: '>=0.1.0 <0.2.0' },
          '0.2.0': { tenantChart: '>=0.1.0 <0.3.0', upgradeFrom: '>=0.1.0 <0.2.0' },
        },
      }),
    );
    // The system-first gate reads this release (the real-shaped chart, which has no migration
    // values); no --wait: the gate only reads the release's chart version.
    await helm(['install', 'soctalk-system', chartTgz('soctalk-system', '0.2.0'), '-n', 'soctalk-system', '--create-namespace']);

    taskQueue = uniqueTaskQueue('e2e-fleet');
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env }) });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ runner, workDir: tmp, backupDir: join(tmp, 'backups'), pollIntervalMs: 500 }),
    });
    workerRun = worker.run();
    timings.setup = Date.now() - t0;
  });

  after(async () => {
    if (worker) {
      worker.shutdown();
      await workerRun.catch(() => undefined);
    }
    await env?.teardown();
    await cluster?.delete();
    await repo?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('tenant upgrade, happy path: revision 2 deployed at soctalk-tenant 0.2.0 with the 0.2.0 images', async (t) => {
    t.diagnostic(`setup ${JSON.stringify(timings)} ms`);
    await installTenant('happy');
    const handle = await startTenantUpgrade({ ...tenantSpec(), tenant: 'happy', requestedBy: 'e2e' });
    const up = await runToEnd<Awaited<ReturnType<typeof soctalkTenantUpgrade>>>(handle);
    t.diagnostic(`tenant upgrade ${up.ms} ms:\n${stepOutcomes(up.status).join('\n')}`);
    assert.equal(up.failure, undefined, `${up.failure?.message}\n${stepOutcomes(up.status).join('\n')}`);
    const result = up.result!;
    assert.equal(up.status.phase, 'completed');
    assert.equal(result.systemVersion, '0.2.0');
    assert.equal(result.fromVersion, '0.1.0');
    assert.equal(result.toVersion, '0.2.0');
    assert.deepEqual([result.fromRevision, result.toRevision], [1, 2]);
    assert.equal(result.values.source, 'current');
    // The real-shaped tenant chart: one tag key per workload, both overridden by default.
    assert.deepEqual(result.imageTags, { 'adapter.image.tag': '0.2.0', 'runsWorker.image.tag': '0.2.0' });
    assert.deepEqual([...result.deployments].sort(), ['soctalk-adapter', 'soctalk-runs-worker']);

    // The cluster, with real helm and kubectl.
    const st = await helmStatus('tenant-happy', 'tenant-happy');
    assert.equal(st.revision, 2);
    assert.equal(st.status, 'deployed');
    assert.equal(st.chart, 'soctalk-tenant-0.2.0');
    const hist = await history('tenant-happy', 'tenant-happy');
    assert.deepEqual(
      hist.map((h) => [h.revision, h.status, h.chart]),
      [
        [1, 'superseded', TENANT_CHART_010],
        [2, 'deployed', 'soctalk-tenant-0.2.0'],
      ],
    );
    for (const name of ['soctalk-adapter', 'soctalk-runs-worker']) {
      const d = await deployment('tenant-happy', name);
      assert.equal(imageTag(d), '0.2.0', `${name} image`);
      assert.equal(d.status.readyReplicas, 1, `${name} ready`);
    }
  });

  it('tenant upgrade whose overrides miss soctalk-runs-worker: refused at pre-flight naming it, the tenant untouched', async (t) => {
    await installTenant('onekey');
    const handle = await startTenantUpgrade({ ...tenantSpec({ imageTags: { 'adapter.image.tag': '0.2.0' } }), tenant: 'onekey', requestedBy: 'e2e' });
    const up = await runToEnd(handle);
    t.diagnostic(`tenant upgrade ${up.ms} ms: ${up.failure?.message}`);
    assert.ok(up.failure, 'the upgrade must be refused');
    assert.equal(up.failure.type, FailureType.InvalidInput);
    assert.match(up.failure.message, /Deployment\/soctalk-runs-worker on ghcr\.io\/soctalk\/soctalk-orchestrator:0\.1\.0 instead of tag 0\.2\.0/);
    assert.ok(!up.status.steps.some((s) => s.name === 'helm upgrade --wait'), stepOutcomes(up.status).join('\n'));
    const hist = await history('tenant-onekey', 'tenant-onekey');
    assert.deepEqual(hist.map((h) => [h.revision, h.status, h.chart]), [[1, 'deployed', TENANT_CHART_010]]);
    assert.equal(imageTag(await deployment('tenant-onekey', 'soctalk-runs-worker')), '0.1.0');
  });

  it('tenant upgrade overriding image.tag, a key the chart\'s strict schema does not have: a permanent render error, the tenant untouched', async (t) => {
    await installTenant('badkey');
    const handle = await startTenantUpgrade({ ...tenantSpec({ imageTags: { 'image.tag': '0.2.0' } }), tenant: 'badkey', requestedBy: 'e2e' });
    const up = await runToEnd(handle);
    t.diagnostic(`tenant upgrade ${up.ms} ms: ${up.failure?.message}`);
    assert.ok(up.failure, 'the upgrade must be refused');
    assert.equal(up.failure.type, FailureType.RenderFailed);
    assert.match(up.failure.message, /a render error is permanent, not retried.*additional properties 'image' not allowed/s);
    assert.equal((await history('tenant-badkey', 'tenant-badkey')).length, 1);
  });

  it('tenant upgrade that never becomes Ready: helm rollback to revision 1, nothing pending', async (t) => {
    await installTenant('stuck', { setString: [FULL_QUOTA] });
    assert.equal((await deployment('tenant-stuck', 'soctalk-adapter')).status.readyReplicas, 1, '0.1.0 is healthy');
    const handle = await startTenantUpgrade({ ...tenantSpec({ helmTimeout: '20s', rolloutTimeout: '20s' }), tenant: 'stuck', requestedBy: 'e2e' });
    const up = await runToEnd(handle);
    t.diagnostic(`tenant upgrade ${up.ms} ms:\n${stepOutcomes(up.status).join('\n')}\ncompensations: ${JSON.stringify(up.status.outcome?.compensations)}`);
    assert.ok(up.failure, 'the upgrade must fail');
    assert.equal(up.failure.type, FailureType.RolloutTimeout, up.failure.message);
    assert.equal(up.status.phase, 'failed');
    assert.match(up.status.outcome?.compensations.join('\n') ?? '', /helm rollback tenant-stuck to revision 1.*now at revision 3/);

    const hist = await history('tenant-stuck', 'tenant-stuck');
    t.diagnostic(`helm history: ${JSON.stringify(hist.map((h) => [h.revision, h.status, h.chart, h.description]))}`);
    assert.deepEqual(
      hist.map((h) => [h.revision, h.status, h.chart]),
      [
        [1, 'superseded', TENANT_CHART_010],
        [2, 'failed', 'soctalk-tenant-0.2.0'],
        [3, 'deployed', TENANT_CHART_010],
      ],
    );
    assert.equal(hist.at(-1)!.description, 'Rollback to 1');
    assert.ok(!hist.some((h) => h.status.startsWith('pending')), 'no revision left pending');
    const st = await helmStatus('tenant-stuck', 'tenant-stuck');
    assert.deepEqual([st.revision, st.status, st.chart], [3, 'deployed', TENANT_CHART_010]);
    const adapter = await deployment('tenant-stuck', 'soctalk-adapter');
    assert.equal(imageTag(adapter), '0.1.0');
    assert.equal(adapter.status.readyReplicas, 1);
    await assertRefusedByQuota('tenant-stuck');
  });

  it('ordering gate: soctalk-system 0.1.0 does not accept soctalk-tenant 0.2.0, so the tenant is refused and untouched', async (t) => {
    // Its own system release (spec.system points at it), so the other tests' gate stays open.
    await helm(['install', 'soctalk-system', chartTgz('soctalk-system', '0.1.0'), '-n', 'gate-system', '--create-namespace']);
    await installTenant('gated');
    const handle = await startTenantUpgrade({
      ...tenantSpec({ system: { release: 'soctalk-system', namespace: 'gate-system' } }),
      tenant: 'gated',
      requestedBy: 'e2e',
    });
    const up = await runToEnd(handle);
    t.diagnostic(`tenant upgrade ${up.ms} ms: ${up.failure?.message}`);
    assert.ok(up.failure, 'the gate must refuse');
    assert.equal(up.failure.type, FailureType.Incompatible);
    assert.equal(up.failure.nonRetryable, true);
    assert.match(up.failure.message, /0\.1\.0/);
    assert.match(up.failure.message, /0\.2\.0/);
    assert.ok(!up.status.steps.some((s) => s.name === 'helm upgrade --wait'), stepOutcomes(up.status).join('\n'));

    const hist = await history('tenant-gated', 'tenant-gated');
    assert.deepEqual(
      hist.map((h) => [h.revision, h.status, h.chart]),
      [[1, 'deployed', TENANT_CHART_010]],
    );
    assert.equal(imageTag(await deployment('tenant-gated', 'soctalk-adapter')), '0.1.0');
  });

  it(`a fleet of ${FLEET_SIZE} tenants whose canary fails halts before the first wave; the canary is rolled back, the others untouched`, async (t) => {
    const slugs = Array.from({ length: FLEET_SIZE }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
    const [canary, ...others] = slugs as [string, ...string[]];
    const t0 = Date.now();
    // 4 installs at a time, without --wait (the rollout of untouched tenants does not matter);
    // the canary waits, so its 0.1.0 is Ready before the fleet starts.
    for (let i = 0; i < slugs.length; i += 4) {
      await Promise.all(
        slugs.slice(i, i + 4).map((slug) => installTenant(slug, { labels: true, wait: slug === canary, ...(slug === canary ? { setString: [FULL_QUOTA] } : {}) })),
      );
    }
    t.diagnostic(`installed ${FLEET_SIZE} tenants in ${Date.now() - t0} ms`);

    const input: FleetUpgradeInput = {
      name: 'e2e-canary',
      upgrade: tenantSpec({ helmTimeout: '20s', rolloutTimeout: '20s' }),
      canaries: { count: 1 },
      waves: { percentages: [50, 100] },
      maxParallel: 4,
      bakeTime: '5s',
      // Within this budget: a failed canary halts the fleet by itself.
      failureBudget: { maxFailed: 2 },
      failedTenants: 'rollback',
      requestedBy: 'e2e',
    };
    const handle = await env.client.workflow.start(soctalkFleetUpgrade, { taskQueue, workflowId: fleetWorkflowId(input.name), args: [input] });
    const run = await runToEnd(handle);
    const progress = await handle.query(fleetProgressQuery);
    t.diagnostic(`fleet ${run.ms} ms: ${run.failure?.message}\n${stepOutcomes(run.status).join('\n')}`);

    // The workflow's view: halted in the canary wave, the canary failed, nobody else started.
    assert.ok(run.failure, 'the fleet must halt');
    assert.equal(run.failure.type, FailureType.VerificationFailed);
    assert.match(run.failure.message, new RegExp(`fleet halted in canary: canary tenant ${canary} failed`));
    assert.match(run.failure.message, new RegExp(`${others.length} tenant\\(s\\) left untouched`));
    assert.deepEqual(
      progress.waves.map((w) => [w.name, w.size]),
      [
        ['canary', 1],
        ['wave 1', 10],
        ['wave 2', 10],
      ],
    );
    assert.ok(!progress.waves[1]!.startedAt, 'wave 1 never started');
    assert.deepEqual(progress.totals, { tenants: FLEET_SIZE, done: 0, failed: 1, running: 0, pending: others.length, skipped: 0 });
    const byTenant = new Map(progress.tenants.map((p) => [p.tenant, p]));
    assert.equal(byTenant.get(canary)?.state, 'failed');
    assert.match(byTenant.get(canary)?.message ?? '', /did not become ready|timed out|deadline/i);
    for (const slug of others) assert.equal(byTenant.get(slug)?.state, 'pending', slug);
    // No child workflow was ever started for the other tenants; the canary's child rolled back.
    for (const slug of others) {
      await assert.rejects(env.client.workflow.getHandle(tenantWorkflowId(slug)).describe(), WorkflowNotFoundError, slug);
    }
    const canaryRun = await env.client.workflow.getHandle(tenantWorkflowId(canary)).query(statusQuery);
    assert.match(canaryRun.outcome?.compensations.join('\n') ?? '', new RegExp(`helm rollback tenant-${canary} to revision 1.*now at revision 3`));

    // The cluster: every release, with real helm.
    const releases = (JSON.parse(await helm(['list', '-A', '--all', '-o', 'json', '--max', '0'])) as ListedRelease[]).filter((r) => r.name.startsWith('tenant-fleet-'));
    assert.equal(releases.length, FLEET_SIZE);
    for (const slug of others) {
      const r = releases.find((x) => x.name === `tenant-${slug}`);
      assert.ok(r, `tenant-${slug} is listed`);
      assert.deepEqual([r.namespace, String(r.revision), r.status, r.chart], [`tenant-${slug}`, '1', 'deployed', TENANT_CHART_010], `tenant-${slug} untouched`);
    }
    const c = releases.find((x) => x.name === `tenant-${canary}`)!;
    assert.deepEqual([String(c.revision), c.status, c.chart], ['3', 'deployed', TENANT_CHART_010], 'the canary is rolled back');
    const hist = await history(`tenant-${canary}`, `tenant-${canary}`);
    assert.deepEqual(
      hist.map((h) => [h.revision, h.status, h.chart]),
      [
        [1, 'superseded', TENANT_CHART_010],
        [2, 'failed', 'soctalk-tenant-0.2.0'],
        [3, 'deployed', TENANT_CHART_010],
      ],
    );
    assert.equal(hist.at(-1)!.description, 'Rollback to 1');
    // The canary runs its 0.1.0 pods again; a sample of the others still runs 0.1.0 images.
    const canaryAdapter = await deployment(`tenant-${canary}`, 'soctalk-adapter');
    assert.equal(imageTag(canaryAdapter), '0.1.0');
    await assertRefusedByQuota(`tenant-${canary}`);
    assert.equal(canaryAdapter.status.readyReplicas, 1, 'the rolled-back canary is Ready again');
    const images = JSON.parse(await kubectl('get', 'deploy', '-A', '-l', 'app.kubernetes.io/name=soctalk-adapter', '-o', 'json')) as {
      items: { metadata: { namespace: string }; spec: { template: { spec: { containers: { image: string }[] } } } }[];
    };
    const fleetAdapters = images.items.filter((d) => d.metadata.namespace.startsWith('tenant-fleet-'));
    assert.equal(fleetAdapters.length, FLEET_SIZE);
    for (const d of fleetAdapters) assert.match(d.spec.template.spec.containers[0]!.image, /:0\.1\.0$/, d.metadata.namespace);
  });
  it('lists the labelled tenant namespaces page by page through the real API server, each page bounded', async () => {
    // The fleet test above labelled FLEET_SIZE namespaces; pages of 4 need the API's continue tokens.
    const runner = new CommandRunner({ tools: toolPathsFromEnv({ ...process.env, ...cluster.env }) });
    const activities = createActivities({ runner, workDir: tmp, backupDir: join(tmp, 'backups') });
    const listed = (await kubectl('get', 'namespaces', '-l', 'tenant=true,managed-by=soctalk', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean);
    assert.ok(listed.length >= FLEET_SIZE, `the fleet test labelled ${FLEET_SIZE} namespaces, kubectl lists ${listed.length}`);
    const pages: string[][] = [];
    let continueToken: string | undefined;
    do {
      const page = await activities.listTenantNamespacePage({ selector: 'tenant=true,managed-by=soctalk', kube: { kubeconfig: cluster.kubeconfig }, limit: 4, ...(continueToken ? { continueToken } : {}) });
      assert.equal(page.expired, undefined);
      pages.push(page.names);
      continueToken = page.continueToken;
    } while (continueToken);
    assert.equal(pages.length, Math.ceil(listed.length / 4));
    assert.ok(pages.every((p) => p.length <= 4));
    assert.deepEqual(pages.flat(), listed, 'the pages together are exactly what kubectl lists, in the same order');
  });
});
