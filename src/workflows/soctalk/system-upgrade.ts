/**
 * "Upgrade soctalk-system (install-level)" from the SocTalk upgrade runbook, preceded by
 * its pre-flight checklist. Order matters: the Alembic Job runs and completes before the
 * chart upgrade, so the new API pods start against a migrated schema and `helm upgrade
 * --wait` can succeed. Migrations are forward-only and helm rollback does not revert them:
 * once the migration has started, any failure or abort restores the database from the
 * pre-upgrade backup, and once the upgrade has started, helm rolls back first.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { BackupRecord } from '../../activities/postgres/backup.js';
import type { SnapshotRef } from '../../activities/snapshots.js';
import type { ManifestDiff } from '../../domain/manifest-diff.js';
import { backupNameOf } from '../../domain/backup-name.js';
import { FailureType } from '../../domain/failure-types.js';
import { SystemUpgradeInputSchema, type SystemUpgradeInput } from '../../domain/soctalk/system-upgrade-input.js';
import { parseRunInput } from '../../domain/validate.js';
import { longStepProfile, notifyProfile, readProfile, writeProfile } from '../lib/activity-profiles.js';
import { backupStepProfile } from './backup-profile.js';
import { refuse } from '../lib/errors.js';
import { Run } from '../lib/run.js';

const read = proxyActivities<Activities>(readProfile);
const write = proxyActivities<Activities>(writeProfile);
const { notify } = proxyActivities<Activities>(notifyProfile);
const long = (timeoutMs: number) => proxyActivities<Activities>(longStepProfile(timeoutMs));

export interface SystemUpgradeResult {
  release: string;
  namespace: string;
  dryRun: boolean;
  fromRevision: number;
  fromVersion?: string;
  toVersion: string;
  revision?: number;
  diff: { summary: string; diff: ManifestDiff };
  backup?: BackupRecord;
  snapshots: SnapshotRef[];
  migration?: { jobName: string; durationMs: number; logsTail: string } | 'skipped';
}

export async function soctalkSystemUpgrade(rawInput: unknown): Promise<SystemUpgradeResult> {
  const input = parseRunInput(SystemUpgradeInputSchema, rawInput, 'soctalk-system upgrade');
  const { release, namespace, kube } = input;
  const releaseRef = { release, namespace, kube };
  const chartRequest = {
    ...releaseRef,
    chart: input.chart,
    version: input.targetVersion,
    values: input.values,
    setString: { 'image.tag': input.imageTag },
  };
  const workflowId = workflowInfo().workflowId;
  // Backups and snapshots belong to this run: the next run on the release never adopts them.
  const backupName = backupNameOf(workflowId, workflowInfo().runId);
  const run = new Run({
    runbook: 'soctalk-system-upgrade',
    release,
    namespace,
    targetVersion: input.targetVersion,
    requestedBy: input.requestedBy,
    approval: input.approval,
    searchAttributes: input.searchAttributes,
    notify,
    approveHint: `runbook approve ${workflowId}${input.schemaChanges ? ' --ack-schema-changes' : ''}`,
  });

  return run.execute(async () => {
    // ---- Pre-flight checklist ----------------------------------------------------------
    run.setPhase('preflight');
    const live = await run.step('pre-flight: live release (helm status, helm history)', () => read.helmAssertNotLocked(releaseRef), {
      detail: (s) => (s.status ? `revision ${s.status.revision}, ${s.status.status}, chart ${s.status.chartName}-${s.status.chartVersion}` : 'not installed'),
    });
    if (!live.exists || !live.status) {
      throw refuse(FailureType.NotFound, `release ${release} is not installed in ${namespace}: install it before upgrading`);
    }
    const from = live.status;
    run.fact('liveRelease', from);

    await run.step('pre-flight: cluster prerequisites', () => read.checkClusterPrerequisites({ kube, ...input.prerequisites }), {
      detail: (r) => (r.checked.length ? r.checked.join(', ') : 'none required'),
    });

    if (input.compatibility) {
      const matrix = input.compatibility;
      await run.step(
        '2. verify the compatibility matrix',
        () => read.checkSystemCompatibility({ matrix, kube, from: from.chartVersion, to: input.targetVersion, ...input.tenants }),
        { detail: (r) => `${r.tenants.length} tenant release(s) supported by ${input.targetVersion}` },
      );
    } else {
      run.skip('2. verify the compatibility matrix', 'no compatibility matrix configured (input.compatibility)');
    }

    const diff = await run.step('4. dry-run diff (rendered target vs helm get manifest)', () => read.diffRelease(chartRequest), {
      detail: (d) => d.summary.split('\n')[0],
    });
    run.fact('diff', diff);

    const result: SystemUpgradeResult = {
      release,
      namespace,
      dryRun: input.dryRun,
      fromRevision: from.revision,
      ...(from.chartVersion ? { fromVersion: from.chartVersion } : {}),
      toVersion: input.targetVersion,
      diff,
      snapshots: [],
    };
    if (input.dryRun) {
      run.fact('plan', planOf(input));
      return result;
    }

    run.setPhase('backup');
    const database = input.backup.database;
    let backup: BackupRecord | undefined;
    if (database.mode === 'none') {
      run.skip('3. back up Postgres', `no backup by decision: ${database.reason}`);
    } else {
      backup = await run.step(
        '3. back up Postgres',
        () =>
          proxyActivities<Activities>(backupStepProfile(input.timeouts.backup)).backupDatabase({
            namespace,
            kube,
            database,
            name: backupName,
            directory: input.backup.directory,
            verifyQuery: input.backup.verifyQuery,
            timeoutMs: input.timeouts.backup,
          }),
        { detail: (b) => `${b.name}: ${b.sizeBytes} bytes, sha256 ${b.sha256.slice(0, 12)}` },
      );
      result.backup = backup;
      run.fact('backup', backup);
    }
    const snapshotSpec = input.backup.volumeSnapshots;
    if (snapshotSpec) {
      const snaps = await run.step(
        '3. snapshot PVCs',
        () =>
          long(input.timeouts.backup).snapshotVolumes({
            namespace,
            kube,
            selector: snapshotSpec.selector,
            namePrefix: backupName,
            snapshotClass: snapshotSpec.snapshotClass,
            timeoutMs: input.timeouts.backup,
          }),
        { detail: (s) => s.unsupported ?? `${s.snapshots.length} VolumeSnapshot(s) ready` },
      );
      result.snapshots = snaps.snapshots;
      run.fact('snapshots', snaps);
    }

    await run.awaitApproval(`approve soctalk-system ${from.chartVersion ?? '?'} -> ${input.targetVersion}`, approvalSummary(input, diff.summary, backup), {
      requiresSchemaAck: input.schemaChanges,
    });

    // ---- Upgrade soctalk-system (install-level) ------------------------------------------
    // Only a migration makes a restore necessary: without one, restoring would throw away
    // whatever the old release wrote since the backup.
    const restore = input.schemaChanges && backup && database.mode !== 'none' ? backup : undefined;
    const restoreName = restore ? `restore database from ${restore.name}` : undefined;
    if (restore && database.mode !== 'none') {
      // Registered before the migration: from its first statement on, only a restore undoes it.
      run.compensations.push(restoreName!, () =>
        write.restoreDatabase.executeWithOptions(longStepProfile(input.timeouts.upgrade), [
          {
            namespace,
            kube,
            database,
            backup: restore,
            apiDeployment: input.api.deployment,
            verifyQuery: input.backup.verifyQuery,
            timeoutMs: input.timeouts.upgrade,
          },
        ]),
      );
    }

    run.setPhase('migrating');
    const job = { namespace, kube, jobName: input.migration.jobName };
    // Always: a new Pod can spawn, and where the chart owns the Job as a plain resource
    // helm upgrade would otherwise try to patch its immutable pod template.
    await run.step('1. delete the previous Alembic Job', () => write.deleteMigrationJob(job));
    if (input.schemaChanges) {
      await run.step(
        '2. render and apply the Alembic Job at the target chart and image',
        () => write.applyMigrationJob({ ...chartRequest, template: input.migration.template, jobName: input.migration.jobName }),
        { uninterruptible: true },
      );
      try {
        result.migration = await run.step(
          '3. wait for migrations to complete',
          () => long(input.timeouts.migration).waitForMigrationJob({ ...job, timeoutMs: input.timeouts.migration }),
          { uninterruptible: true, detail: (m) => `completed in ${Math.round(m.durationMs / 1000)}s; logs: ${m.logsTail.split('\n').slice(-3).join(' | ')}` },
        );
      } catch (err) {
        if (input.migration.onFailure === 'keep' && restoreName) {
          // The operator chose to inspect the half-migrated database; the backup stays for a manual restore.
          run.compensations.remove(restoreName);
          run.fact('migrationFailurePolicy', `database kept as the failed migration left it; restore manually from ${restore?.path}`);
        }
        throw err;
      }
      if (result.migration) run.fact('migration', result.migration);
    } else {
      run.skip('2-3. apply and await the Alembic Job', 'the release notes confirm no schema changes');
      result.migration = 'skipped';
    }

    run.setPhase('upgrading');
    // With a database restore below it, the rollback does not --wait: the old pods may not
    // become ready on the migrated schema; the restore stops the API, restores, restarts it
    // and waits for the rollout instead.
    run.compensations.push(`helm rollback ${release} to revision ${from.revision}`, async () => {
      // The Job now in the cluster has the target image, and a Job's pod template is
      // immutable: where the chart owns the Job as a plain resource, helm rollback cannot
      // patch it back ("field is immutable"). Remove it first, as step 1 does; helm
      // recreates the old revision's Job if the chart has one.
      await write.deleteMigrationJob(job);
      // An upgrade whose helm outlived its worker may still be pending: the rollback waits for
      // it (bounded by the upgrade's own timeout) and never rolls back under it.
      const pendingWaitMs = input.timeouts.upgrade + 60_000;
      const r = await write.helmRollback.executeWithOptions(longStepProfile(input.timeouts.rollback + pendingWaitMs), [
        { ...releaseRef, toRevision: from.revision, afterRevision: from.revision, wait: !restore, timeoutMs: input.timeouts.rollback, pendingWaitMs },
      ]);
      return `now at revision ${r.revision}`;
    });
    const upgraded = await run.step(
      '4. helm upgrade --wait',
      () =>
        long(input.timeouts.upgrade).helmUpgrade({
          ...chartRequest,
          wait: true,
          timeoutMs: input.timeouts.upgrade,
          fromRevision: from.revision,
        }),
      { uninterruptible: true, detail: (u) => `revision ${u.revision} (${u.status})${u.alreadyDone ? ', done by an earlier attempt' : ''}` },
    );
    result.revision = upgraded.revision;

    run.setPhase('verifying');
    await run.step(
      'verify: workloads rolled out with the new image tag',
      () =>
        long(input.timeouts.verify).verifyReleaseRollout({
          ...releaseRef,
          imageTag: input.imageTag,
          imagePattern: input.verify.imagePattern,
          timeoutMs: input.timeouts.verify,
        }),
      { detail: (v) => `${v.workloads.length} workload(s); ${v.images.join(', ')}` },
    );
    const healthUrl = healthUrlOf(input);
    if (healthUrl) {
      await run.step('verify: API health', () => read.checkHealth({ url: healthUrl }), { detail: (h) => `${h.url} answered ${h.status}` });
    } else {
      run.skip('verify: API health', 'no api.healthUrl or api.service configured');
    }
    return result;
  });
}

function healthUrlOf(input: SystemUpgradeInput): string | undefined {
  if (input.api.healthUrl) return input.api.healthUrl;
  const svc = input.api.service;
  return svc ? `http://${svc.name}.${input.namespace}.svc:${svc.port}${svc.path}` : undefined;
}

function approvalSummary(input: SystemUpgradeInput, diff: string, backup: BackupRecord | undefined): string {
  return [
    `Upgrade ${input.release} in ${input.namespace} to chart ${input.targetVersion}, image tag ${input.imageTag}.`,
    input.schemaChanges ? 'Schema changes: YES (forward-only; a rollback also restores the database).' : 'Schema changes: none (no migration Job).',
    backup ? `Backup: ${backup.name} (${backup.sizeBytes} bytes).` : 'Backup: none.',
    `Diff: ${diff}`,
  ].join('\n');
}

function planOf(input: SystemUpgradeInput): string[] {
  return [
    input.backup.database.mode === 'none' ? 'no database backup' : `back up Postgres (${input.backup.database.mode})`,
    ...(input.backup.volumeSnapshots ? [`snapshot PVCs ${input.backup.volumeSnapshots.selector}`] : []),
    'wait for approval',
    `delete Job ${input.migration.jobName}${input.schemaChanges ? ', then apply and await it at the target' : ''}`,
    `helm upgrade ${input.release} --version ${input.targetVersion} --set-string image.tag=${input.imageTag} --wait --timeout ${input.timeouts.upgrade / 1000}s`,
    'verify rollout, images and health',
  ];
}
