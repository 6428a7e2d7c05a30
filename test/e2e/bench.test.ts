// Smoke test of the end-to-end bench itself (issue 7): proves that every real component the
// end-to-end tests stand on works here, before any workflow is involved. If this file
// fails, the e2e failures after it are about the bench, not about the runbooks.
//
//   node --import tsx --test test/e2e/bench.test.ts
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { startPostgres } from '../helpers/postgres.js';

const NS = 'soctalk-system';

interface Manifest {
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
}
const RELEASE = 'soctalk-system';
/** The fixture variant shipping the runbook's Alembic Job (soctalk-system migrates in db-init, like the real chart). */
const JOB_CHART = 'bench/soctalk-system-job';

describe('end-to-end bench', { timeout: 10 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let helmHome: string;
  const timings: Record<string, number> = {};
  let kubeVersion = '';

  /** helm with its own config/cache/data dirs, so the user's repositories are never touched. */
  const helm = async (args: string[]) => {
    const env = { ...cluster.env, HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_DATA_HOME: join(helmHome, 'data') };
    return (await execa(cluster.env.HELM_BIN ?? 'helm', args, { env })).stdout;
  };
  const kubectl = (...args: string[]) => cluster.kubectl(args);
  const jobYaml = (version: string, imageTag = version) =>
    helm([
      'template', RELEASE, JOB_CHART, '--version', version, '--namespace', NS, '--kube-version', kubeVersion,
      '--set', `image.tag=${imageTag}`, '--show-only', 'templates/jobs/alembic-upgrade.yaml',
    ]);
  /** The images and Ready condition of every pod in `ns` (matching `selector`). */
  const pods = async (ns: string, selector?: string) =>
    (JSON.parse(await kubectl('-n', ns, 'get', 'pods', ...(selector ? ['-l', selector] : []), '-o', 'json')) as {
      items: { spec: { containers: { image: string }[] }; status: { conditions?: { type: string; status: string }[] } }[];
    }).items.map((p) => ({ images: p.spec.containers.map((c) => c.image), ready: p.status.conditions?.find((c) => c.type === 'Ready')?.status }));

  before(async () => {
    let t = Date.now();
    cluster = await createKwokCluster('bench-smoke');
    kubeVersion = (JSON.parse(await cluster.kubectl(['version', '--output', 'json'])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
    timings.clusterCreateMs = Date.now() - t;
    t = Date.now();
    repo = await startChartRepo();
    timings.chartRepoMs = Date.now() - t;
    helmHome = await mkdtemp(join(tmpdir(), 'helm-home-'));
  });

  after(async () => {
    await cluster?.delete();
    await repo?.stop();
    if (helmHome) await rm(helmHome, { recursive: true, force: true });
  });

  it('brings up a cluster with a Ready fake node', async (t) => {
    t.diagnostic(`cluster create ${timings.clusterCreateMs} ms, chart repo ${timings.chartRepoMs} ms`);
    await kubectl('wait', '--for=condition=Ready', 'node/kwok-node-0', '--timeout=30s');
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
    assert.match(version.serverVersion.gitVersion, /^v1\.\d+\.\d+/);
  });

  it('rolls out a Deployment and lists its Ready pods behind the Service', async () => {
    await kubectl('create', 'namespace', 'smoke');
    await kubectl('-n', 'smoke', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2');
    await kubectl('-n', 'smoke', 'expose', 'deployment', 'web', '--port=80');
    await kubectl('-n', 'smoke', 'rollout', 'status', 'deployment/web', '--timeout=60s');
    let addresses: string[] = [];
    for (let i = 0; i < 50 && addresses.length < 2; i++) {
      const out = await kubectl('-n', 'smoke', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[*].addresses[*]}');
      addresses = out.split(' ').filter(Boolean);
      if (addresses.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(addresses.length, 2, `endpoints: ${addresses.join(',')}`);
  });

  it('serves the fixture charts: helm repo add, update and search', async () => {
    await helm(['repo', 'add', 'bench', repo.url]);
    await helm(['repo', 'update']);
    const found = JSON.parse(await helm(['search', 'repo', 'bench/', '--versions', '-o', 'json'])) as { name: string; version: string }[];
    const versions = (name: string) => found.filter((c) => c.name === name).map((c) => c.version).sort();
    assert.deepEqual(versions('bench/soctalk-system'), ['0.1.0', '0.2.0']);
    assert.deepEqual(versions(JOB_CHART), ['0.1.0', '0.2.0']);
    assert.deepEqual(versions('bench/soctalk-tenant'), ['0.1.0', '0.2.0']);
    assert.deepEqual(versions('bench/opencti'), ['1.13.8', '2.0.19', '2.5.0']);
  });

  it('packages fixture charts that pass helm lint --strict and helm template at every version', async () => {
    for (const c of repo.charts) {
      const tgz = join(repo.dir, `${c.dir.replace(/-\d+$/, '')}-${c.version}.tgz`);
      // The soctalk charts declare kubeVersion >=1.28.0-0, like the real ones: render for this cluster.
      await helm(['lint', '--strict', '--kube-version', kubeVersion, tgz]);
      await helm(['template', 'lint-check', tgz, '--kube-version', kubeVersion]);
    }
  });

  it('routes OpenCTI 2.x workers and connectors as the upgrade guide says', async () => {
    const urls = async (...sets: string[]) => {
      const args = ['template', 'cti', 'bench/opencti', '--version', '2.5.0', '--set', 'connectors[0].name=mitre,connectors[0].enabled=true,connectors[0].image.repository=opencti/connector-mitre'];
      const docs = parseAllDocuments(await helm([...args, ...sets.flatMap((x) => ['--set', x])])).map((d) => d.toJS() as Manifest);
      const url = (component: string) =>
        // The chart labels connectors opencti.connector: <name> only; the rest opencti.component.
        docs.find((d) => d.kind === 'Deployment' && (component === 'connector' ? d.metadata.labels['opencti.connector'] !== undefined : d.metadata.labels['opencti.component'] === component))
          ?.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'OPENCTI_URL')?.value;
      return { worker: url('worker'), connector: url('connector'), deployments: docs.filter((d) => d.kind === 'Deployment').map((d) => d.metadata.name).sort() };
    };
    // The chart's fullname: a release not containing "opencti" is <release>-opencti.
    assert.deepEqual(await urls(), { worker: 'http://cti-opencti-server:80', connector: 'http://cti-opencti-server:80', deployments: ['cti-opencti-mitre-connector', 'cti-opencti-server', 'cti-opencti-worker'] });
    assert.deepEqual(await urls('clustering.enabled=true'), {
      worker: 'http://cti-opencti-ingestion:80', connector: 'http://cti-opencti-frontend:80',
      deployments: ['cti-opencti-frontend', 'cti-opencti-ingestion', 'cti-opencti-mitre-connector', 'cti-opencti-worker'],
    });
    const noFrontend = await urls('clustering.enabled=true', 'clustering.frontend.enabled=false');
    assert.deepEqual([noFrontend.worker, noFrontend.connector], ['http://cti-opencti-ingestion:80', 'http://cti-opencti-ingestion:80']);
    const noIngestion = await urls('clustering.enabled=true', 'clustering.ingestion.enabled=false');
    assert.deepEqual([noIngestion.worker, noIngestion.connector], ['http://cti-opencti-frontend:80', 'http://cti-opencti-frontend:80']);
  });

  it('installs soctalk-system 0.1.0 with helm install --wait', async () => {
    await kubectl('create', 'namespace', NS);
    await helm(['install', RELEASE, JOB_CHART, '--version', '0.1.0', '-n', NS, '--wait', '--timeout', '60s']);
    const status = JSON.parse(await helm(['status', RELEASE, '-n', NS, '-o', 'json'])) as { info: { status: string } };
    assert.equal(status.info.status, 'deployed');
    assert.equal(await kubectl('-n', NS, 'get', 'pvc', 'data-soctalk-system-postgres-0', '-o', 'jsonpath={.status.phase}'), 'Bound');
  });

  it('completes the migration Job rendered from the chart (runbook steps 1-3)', async () => {
    await kubectl('-n', NS, 'delete', 'job', `${RELEASE}-alembic-upgrade`, '--ignore-not-found');
    await cluster.kubectl(['apply', '-n', NS, '-f', '-'], { input: await jobYaml('0.2.0') });
    await kubectl('-n', NS, 'wait', '--for=condition=complete', `job/${RELEASE}-alembic-upgrade`, '--timeout=60s');
  });

  it('runs the migration Job of a -migration-takes-<d> build for that long', async () => {
    await kubectl('-n', NS, 'delete', 'job', `${RELEASE}-alembic-upgrade`, '--ignore-not-found');
    const started = Date.now();
    await cluster.kubectl(['apply', '-n', NS, '-f', '-'], { input: await jobYaml('0.2.0', Build.migrationTakes('0.2.0', '4s')) });
    await kubectl('-n', NS, 'wait', '--for=condition=complete', `job/${RELEASE}-alembic-upgrade`, '--timeout=60s');
    assert.ok(Date.now() - started >= 4_000, `complete after ${Date.now() - started} ms`);
  });

  it('fails the migration Job of a -migration-fails build', async () => {
    await kubectl('-n', NS, 'delete', 'job', `${RELEASE}-alembic-upgrade`, '--ignore-not-found');
    await cluster.kubectl(['apply', '-n', NS, '-f', '-'], { input: await jobYaml('0.2.0', Build.migrationFails('0.2.0')) });
    await kubectl('-n', NS, 'wait', '--for=condition=failed', `job/${RELEASE}-alembic-upgrade`, '--timeout=60s');
    const complete = await kubectl('-n', NS, 'get', 'job', `${RELEASE}-alembic-upgrade`, '-o', 'jsonpath={.status.succeeded}');
    assert.ok(!complete || complete === '0');
  });

  it('makes helm upgrade --wait --timeout 20s fail when the new API pods run an -unready build', async () => {
    const unready = Build.unready('0.2.0');
    await assert.rejects(
      helm(['upgrade', RELEASE, JOB_CHART, '--version', '0.2.0', '-n', NS, '--set', `image.tag=${unready}`, '--wait', '--timeout', '20s']),
      /context deadline exceeded|timed out/,
    );
    const history = JSON.parse(await helm(['history', RELEASE, '-n', NS, '-o', 'json'])) as { revision: number; status: string }[];
    assert.equal(history.at(-1)?.status, 'failed');
    // The old pod keeps serving; the new one runs but is not Ready.
    // The API Deployment's pods (the pre-upgrade hook's Job pod runs the same image and is done).
    const apiPods = await pods(NS, 'app.kubernetes.io/name=soctalk-api');
    assert.deepEqual(apiPods.filter((p) => p.images.some((i) => i.endsWith(`:${unready}`))).map((p) => p.ready), ['False']);
    assert.equal(await kubectl('-n', NS, 'get', 'deployment', `${RELEASE}-api`, '-o', 'jsonpath={.status.readyReplicas}'), '1');
  });

  it('makes a -ready-after-<d> build Ready only after that delay', async () => {
    await kubectl('create', 'namespace', 'slow');
    const started = Date.now();
    await kubectl('-n', 'slow', 'create', 'deployment', 'web', `--image=nginx:${Build.readyAfter('1.27', '4s')}`);
    await kubectl('-n', 'slow', 'rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.ok(Date.now() - started >= 4_000, `Ready after ${Date.now() - started} ms`);
  });

  it('refuses the new pods of a tenant upgrade at admission when the tenant\'s ResourceQuota has no room: the rollout stalls', async () => {
    // The real tenant chart renders tenant-quota; pods "2" fits the two 0.1.0 pods and no surge pod.
    const ns = 'tenant-quota-full';
    await kubectl('create', 'namespace', ns);
    await helm(['install', ns, 'bench/soctalk-tenant', '--version', '0.1.0', '-n', ns, '--set-string', 'resourceQuota.pods=2', '--wait', '--timeout', '60s']);
    await assert.rejects(
      helm(['upgrade', ns, 'bench/soctalk-tenant', '--version', '0.2.0', '-n', ns, '--reuse-values', '--set', 'adapter.image.tag=0.2.0,runsWorker.image.tag=0.2.0', '--wait', '--timeout', '10s']),
      /context deadline exceeded|timed out/,
    );
    const events = await kubectl('-n', ns, 'get', 'events', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}');
    assert.match(events, /exceeded quota: tenant-quota, requested: pods=1, used: pods=2, limited: pods=2/);
    assert.deepEqual((await pods(ns)).map((p) => [p.images.join(','), p.ready]).sort(), [
      ['ghcr.io/soctalk/soctalk-adapter:0.1.0', 'True'],
      ['ghcr.io/soctalk/soctalk-orchestrator:0.1.0', 'True'],
    ]);
  });

  it('marks a VolumeSnapshot of the postgres PVC readyToUse', async () => {
    const snapshot = {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'pre-upgrade', namespace: NS },
      spec: { source: { persistentVolumeClaimName: 'data-soctalk-system-postgres-0' } },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(snapshot) });
    await kubectl('-n', NS, 'wait', '--for=jsonpath={.status.readyToUse}=true', 'volumesnapshot/pre-upgrade', '--timeout=30s');
    const content = await kubectl('-n', NS, 'get', 'volumesnapshot', 'pre-upgrade', '-o', 'jsonpath={.status.boundVolumeSnapshotContentName}');
    assert.equal(await kubectl('get', 'volumesnapshotcontent', content, '-o', 'jsonpath={.status.readyToUse}'), 'true');
  });

  it('starts a throwaway PostgreSQL with the seeded soctalk database', async (t) => {
    const started = Date.now();
    const pg = await startPostgres();
    t.diagnostic(`postgres start ${Date.now() - started} ms`);
    try {
      assert.equal(await pg.psql('SELECT count(*) FROM alerts'), '30');
      assert.equal(await pg.psql('SELECT version_num FROM alembic_version'), '0001_initial');
      const dump = await execa(join(pg.binDir, 'pg_dump'), ['--format=custom', pg.url], { encoding: 'buffer' });
      assert.ok(dump.stdout.length > 0);
    } finally {
      await pg.stop();
    }
  });
});
