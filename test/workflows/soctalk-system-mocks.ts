/**
 * Recorded stand-ins for the activities the SocTalk system runbooks call. Workflow tests
 * prove the orchestration (order, branches, compensation); the activities themselves are
 * tested against real processes elsewhere.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import type { BackupRecord } from '../../src/activities/postgres/backup.js';

export type Call = { name: string; args: unknown };
type Overrides = Partial<Record<keyof Activities, (...args: never[]) => Promise<unknown>>>;

export const backupRecord: BackupRecord = {
  name: 'release_soctalk-system_soctalk-system-pre-upgrade',
  path: '/backups/x.dump',
  sizeBytes: 4096,
  sha256: 'ab'.repeat(32),
  createdAt: '2026-11-22T00:00:00.000Z',
  verifyValue: 'rev_0001',
};

const workloads = [
  { kind: 'Deployment' as const, name: 'soctalk-system-api', images: ['ghcr.io/soctalk/soctalk-api:0.2.0', 'ghcr.io/soctalk/soctalk-api:0.2.0'] },
  { kind: 'StatefulSet' as const, name: 'soctalk-system-postgres', images: ['postgres:16'] },
];
const services = ['soctalk-system-api', 'soctalk-system-postgres'];

/** A target shipping the runbook's Alembic Job. */
export const jobTarget = {
  workloads,
  services,
  migration: { kind: 'job' as const, template: 'templates/jobs/alembic-upgrade.yaml', jobName: 'soctalk-system-alembic-upgrade' },
};
/** The real chart: alembic runs in the API Deployment's db-init initContainer, inside helm upgrade. */
export const initContainerTarget = {
  workloads,
  services,
  migration: { kind: 'in-upgrade' as const, where: ['Deployment/soctalk-system-api initContainer db-init'] },
};

export function systemActivities(overrides: Overrides = {}) {
  const calls: Call[] = [];
  const defaults: Overrides = {
    helmAssertNotLocked: async () => ({
      exists: true,
      status: { name: 'soctalk-system', namespace: 'soctalk-system', revision: 3, status: 'deployed', chartName: 'soctalk-system', chartVersion: '0.1.0' },
      history: [
        { revision: 2, updated: '', status: 'superseded', chart: 'soctalk-system-0.1.0' },
        { revision: 3, updated: '', status: 'deployed', chart: 'soctalk-system-0.1.0' },
      ],
    }),
    checkClusterPrerequisites: async () => ({ checked: ['CRD certificates.cert-manager.io'] }),
    readClusterCapabilities: async () => ({ kubeVersion: 'v1.33.1', apiVersions: ['apps/v1', 'batch/v1', 'v1'] }),
    // The default target ships the runbook's Job; tests of the real chart's initContainer override this.
    inspectTarget: async () => jobTarget,
    checkSystemCompatibility: async () => ({ tenants: [{ release: 'tenant-acme', namespace: 'tenant-acme', chartVersion: '0.1.0' }] }),
    diffRelease: async () => ({
      diff: { added: [], removed: [], changed: ['Deployment/soctalk-system-api'], unchanged: 3, imageChanges: [] },
      summary: '0 added, 1 changed, 0 removed, 3 unchanged',
    }),
    backupDatabase: async () => backupRecord,
    findBackup: async () => backupRecord,
    snapshotVolumes: async () => ({ snapshots: [{ name: 'snap-data', pvc: 'data' }] }),
    deleteMigrationJob: async () => undefined,
    applyMigrationJob: async () => ({ applied: 'job.batch/soctalk-system-alembic-upgrade created' }),
    waitForMigrationJob: async () => ({ jobName: 'soctalk-system-alembic-upgrade', durationMs: 12_000, logsTail: 'INFO  [alembic] Running upgrade a -> b' }),
    helmUpgrade: async () => ({ revision: 4, status: 'deployed', chartVersion: '0.2.0', alreadyDone: false }),
    verifyRenderedRelease: async () => ({ workloads: ['Deployment/soctalk-system-api'], images: ['soctalk-api:0.2.0'], services: ['soctalk-system-api'] }),
    checkHealth: async () => ({ status: 200, url: 'http://api/health/ready' }),
    helmRollback: async () => ({ revision: 5, alreadyDone: false }),
    restoreDatabase: async () => 'restored and verified',
    notify: async () => ({ sent: false }),
  };
  const merged = { ...defaults, ...overrides };
  const activities = Object.fromEntries(
    Object.entries(merged).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        calls.push({ name, args: args[0] });
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  const names = () => calls.map((c) => c.name).filter((n) => n !== 'notify');
  return { activities, calls, names };
}

export const fail = (type: string, message: string) => async () => {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
};

/** A promise the test resolves when it wants a blocked activity to return. */
export function gate<T = void>() {
  let release!: (v: T) => void;
  let entered!: () => void;
  const reached = new Promise<void>((r) => (entered = r));
  const released = new Promise<T>((r) => (release = r));
  return { reached, release, entered: () => entered(), released };
}
