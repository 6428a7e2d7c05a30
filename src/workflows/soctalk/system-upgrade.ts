/**
 * "Upgrade soctalk-system (install-level)" from the SocTalk upgrade runbook, preceded by
 * its pre-flight checklist. Pre-flight renders the target as the cluster would and finds
 * how it migrates: the runbook's Alembic Job (applied and completed before the chart
 * upgrade, so the new API pods start against a migrated schema), or migrations inside
 * `helm upgrade` (the real chart's db-init initContainer). Migrations are forward-only and
 * helm rollback does not revert them: once a migration can have run, any failure or abort
 * restores the database from the pre-upgrade backup, and once the upgrade has started,
 * helm rolls back first.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { BackupRecord } from '../../activities/postgres/backup.js';
import type { SnapshotRef } from '../../activities/snapshots.js';
import type { ManifestDiff } from '../../domain/manifest-diff.js';
import { backupNameOf } from '../../domain/backup-name.js';
import { tagOverrides } from '../../domain/soctalk/image-keys.js';
import { describeMigration, type MigrationPlan } from '../../domain/soctalk/migration-mechanism.js';
import { SystemUpgradeInputSchema, type SystemUpgradeInput } from '../../domain/soctalk/system-upgrade-input.js';
import { parseRunInput } from '../../domain/validate.js';
import { longStepProfile, notifyProfile, readProfile, writeProfile } from '../lib/activity-profiles.js';
import { backupStepProfile } from './backup-profile.js';
import { Run } from '../lib/run.js';
import { checkLiveRelease, pushHelmRollback } from '../release-steps/index.js';

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
  /** How the target migrates, as pre-flight found it in the rendered chart. */
  migrationPlan: MigrationPlan;
  revision?: number;
  diff: { summary: string; diff: ManifestDiff };
  backup?: BackupRecord;
  snapshots: SnapshotRef[];
  migration?: { jobName: string; durationMs: number; logsTail: string } | 'skipped';
}

export async function soctalkSystemUpgrade(rawInput: unknown): Promise<SystemUpgradeResult> {
  const input = parseRunInput(SystemUpgradeInputSchema, rawInput, 'soctalk-system upgrade');
  await refuseInlineSecretsWithoutCodec(input, 'soctalk-system upgrade');
  const { release, namespace, kube } = input;
  const releaseRef = { release, namespace, kube };
  const baseRequest = {
    ...releaseRef,
    chart: input.chart,
    version: input.targetVersion,
    values: input.values,
    // Plain key -> tag map: every values key that carries an image tag in this chart.
    setString: tagOverrides(input.imageTagKeys, input.imageTag),
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
    const live = await checkLiveRelease(run, 'pre-flight 1: read the live release (helm status, helm history)', releaseRef, { whenMissing: 'install it before upgrading' });
    const from = live.status;
    run.fact('liveRelease', from);

    await run.step('pre-flight 1: cluster prerequisites', () => read.checkClusterPrerequisites({ kube, ...input.prerequisites }), {
      detail: (r) => (r.checked.length ? r.checked.join(', ') : 'none required'),
    });

    // Every helm template of the run renders as this cluster would (kubeVersion, capabilities).
    const capabilities = await run.step('pre-flight 1: read the cluster version and API versions', () => read.readClusterCapabilities({ kube }), {
      detail: (c) => `Kubernetes ${c.kubeVersion}, ${c.apiVersions.length} API versions`,
    });
    const chartRequest = { ...baseRequest, capabilities };

    // Before anything is backed up: what the target runs and how it migrates.
    const target = await run.step(
      'pre-flight 1: render the target and find how it migrates',
      () =>
        read.inspectTarget({
          ...chartRequest,
          images: { tags: [input.imageTag], repositoryPattern: input.verify.imagePattern, keys: input.imageTagKeys },
          migration: input.migration,
        }),
      { detail: (t) => `${t.workloads.length} workload(s); migration: ${t.migration ? describeMigration(t.migration) : 'unknown'}` },
    );
    const migration: MigrationPlan = target.migration ?? { kind: 'none' };
    run.fact('migration', migration);

    if (input.compatibility) {
      const matrix = input.compatibility;
      await run.step(
        'pre-flight 2: verify the compatibility matrix',
        () => read.checkSystemCompatibility({ matrix, kube, from: from.chartVersion, to: input.targetVersion, ...input.tenants }),
        { detail: (r) => `${r.tenants.length} tenant release(s) supported by ${input.targetVersion}` },
      );
    } else {
      run.skip('pre-flight 2: verify the compatibility matrix', 'no compatibility matrix configured (input.compatibility)');
    }

    const result: SystemUpgradeResult = {
      release,
      namespace,
      dryRun: input.dryRun,
      fromRevision: from.revision,
      ...(from.chartVersion ? { fromVersion: from.chartVersion } : {}),
      toVersion: input.targetVersion,
      migrationPlan: migration,
      diff: { summary: '', diff: { added: [], removed: [], changed: [], unchanged: 0, imageChanges: [] } },
      snapshots: [],
    };

    const database = input.backup.database;
    let backup: BackupRecord | undefined;
    if (input.dryRun) {
      run.skip('pre-flight 3: back up Postgres', 'plan only: nothing is backed up');
    } else if (database.mode === 'none') {
      run.skip('pre-flight 3: back up Postgres', `no backup by decision: ${database.reason}`);
    } else {
      run.setPhase('backup');
      backup = await run.step(
        'pre-flight 3: back up Postgres',
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
    if (snapshotSpec && !input.dryRun) {
      const snaps = await run.step(
        'pre-flight 3: snapshot PVCs',
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

    run.setPhase('preflight');
    const diff = await run.step('pre-flight 4: dry-run diff (rendered target vs helm get manifest)', () => read.diffRelease(chartRequest), {
      detail: (d) => d.summary.split('\n')[0],
    });
    result.diff = diff;
    run.fact('diff', diff);
    if (input.dryRun) {
      run.fact('plan', planOf(input, migration));
      return result;
    }

    await run.awaitApproval(`approve soctalk-system ${from.chartVersion ?? '?'} -> ${input.targetVersion}`, approvalSummary(input, migration, diff.summary, backup), {
      requiresSchemaAck: input.schemaChanges,
    });

    // ---- Upgrade soctalk-system (install-level) ------------------------------------------
    // The restore exists only once a migration can have run: from the Job's first statement
    // (runbook path), or from helm upgrade on when the chart migrates inside it. Without a
    // migration, restoring would throw away whatever the old release wrote since the backup.
    const restore = backup && database.mode !== 'none' ? backup : undefined;
    const restoreName = restore ? `restore database from ${restore.name}` : undefined;
    let restoring = false;
    const registerRestore = () => {
      if (!restore || database.mode === 'none') return;
      restoring = true;
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
    };

    run.setPhase('migrating');
    const job = migration.kind === 'job' ? { namespace, kube, jobName: migration.jobName } : undefined;
    if (job && migration.kind === 'job') {
      // Always: a new Pod can spawn, and where the chart owns the Job as a plain resource
      // helm upgrade would otherwise try to patch its immutable pod template.
      await run.step('upgrade 1: delete the previous Alembic Job', () => write.deleteMigrationJob(job));
      if (input.schemaChanges) {
        registerRestore();
        await run.step(
          'upgrade 2: render and apply the Alembic Job at the target chart and image',
          () => write.applyMigrationJob({ ...chartRequest, template: migration.template, jobName: migration.jobName }),
          { uninterruptible: true },
        );
        try {
          result.migration = await run.step(
            'upgrade 3: wait for migrations to complete',
            () => long(input.timeouts.migration).waitForMigrationJob({ ...job, timeoutMs: input.timeouts.migration }),
            { uninterruptible: true, detail: (m) => `completed in ${Math.round(m.durationMs / 1000)}s; logs: ${m.logsTail.split('\n').slice(-3).join(' | ')}` },
          );
        } catch (err) {
          if (input.migration.onFailure === 'keep' && restoreName) {
            // The operator chose to inspect the half-migrated database; the backup stays for a manual restore.
            run.compensations.remove(restoreName);
            restoring = false;
            run.fact('migrationFailurePolicy', `database kept as the failed migration left it; restore manually from ${restore?.path}`);
          }
          throw err;
        }
        if (result.migration) run.fact('migration', result.migration);
      } else {
        run.skip('upgrade 2: render and apply the Alembic Job at the target chart and image', 'the release notes confirm no schema changes');
        run.skip('upgrade 3: wait for migrations to complete', 'the release notes confirm no schema changes');
        result.migration = 'skipped';
      }
    } else {
      const why = migration.kind === 'in-upgrade' ? `the chart migrates inside helm upgrade (${migration.where.join(', ')})` : 'the target runs no migration';
      run.skip('upgrade 1: delete the previous Alembic Job', `the chart ships no Alembic Job: ${why}`);
      run.skip('upgrade 2: render and apply the Alembic Job at the target chart and image', why);
      run.skip('upgrade 3: wait for migrations to complete', why);
      // helm upgrade below runs the migration: from its start on, only a restore undoes it.
      if (migration.kind === 'in-upgrade') registerRestore();
      result.migration = 'skipped';
    }

    run.setPhase('upgrading');
    // With a database restore below it, the rollback does not --wait: the old pods may not
    // become ready on the migrated schema; the restore stops the API, restores, restarts it
    // and waits for the rollout instead.
    pushHelmRollback(run, {
      ref: releaseRef,
      toRevision: from.revision,
      timeoutMs: input.timeouts.rollback,
      wait: !restoring,
      // An upgrade whose helm outlived its worker may still be pending: the rollback waits for
      // it (bounded by the upgrade's own timeout) and never rolls back under it.
      pendingWaitMs: input.timeouts.upgrade + 60_000,
      // The Job now in the cluster has the target image (upgrade 1 deleted the old one).
      ...(job ? { deleteJobFirst: job.jobName } : {}),
    });
    const upgraded = await run.step(
      'upgrade 4: helm upgrade --wait',
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
      'verify 1: every workload runs the target images, every Service has ready endpoints',
      () =>
        long(input.timeouts.verify).verifyRenderedRelease({
          namespace,
          kube,
          workloads: target.workloads,
          services: target.services,
          timeoutMs: input.timeouts.verify,
        }),
      { detail: (v) => `${v.workloads.length} workload(s) on ${v.images.join(', ')}; ${v.services.length} Service(s) with endpoints` },
    );
    const healthUrl = healthUrlOf(input);
    if (healthUrl) {
      await run.step('verify 2: API health', () => read.checkHealth({ url: healthUrl }), { detail: (h) => `${h.url} answered ${h.status}` });
    } else {
      run.skip('verify 2: API health', 'no api.healthUrl or api.service configured');
    }
    return result;
  });
}

function healthUrlOf(input: SystemUpgradeInput): string | undefined {
  if (input.api.healthUrl) return input.api.healthUrl;
  const svc = input.api.service;
  return svc ? `http://${svc.name}.${input.namespace}.svc:${svc.port}${svc.path}` : undefined;
}

function approvalSummary(input: SystemUpgradeInput, migration: MigrationPlan, diff: string, backup: BackupRecord | undefined): string {
  return [
    `Upgrade ${input.release} in ${input.namespace} to chart ${input.targetVersion}, image tag ${input.imageTag} (${input.imageTagKeys.join(', ')}).`,
    `Migration: ${describeMigration(migration)}.`,
    input.schemaChanges || migration.kind === 'in-upgrade'
      ? 'Schema changes: forward-only; once the migration can have run, a failure also restores the database.'
      : 'Schema changes: none (no migration Job).',
    backup ? `Backup: ${backup.name} (${backup.sizeBytes} bytes).` : 'Backup: none.',
    `Diff: ${diff}`,
  ].join('\n');
}

function planOf(input: SystemUpgradeInput, migration: MigrationPlan): string[] {
  const overrides = Object.entries(tagOverrides(input.imageTagKeys, input.imageTag))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    input.backup.database.mode === 'none' ? 'no database backup' : `back up Postgres (${input.backup.database.mode})`,
    ...(input.backup.volumeSnapshots ? [`snapshot PVCs ${input.backup.volumeSnapshots.selector}`] : []),
    'wait for approval',
    migration.kind === 'job'
      ? `delete Job ${migration.jobName}${input.schemaChanges ? ', then apply and await it at the target (database restore registered before it)' : ''}`
      : migration.kind === 'in-upgrade'
        ? `no Alembic Job: helm upgrade migrates (${migration.where.join(', ')}); database restore registered before it`
        : 'no migration',
    `helm upgrade ${input.release} --version ${input.targetVersion} (${overrides}) --wait --timeout ${input.timeouts.upgrade / 1000}s`,
    'verify every workload on the target images, Service endpoints and API health',
  ];
}
