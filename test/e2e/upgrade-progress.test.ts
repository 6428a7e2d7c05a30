// End to end (issue 15, progress in long steps): while `helm upgrade --wait` of a real
// soctalk-system upgrade waits on a KWOK cluster, the real CLI's `runbook status` (text and
// `-o json`) and `runbook watch` show the upgrade step with its elapsed time and the
// ready/desired replicas of the release's real Deployment, as the worker read them from the
// cluster. The new API pods run a `-ready-after-30s` build (test/fixtures/kwok/stages.yaml),
// so with two replicas and a rolling update of one pod at a time the wait lasts about 60 s
// and passes 0/2 and 1/2 ready. The worker is the production entry point in its own process
// (its heartbeat throttle is what makes the details current), the CLI runs as operators run it.
//
//   eval "$(bash scripts/toolchain.sh env)"; node --import tsx --test test/e2e/upgrade-progress.test.ts
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { cliRunner, said, type CliResult } from '../cli/run-cli.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { Build, createKwokCluster, type KwokCluster } from '../helpers/kwok.js';
import { startProductionWorker, toolEnv, type ProductionWorker } from '../helpers/production-worker.js';
import { createLocalEnv, uniqueTaskQueue } from '../helpers/temporal.js';

const RELEASE = 'soctalk-system';
const NS = 'progress';
const API = `${RELEASE}-api`;
const REPO_NAME = 'progress-soctalk';
const REPLICAS = 2;
const STEP = 'upgrade 4: helm upgrade --wait';

interface StatusJson {
  state: string;
  progress: { activity: string; details?: { command?: string; elapsedMs?: number; waitingFor?: string; workloads?: { kind: string; name: string; ready: number; desired: number }[] } }[];
  status: { steps: { name: string; outcome: string; detail?: string }[] } | null;
}

const isWaitingUpgrade = (p: StatusJson['progress'][number]) => p.activity === 'helmUpgrade' && (p.details?.waitingFor ?? '').startsWith('helm upgrade --wait');

/** One look by an operator: what `status` printed, its JSON, and the Deployment as the cluster had it then. */
interface Look {
  text: string;
  json: StatusJson;
  cluster: { desired: number; newPodsReady: number };
}

describe('progress of a slow helm upgrade --wait on KWOK, through the real CLI', { timeout: 8 * 60_000 }, () => {
  let cluster: KwokCluster;
  let repo: ChartRepo;
  let env: TestWorkflowEnvironment;
  let worker: ProductionWorker | undefined;
  let health: Server;
  let tmp: string;
  let cli: ReturnType<typeof cliRunner>;
  const taskQueue = uniqueTaskQueue('progress');

  const kubectl = (...args: string[]) => cluster.kubectl(args);
  /** The API Deployment's desired replicas and the Ready pods of its newest ReplicaSet (the pods helm waits for). */
  async function apiInCluster(): Promise<Look['cluster']> {
    const d = JSON.parse(await kubectl('-n', NS, 'get', 'deployment', API, '-o', 'json')) as { metadata: { uid: string; annotations: Record<string, string> }; spec: { replicas: number } };
    const revision = d.metadata.annotations['deployment.kubernetes.io/revision'];
    const sets = JSON.parse(await kubectl('-n', NS, 'get', 'replicasets', '-o', 'json')) as {
      items: { metadata: { annotations?: Record<string, string>; ownerReferences?: { uid: string }[] }; status: { readyReplicas?: number } }[];
    };
    const current = sets.items.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision && rs.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid));
    return { desired: d.spec.replicas, newPodsReady: current?.status.readyReplicas ?? 0 };
  }

  before(async () => {
    tmp = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'e2e-progress-'));
    health = createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    // Each kept as soon as it is up, so after() stops it even when another one failed to start.
    await Promise.all([createKwokCluster('progress-e2e').then((c) => (cluster = c)), startChartRepo().then((r) => (repo = r)), createLocalEnv().then((e) => (env = e))]);
    const helmHome = { HELM_CONFIG_HOME: join(tmp, 'helm', 'config'), HELM_CACHE_HOME: join(tmp, 'helm', 'cache'), HELM_DATA_HOME: join(tmp, 'helm', 'data') };
    worker = await startProductionWorker({ ...toolEnv(cluster.env), ...helmHome, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue, HOME: tmp, TMPDIR: tmp });
    cli = cliRunner({ TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_CATALOG: 'src/runbook-catalog.ts' });
  });

  after(async () => {
    await worker?.stop();
    await env?.teardown();
    await cluster?.delete();
    await repo?.stop();
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('status and watch show the upgrade step, its elapsed time and the API Deployment going 0/2 -> 1/2 ready while helm waits', async (t) => {
    const values = join(tmp, 'soctalk-system-values.yaml');
    await writeFile(values, stringify({ image: { tag: '0.1.0' }, resources: { api: { replicas: REPLICAS } } }));
    await kubectl('create', 'namespace', NS);
    await execa(cluster.env.HELM_BIN ?? 'helm', ['install', RELEASE, join(repo.dir, 'soctalk-system-0.1.0.tgz'), '-n', NS, '--values', values, '--wait', '--timeout', '60s', '--kubeconfig', cluster.kubeconfig], { env: cluster.env });

    const input = join(tmp, 'input.json');
    await writeFile(
      input,
      JSON.stringify({
        release: RELEASE,
        namespace: NS,
        kube: { kubeconfig: cluster.kubeconfig },
        chart: { ref: `${REPO_NAME}/soctalk-system`, repository: { name: REPO_NAME, url: repo.url } },
        targetVersion: '0.2.0',
        imageTag: Build.readyAfter('0.2.0', '30s'),
        values: { files: [values] },
        backup: { database: { mode: 'none', reason: 'a progress test: the database is not under test' } },
        api: { healthUrl: `http://127.0.0.1:${(health.address() as AddressInfo).port}/health/ready` },
        timeouts: { upgrade: '120s', rollback: '60s', verify: '60s' },
        approval: { required: false },
        requestedBy: 'ria',
      }),
    );
    const started = await cli(['start', 'soctalk-system-upgrade', '--input', input]);
    const id = /started soctalk-system-upgrade as (\S+)/.exec(started.stdout)?.[1];
    assert.ok(id, said(started));
    const watching = cli(['watch', id, '--interval', '1'], { timeoutMs: 5 * 60_000 });

    // Look like an operator, again and again (each look starts two CLI processes), until the run has ended.
    const looks: Look[] = [];
    let last: CliResult | undefined;
    for (const deadline = Date.now() + 4 * 60_000; Date.now() < deadline; await sleep(250)) {
      const [text, json] = await Promise.all([cli(['status', id]), cli(['status', id, '-o', 'json'])]);
      last = text;
      const parsed = JSON.parse(json.stdout) as StatusJson;
      if (parsed.state !== 'running') break;
      // The activity also reads the release (helm history) and adds the repository first: only helm upgrade itself waits.
      if (parsed.progress.some(isWaitingUpgrade)) looks.push({ text: text.stdout, json: parsed, cluster: await apiInCluster() });
    }
    assert.ok(last && last.exitCode === 0, `the run completed\n${last ? said(last) : ''}`);

    // What operators read under "In progress:" (the command line left out: it is long).
    const lines = looks.flatMap((l) => l.text.split('\n').slice(l.text.split('\n').indexOf('In progress:') + 1).filter((x) => !/command: /.test(x)));
    t.diagnostic(`${looks.length} looks at status during helm upgrade --wait:\n${lines.join('\n')}`);
    assert.ok(looks.length >= 2, `status showed the upgrade's progress ${looks.length} times`);
    // Text and JSON come from two CLI processes a moment apart: each is checked on its own.
    const waitingLine = new RegExp(`^In progress:\\n {2}helmUpgrade: waiting for helm upgrade --wait: the workloads of ${RELEASE} to be ready: \\d+s elapsed\\n {4}command: .*\\n {4}Deployment/${API}: [0-2]/2 ready`, 'm');
    assert.ok(looks.some((l) => waitingLine.test(l.text)), `status text shows the step, its elapsed time and the Deployment:\n${lines.join('\n')}`);
    for (const look of looks) {
      const upgrade = look.json.progress.find(isWaitingUpgrade)!;
      assert.match(upgrade.details?.command ?? '', new RegExp(`helm upgrade .*-- ${RELEASE} ${REPO_NAME}/soctalk-system`), 'the command running now');
      assert.equal(typeof upgrade.details?.elapsedMs, 'number');
    }
    // The Deployment as the worker read it from the cluster, in text and JSON alike.
    const readings = looks.flatMap((l) => {
      const w = l.json.progress.find(isWaitingUpgrade)!.details?.workloads?.find((x) => x.kind === 'Deployment' && x.name === API);
      return w ? [{ ...w, look: l }] : [];
    });
    const firstNew = readings.findIndex((r) => r.ready === 0);
    assert.ok(firstNew >= 0, `a reading with no new pod ready yet: ${readings.map((r) => `${r.ready}/${r.desired}`).join(', ')}`);
    // Readings before helm applied the new spec show the old revision, rightly; from then on
    // ready only grows, so a reading never exceeds what the cluster had a moment later.
    for (const r of readings.slice(firstNew)) {
      assert.equal(r.desired, r.look.cluster.desired, 'desired replicas are the Deployment\'s spec.replicas');
      // The worker reads every 5 s: never ahead of the cluster, never far behind it.
      assert.ok(r.ready <= r.look.cluster.newPodsReady, `read ${r.ready} ready, the cluster had ${r.look.cluster.newPodsReady}`);
    }
    const seen = [...new Set(readings.slice(firstNew).map((r) => `${r.ready}/${r.desired}`))];
    assert.ok(seen.every((x, i) => i === 0 || Number(x[0]) > Number(seen[i - 1]![0])), `ready only grows once the new pods roll: ${seen.join(' -> ')}`);
    const elapsed = looks.map((l) => l.json.progress.find(isWaitingUpgrade)!.details!.elapsedMs!);
    assert.ok(elapsed.every((ms, i) => i === 0 || ms >= elapsed[i - 1]!), `elapsed time grows while helm waits: ${elapsed.join(', ')} ms`);

    // The final state: the step succeeded, the cluster runs 2/2 of the new build.
    const final = JSON.parse((await cli(['status', id, '-o', 'json'])).stdout) as StatusJson;
    assert.equal(final.state, 'completed');
    assert.deepEqual(final.progress, [], 'nothing is pending any more');
    assert.match(final.status?.steps.find((s) => s.name === STEP)?.detail ?? '', /revision 2 \(deployed\)/);
    assert.deepEqual(await apiInCluster(), { desired: REPLICAS, newPodsReady: REPLICAS });

    const watched = await watching;
    assert.equal(watched.exitCode, 0, said(watched));
    t.diagnostic(`watch printed:\n${watched.stdout.split('\n').filter((x) => x.includes('helmUpgrade')).join('\n')}`);
    assert.match(watched.stdout, new RegExp(`helmUpgrade: waiting for helm upgrade --wait: the workloads of ${RELEASE} to be ready: \\d+s: Deployment/${API} 0/2`));
    // watch prints every change: the whole progression, 0/2 then 1/2 (status, looked at less often, saw part of it).
    assert.match(watched.stdout, new RegExp(`Deployment/${API} 0/2[^\\n]*\\n(.*\\n)*.*Deployment/${API} 1/2`));
  });
});
