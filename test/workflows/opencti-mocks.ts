/**
 * Mock activities for the OpenCTI workflow tests: plain functions under the real activity
 * names, recording every call. The values plan is the real activity (pure migration over
 * the fixture values files); cluster reads and helm are scripted per test.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import type { CommandRunner } from '../../src/activities/command.js';
import { createOpenctiActivities } from '../../src/activities/opencti/activities.js';
import type { ReleaseState } from '../../src/activities/helm/activities.js';
import { FailureType } from '../../src/domain/failure-types.js';
import { fixturesDir } from '../helpers/paths.js';

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

/** The values a helmUpgrade call was given: its one generated file, read back. */
export function upgradeValues(args: Record<string, unknown>): GeneratedValues {
  const values = args.values as { files: string[]; set: Record<string, string>; inline?: unknown };
  if (values.files.length !== 1 || values.inline !== undefined || Object.keys(values.set).length > 0) throw new Error(`expected one generated values file, got ${JSON.stringify(values)}`);
  return parse(readFileSync(values.files[0]!, 'utf8')) as GeneratedValues;
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
  /** Per activity name: how it behaves (default: succeeds at once). */
  script?: Partial<Record<keyof Activities, Script>>;
}

export function verificationFailed(message: string, retryable = false): Script {
  return { fail: { type: FailureType.VerificationFailed, message, retryable } };
}

export function openctiMocks(options: OpenctiMockOptions = {}) {
  const calls: Call[] = [];
  let revision = options.revision ?? 3;
  const history = (options.history ?? [1, 2, 3]).map((r) => ({ revision: r, updated: '2026-11-20T10:00:00Z', status: r === revision ? 'deployed' : 'superseded', chart: r < 3 ? 'opencti-1.0.0' : 'opencti-2.0.0' }));
  const state = (): ReleaseState =>
    options.missing
      ? { exists: false, history: [] }
      : {
          exists: true,
          status: { name: 'opencti', namespace: 'opencti', revision, status: options.locked ? 'pending-upgrade' : 'deployed', chartName: 'opencti', chartVersion: options.chartVersion ?? '2.0.0' },
          history,
        };
  const real = createOpenctiActivities({ runner: {} as CommandRunner, valuesDir: `${tmpdir()}/opencti-workflow-tests-${process.pid}` });

  const act =
    <A, R>(name: keyof Activities, body: (args: A) => R | Promise<R>) =>
    async (args: A): Promise<R> => {
      calls.push({ name, args: args as Record<string, unknown> });
      const s = options.script?.[name];
      if (s && 'delayMs' in s) await sleep(s.delayMs);
      if (s && 'fail' in s) throw ApplicationFailure.create({ type: s.fail.type, message: s.fail.message, nonRetryable: !s.fail.retryable });
      return body(args);
    };

  const activities = {
    helmAssertNotLocked: act('helmAssertNotLocked', () => {
      if (options.locked) {
        throw ApplicationFailure.create({ type: FailureType.ReleaseLocked, nonRetryable: true, message: `release opencti in opencti is locked in pending-upgrade at revision ${revision}` });
      }
      return state();
    }),
    helmReleaseState: act('helmReleaseState', () => state()),
    helmRepoSync: act('helmRepoSync', () => undefined),
    helmUpgrade: act('helmUpgrade', () => {
      revision += 1;
      return { revision, status: 'deployed', chartVersion: '2.0.0', alreadyDone: false };
    }),
    helmRollback: act('helmRollback', () => {
      revision += 1;
      return { revision, alreadyDone: false };
    }),
    openctiPlanValues: act('openctiPlanValues', (a: Parameters<typeof real.openctiPlanValues>[0]) => real.openctiPlanValues(a)),
    openctiCheckPods: act('openctiCheckPods', () => ({ total: 4, ready: 4, byComponent: {} })),
    openctiCheckDeployments: act('openctiCheckDeployments', (a: { expect: Array<{ name: string; replicas: number }> }) => ({
      deployments: a.expect.map((e) => ({ name: e.name, ready: e.replicas, desired: e.replicas })),
    })),
    openctiCheckServices: act('openctiCheckServices', (a: { services: string[] }) => ({ services: a.services.map((name) => ({ name, readyEndpoints: 1 })) })),
    openctiCheckIngress: act('openctiCheckIngress', (a: { name: string }) => ({ name: a.name, hosts: ['cti.example.com'] })),
    openctiCheckRouting: act('openctiCheckRouting', () => ({ checked: [{ deployment: 'opencti-worker', component: 'worker', url: 'http://opencti-ingestion:80' }] })),
    notify: act('notify', () => ({ sent: true })),
    openctiCheckHealth: act('openctiCheckHealth', (a: { components: string[] }) => ({
      checked: a.components.map((component) => ({ component, status: 200, url: `http://opencti-${component}.opencti.svc:80/health` })),
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
