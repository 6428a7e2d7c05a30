/**
 * Mock activities for the OpenCTI workflow tests: plain functions under the real activity
 * names, recording every call. The values plan is the real activity (pure migration over
 * the fixture values files); cluster reads and helm are scripted per test.
 */
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import { CommandRunner, toolPathsFromEnv } from '../../src/activities/command.js';
import { createOpenctiActivities } from '../../src/activities/opencti/activities.js';
import { createHelmActivities, type HelmActivities, type ReleaseState } from '../../src/activities/helm/activities.js';
import { renderedTopology, releaseObjects } from '../../src/domain/opencti/manifest.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { fixturesDir } from '../helpers/paths.js';
import { testTempDir } from '../helpers/temp-dir.js';

export const valuesFile = (name: string) => `${fixturesDir}opencti-values/${name}.yaml`;

interface Block {
  enabled: boolean;
  replicaCount: number;
  env: Record<string, unknown>;
  ingress: { enabled: boolean; className: string };
}

/** The parts of generated values the tests read (a cast: the file is checked field by field). */
export interface GeneratedValues {
  clustering: { enabled: boolean; frontend: Block; ingestion: Block };
  ingress: { enabled: boolean; hosts: unknown };
  env: Record<string, unknown>;
  connectorsGlobal: unknown;
  rabbitmq: { auth: { password: string } };
}

/** The values a helmUpgrade call was given: the generated values, made inside the apply activity (no file from another one). */
export function upgradeValues(args: Record<string, unknown>): GeneratedValues {
  const values = args.values as { files: string[]; set: Record<string, string>; inline?: unknown };
  if (values.files.length !== 0 || values.inline === undefined || Object.keys(values.set).length > 0) throw new Error(`expected the generated values only, got ${JSON.stringify(values)}`);
  return structuredClone(values.inline) as GeneratedValues;
}

export interface Call {
  name: string;
  args: Record<string, unknown>;
}

/** What a step does instead of succeeding: fail with a typed failure, or take real time (to abort it). */
export type Script = { fail: { type: string; message: string; retryable?: boolean } } | { delayMs: number };

export interface OpenctiMockOptions {
  revision?: number;
  chartVersion?: string;
  history?: number[];
  locked?: boolean;
  missing?: boolean;
  /** The live revision: this fixture chart rendered with these values (default: opencti-1 with ingress-tls.yaml on a 1.x chartVersion, else opencti-2 with clustering.yaml). */
  live?: { chart: 'opencti-1' | 'opencti-2'; values: string[] };
  /** Per activity name: how it behaves (default: succeeds at once). */
  script?: Partial<Record<keyof Activities, Script>>;
}

export function verificationFailed(message: string, retryable = false): Script {
  return { fail: { type: FailureType.VerificationFailed, message, retryable } };
}

const realRunner = new CommandRunner({ tools: toolPathsFromEnv() });
const realHelm = createHelmActivities({ runner: realRunner, workDir: tmpdir() });
const packaged = new Map<string, Promise<string>>();

/** The 2.x fixture chart packaged at `version` (helm ignores --version for a directory), once per process. */
function fixtureChart(version: string | undefined): Promise<string> {
  const v = version && /^\d+\.\d+\.\d+$/.test(version) ? version : '2.5.0';
  let p = packaged.get(v);
  if (!p) {
    p = (async () => {
      const { execa } = await import('execa');
      const dir = await testTempDir('opencti-wf-chart');
      const chart = v.startsWith('1.') ? 'opencti-1' : 'opencti-2';
      await execa(toolPathsFromEnv().helm ?? 'helm', ['package', `${fixturesDir}charts/${chart}`, '--version', v, '--destination', dir]);
      return `${dir}/opencti-${v}.tgz`;
    })();
    packaged.set(v, p);
  }
  return p;
}

export function openctiMocks(options: OpenctiMockOptions = {}) {
  const calls: Call[] = [];
  let revision = options.revision ?? 3;
  let lastFailed = false;
  const history = (options.history ?? [1, 2, 3]).map((r) => ({ revision: r, updated: '2026-11-20T10:00:00Z', status: r === revision ? 'deployed' : 'superseded', chart: r < 3 ? 'opencti-1.13.8' : 'opencti-2.5.0' }));
  const state = (): ReleaseState =>
    options.missing
      ? { exists: false, history: [] }
      : {
          exists: true,
          status: { name: 'opencti', namespace: 'opencti', revision, status: options.locked ? 'pending-upgrade' : lastFailed ? 'failed' : 'deployed', chartName: 'opencti', chartVersion: options.chartVersion ?? '2.5.0' },
          history,
        };
  const act =
    <A, R>(name: keyof Activities, body: (args: A) => R | Promise<R>) =>
    async (args: A): Promise<R> => {
      calls.push({ name, args: args as Record<string, unknown> });
      const s = options.script?.[name];
      if (s && 'delayMs' in s) await sleep(s.delayMs);
      if (s && 'fail' in s) {
        // As helm does: a failed upgrade still records its revision, as failed.
        if (name === 'helmUpgrade') {
          revision += 1;
          lastFailed = true;
        }
        throw ApplicationFailure.create({ type: s.fail.type, message: s.fail.message, nonRetryable: !s.fail.retryable });
      }
      if (name === 'helmRollback' || name === 'helmUpgrade') lastFailed = false;
      return body(args);
    };

  // The plan and apply activities are the real ones over real helm (template of the fixture
  // charts); only what needs a cluster is scripted: the live manifest and the upgrade itself.
  const live =
    options.live ??
    (options.chartVersion?.startsWith('1.') ? { chart: 'opencti-1' as const, values: [valuesFile('ingress-tls')] } : { chart: 'opencti-2' as const, values: [valuesFile('clustering')] });
  const liveManifest = () =>
    realHelm.helmTemplate({ release: 'opencti', namespace: 'opencti', kube: {}, chart: { ref: `${fixturesDir}charts/${live.chart}` }, values: { files: live.values, set: {} } });
  const helm = {
    ...realHelm,
    helmGetManifest: () => liveManifest(),
    // The runbook's repository chart is the fixture chart at the requested version.
    helmTemplate: async (req: Parameters<HelmActivities['helmTemplate']>[0]) => realHelm.helmTemplate({ ...req, chart: { ref: await fixtureChart(req.version) } }),
    helmUpgrade: (req: Parameters<HelmActivities['helmUpgrade']>[0]) => activities.helmUpgrade(req),
  } as HelmActivities;
  const real = createOpenctiActivities({ runner: realRunner, helm, env: {} });

  const activities = {
    helmAssertNotLocked: act('helmAssertNotLocked', () => {
      if (options.locked) {
        throw ApplicationFailure.create({ type: FailureType.ReleaseLocked, nonRetryable: true, message: `release opencti in opencti is locked in pending-upgrade at revision ${revision}` });
      }
      return state();
    }),
    helmReleaseState: act('helmReleaseState', () => state()),
    helmRepoSync: act('helmRepoSync', () => undefined),
    helmUpgrade: act('helmUpgrade', (a: { version?: string }) => {
      revision += 1;
      return { revision, status: 'deployed', chartVersion: a.version ?? '2.5.0', alreadyDone: false };
    }),
    helmRollback: act('helmRollback', () => {
      revision += 1;
      return { revision, alreadyDone: false };
    }),
    readClusterCapabilities: act('readClusterCapabilities', () => ({ kubeVersion: 'v1.36.1', apiVersions: ['apps/v1', 'autoscaling/v2', 'networking.k8s.io/v1', 'v1'] })),
    openctiPlanValues: act('openctiPlanValues', (a: Parameters<typeof real.openctiPlanValues>[0]) => real.openctiPlanValues(a)),
    openctiApplyValues: act('openctiApplyValues', (a: Parameters<typeof real.openctiApplyValues>[0]) => real.openctiApplyValues(a)),
    openctiLiveTopology: act('openctiLiveTopology', async () => renderedTopology(releaseObjects(await liveManifest(), 'opencti'))),
    openctiVerifyLeft: act('openctiVerifyLeft', () => `revision ${revision} deployed`),
    openctiCheckPromise: act('openctiCheckPromise', (a: { promise: Array<{ name: string; value: string }> }) => ({ checked: a.promise.map((p) => `${p.name}=${p.value}`) })),
    openctiCheckPods: act('openctiCheckPods', () => ({ total: 4, ready: 4, byComponent: {} })),
    openctiCheckDeployments: act('openctiCheckDeployments', (a: { expect: Array<{ name: string; replicas: number }> }) => ({
      deployments: a.expect.map((e) => ({ name: e.name, ready: e.replicas, desired: e.replicas })),
    })),
    openctiCheckServices: act('openctiCheckServices', (a: { services: string[] }) => ({ services: a.services.map((name) => ({ name, readyEndpoints: 1 })) })),
    openctiCheckIngresses: act('openctiCheckIngresses', (a: { ingresses: Array<{ name: string; hosts: string[] }> }) => ({ checked: a.ingresses.map((i) => ({ name: i.name, hosts: i.hosts })) })),
    openctiCheckRouting: act('openctiCheckRouting', (a: { routes: Array<{ deployment: string; role: string; url?: string }> }) => ({
      checked: a.routes.map((r) => ({ deployment: r.deployment, role: r.role, url: r.url })),
    })),
    notify: act('notify', () => ({ sent: true })),
    openctiCheckHealth: act('openctiCheckHealth', (a: { targets: Array<{ component: string; service: string; port?: number }> }) => ({
      checked: a.targets.map((t) => ({ component: t.component, status: 200, url: `http://${t.service}.opencti.svc:${t.port ?? 80}/health` })),
    })),
  };
  return {
    activities,
    calls,
    /** Activity calls in order, notifications left out (they go out in the background). */
    names: () => calls.filter((c) => c.name !== 'notify').map((c) => c.name),
    notifications: () => calls.filter((c) => c.name === 'notify').map((c) => c.args as { kind: string; summary: string }),
  };
}

export const common = {
  release: 'opencti',
  namespace: 'opencti',
  chart: { ref: 'opencti/opencti', repository: { name: 'opencti', url: 'https://devops-ia.github.io/helm-opencti' } },
  health: { accessKey: { secretRef: { name: 'opencti-credentials', key: 'APP__HEALTH_ACCESS_KEY' } } },
};

export const noApproval = { approval: { required: false } };
