/**
 * Recorded stand-ins for the activities the SocTalk tenant and fleet upgrades call. Each
 * tenant can be told to fail, or to hold inside its `helm upgrade` until the test lets it
 * go (to pause, abort or skip while tenants are in flight).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import type { CompatibilityMatrix } from '../../src/domain/soctalk/compatibility.js';
import { offsetPage } from '../helpers/paged-list.js';

export type Call = { name: string; args: Record<string, unknown> };

export const matrix: CompatibilityMatrix = {
  systemVersions: {
    '0.1.0': { tenantChart: '>=0.1.0 <0.2.0' },
    '0.2.0': { tenantChart: '>=0.1.0 <0.3.0' },
  },
};

export interface TenantMockOptions {
  tenants?: string[];
  systemVersion?: string;
  /** Tenants whose rollout fails (on every attempt, or only the first `failTimes`). */
  failing?: string[];
  failTimes?: number;
  /** Tenants held inside helm upgrade until `release(tenant)`. */
  hold?: string[];
  heartbeats?: { at?: string; version?: string }[];
  overrides?: Partial<Record<keyof Activities, (args: never) => Promise<unknown>>>;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const tenantOf = (args: Record<string, unknown>): string => text(args.tenant) || (text(args.namespace) || text(args.release)).replace(/^tenant-/, '');

export function tenantMocks(opts: TenantMockOptions = {}) {
  const calls: Call[] = [];
  const failures = new Map<string, number>();
  const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const gate = (t: string) => {
    let g = gates.get(t);
    if (!g) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      g = { promise, resolve };
      gates.set(t, g);
    }
    return g;
  };
  let heartbeatIndex = 0;
  const revisions = new Map<string, number>();

  const defaults: Record<string, (args: never) => Promise<unknown>> = {
    // Pages like the API server: `limit` names, then a token for the rest.
    listTenantNamespacePage: async (args: { limit: number; continueToken?: string }) =>
      offsetPage(['default', ...(opts.tenants ?? ['acme']).map((t) => `tenant-${t}`)], args.limit, args.continueToken),
    loadCompatibilityMatrix: async () => matrix,
    helmReleaseState: async (args: { release: string; namespace: string }) => {
      if (args.release === 'soctalk-system') {
        return { exists: true, status: { name: 'soctalk-system', namespace: 'soctalk-system', revision: 7, status: 'deployed', chartVersion: opts.systemVersion ?? '0.2.0' }, history: [] };
      }
      const revision = revisions.get(args.release) ?? 3;
      return { exists: true, status: { name: args.release, namespace: args.namespace, revision, status: revision === 3 ? 'deployed' : 'failed', chartVersion: '0.1.0' }, history: [] };
    },
    helmAssertNotLocked: async (args: { release: string; namespace: string }) => ({
      exists: true,
      status: { name: args.release, namespace: args.namespace, revision: 3, status: 'deployed', chartVersion: '0.1.0' },
      history: [],
    }),
    tenantHelmUpgrade: async (args: { tenant: string; release: string; version: string }) => {
      if (opts.hold?.includes(args.tenant)) await gate(args.tenant).promise;
      revisions.set(args.release, 4);
      return { revision: 4, status: 'deployed', chartVersion: args.version, alreadyDone: false, valuesSource: 'command', valuesSha256: 'ab'.repeat(32), valuesBytes: 120 };
    },
    rolloutStatus: async (args: { namespace: string; target: string }) => {
      const t = args.namespace.replace(/^tenant-/, '');
      if (opts.failing?.includes(t)) {
        const n = failures.get(t) ?? 0;
        failures.set(t, n + 1);
        if (opts.failTimes === undefined || n < opts.failTimes) {
          throw ApplicationFailure.create({ type: 'RolloutTimeout', nonRetryable: true, message: `${args.target} in ${args.namespace} did not become ready` });
        }
      }
      return `deployment "${args.target.replace('deploy/', '')}" successfully rolled out`;
    },
    releaseDeployments: async () => ['soctalk-adapter', 'soctalk-runs-worker'],
    readClusterCapabilities: async () => ({ kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] }),
    tenantInspectTarget: async (args: { version: string }) => ({
      workloads: [
        { kind: 'Deployment', name: 'soctalk-adapter', images: [`ghcr.io/soctalk/soctalk-adapter:${args.version}`] },
        { kind: 'Deployment', name: 'soctalk-runs-worker', images: [`ghcr.io/soctalk/soctalk-orchestrator:${args.version}`] },
      ],
      services: ['soctalk-adapter'],
    }),
    verifyRenderedRelease: async (args: { workloads: { kind: string; name: string; images: string[] }[]; services: string[] }) => ({
      workloads: args.workloads.map((w) => `${w.kind}/${w.name}`),
      images: args.workloads.flatMap((w) => w.images),
      services: args.services,
    }),
    helmRollback: async (args: { release: string }) => {
      revisions.set(args.release, 3);
      return { revision: 5, alreadyDone: false };
    },
    adapterHeartbeat: async () => {
      const list = opts.heartbeats ?? [{ at: new Date(Date.now() + 3_600_000).toISOString(), version: '0.2.1' }];
      const hb = list[Math.min(heartbeatIndex, list.length - 1)]!;
      heartbeatIndex += 1;
      return hb;
    },
    checkAlertFlow: async () => 'http://soctalk/api/alerts/flow answered HTTP 200',
    snapshotVolumes: async (args: { namePrefix: string }) => ({ snapshots: [{ name: `${args.namePrefix}-data`, pvc: 'soctalk-tenant-data' }] }),
    restoreVolumes: async () => ({ restored: ['soctalk-tenant-data'] }),
    notify: async () => ({ sent: false }),
  };
  const merged = { ...defaults, ...(opts.overrides ?? {}) };
  const activities = Object.fromEntries(
    Object.entries(merged).map(([name, fn]) => [
      name,
      async (args: Record<string, unknown>) => {
        calls.push({ name, args });
        return (fn as (a: unknown) => Promise<unknown>)(args);
      },
    ]),
  );
  return {
    activities,
    calls,
    /** Lets a held tenant's helm upgrade return. */
    release: (tenant: string) => gate(tenant).resolve(),
    /** Tenants whose upgrade started (in order). */
    upgraded: () => calls.filter((c) => c.name === 'tenantHelmUpgrade').map((c) => tenantOf(c.args)),
    rolledBack: () => calls.filter((c) => c.name === 'helmRollback').map((c) => tenantOf(c.args)),
  };
}

/** The upgrade spec every test shares. */
export const upgradeSpec = {
  version: '0.2.1',
  compatibility: { file: '/etc/soctalk/compatibility.yaml' },
};

/** Kept for tests that import it from here; the harness owns it. */
export { eventually } from '../helpers/workflow-harness.js';
