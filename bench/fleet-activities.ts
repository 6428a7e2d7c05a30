/**
 * Benchmark activities (never used in production): the worker loads this module only when
 * UPGRADE_RUNBOOKS_BENCH_ACTIVITIES names it, which only bench/*.ts does. A SocTalk fleet
 * of BENCH_TENANTS tenants, already on a system release that allows the target, where
 * every activity takes BENCH_ACTIVITY_MS (0: instant) and succeeds.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { CompatibilityMatrix } from '../src/domain/soctalk/compatibility.js';
import { offsetPage } from '../test/helpers/paged-list.js';

export const benchSlug = (i: number) => `bench-${String(i).padStart(5, '0')}`;

export function createBenchActivities(env: NodeJS.ProcessEnv = process.env) {
  const tenants = Number(env.BENCH_TENANTS ?? 1000);
  const ms = Number(env.BENCH_ACTIVITY_MS ?? 0);
  const namespaces = Array.from({ length: tenants }, (_, i) => `tenant-${benchSlug(i)}`);
  const matrix: CompatibilityMatrix = { systemVersions: { '0.2.0': { tenantChart: '>=0.1.0 <0.3.0' } } };
  const work = async <T>(value: T): Promise<T> => {
    if (ms > 0) await delay(ms);
    return value;
  };
  const release = (args: { release: string; namespace: string }, revision: number, version: string) => ({
    exists: true,
    status: { name: args.release, namespace: args.namespace, revision, status: 'deployed', chartVersion: version },
    history: [],
  });
  return {
    listTenantNamespacePage: (a: { limit: number; continueToken?: string }) => work(offsetPage(namespaces, a.limit, a.continueToken)),
    loadCompatibilityMatrix: () => work(matrix),
    helmReleaseState: (a: { release: string; namespace: string }) => work(release(a, 3, a.release === 'soctalk-system' ? '0.2.0' : '0.1.0')),
    helmAssertNotLocked: (a: { release: string; namespace: string }) => work(release(a, 3, '0.1.0')),
    tenantHelmUpgrade: (a: { version: string }) =>
      work({ revision: 4, status: 'deployed', chartVersion: a.version, alreadyDone: false, valuesSource: 'command', valuesSha256: '0'.repeat(64), valuesBytes: 100 }),
    rolloutStatus: () => work('successfully rolled out'),
    releaseDeployments: () => work(['soctalk-adapter', 'soctalk-runs-worker']),
    readClusterCapabilities: () => work({ kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'v1'] }),
    tenantInspectTarget: (a: { version: string }) =>
      work({
        workloads: [
          { kind: 'Deployment', name: 'soctalk-adapter', images: [`ghcr.io/soctalk/soctalk-adapter:${a.version}`] },
          { kind: 'Deployment', name: 'soctalk-runs-worker', images: [`ghcr.io/soctalk/soctalk-orchestrator:${a.version}`] },
        ],
        services: ['soctalk-adapter'],
      }),
    verifyRenderedRelease: (a: { workloads: { kind: string; name: string; images: string[] }[]; services: string[] }) =>
      work({ workloads: a.workloads.map((w) => `${w.kind}/${w.name}`), images: a.workloads.flatMap((w) => w.images), services: a.services }),
    notify: () => work({ sent: false }),
    helmRollback: () => work({ revision: 5, alreadyDone: false }),
  };
}
