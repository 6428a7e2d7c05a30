/**
 * The runbook's Rollback section as its own run: `helm rollback soctalk-system <revision>
 * -n soctalk-system --wait`, and, when the upgrade's migration touched data, the restore
 * of Postgres from the pre-upgrade backup. Behind the same approval gate as the upgrade.
 */
import { refuseInlineSecretsWithoutCodec } from '../lib/inline-secrets.js';
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { SystemRollbackInputSchema } from '../../domain/soctalk/system-rollback-input.js';
import { parseRunInput } from '../../domain/validate.js';
import { longStepProfile, notifyProfile, readProfile, writeProfile } from '../lib/activity-profiles.js';
import { Run } from '../lib/run.js';
import { checkLiveRelease, selectRollbackTarget } from '../release-steps/index.js';

const read = proxyActivities<Activities>(readProfile);
const write = proxyActivities<Activities>(writeProfile);
const { notify } = proxyActivities<Activities>(notifyProfile);

export interface SystemRollbackResult {
  release: string;
  fromRevision: number;
  toRevision: number;
  revision: number;
  restored?: string;
}

export async function soctalkSystemRollback(rawInput: unknown): Promise<SystemRollbackResult> {
  const input = parseRunInput(SystemRollbackInputSchema, rawInput, 'soctalk-system rollback');
  await refuseInlineSecretsWithoutCodec(input, 'soctalk-system rollback');
  const { release, namespace, kube } = input;
  const releaseRef = { release, namespace, kube };
  const long = proxyActivities<Activities>(longStepProfile(input.timeout));
  const run = new Run({
    runbook: 'soctalk-system-rollback',
    release,
    namespace,
    requestedBy: input.requestedBy,
    approval: input.approval,
    searchAttributes: input.searchAttributes,
    notify,
    approveHint: `runbook approve ${workflowInfo().workflowId}`,
  });

  return run.execute(async () => {
    run.setPhase('preflight');
    const live = await checkLiveRelease(run, 'pre-flight: live release (helm status, helm history)', releaseRef);
    const current = live.status.revision;
    const target = selectRollbackTarget(release, live.history, current, input.toRevision).revision;
    const restoreSpec = input.restore;
    const backup = restoreSpec
      ? await run.step('pre-flight: find the backup to restore', () => read.findBackup({ name: restoreSpec.backupName, directory: restoreSpec.directory }), {
          detail: (b) => `${b.name}: ${b.sizeBytes} bytes, taken ${b.createdAt}`,
        })
      : undefined;

    await run.awaitApproval(
      `approve rollback of ${release} from revision ${current} to ${target}`,
      `helm rollback ${release} ${target} -n ${namespace} --wait${backup ? `; then restore Postgres from ${backup.name}` : ''}`,
    );

    run.setPhase('rolling-back');
    // The upgrade applied the Alembic Job at the new image, and a Job's pod template is
    // immutable: where the chart has the Job as a plain resource, helm rollback cannot patch
    // it back ("field is immutable"). Delete it first (as the upgrade's step 1 does); helm
    // recreates the target revision's Job if that revision has one.
    const jobName = input.migrationJob ?? `${release}-alembic-upgrade`;
    await run.step(`delete the Alembic Job ${jobName} (immutable pod template)`, () => write.deleteMigrationJob({ namespace, kube, jobName }));
    const rolled = await run.step(
      `helm rollback ${release} ${target}${backup ? '' : ' --wait'}`,
      // With a restore to follow, the old pods may not become ready on the migrated schema
      // until the restore: do not --wait here, the restore waits for the API's rollout.
      () => long.helmRollback({ ...releaseRef, toRevision: target, afterRevision: current, wait: !backup, timeoutMs: input.timeout }),
      { uninterruptible: true, detail: (r) => `now at revision ${r.revision}` },
    );
    const result: SystemRollbackResult = { release, fromRevision: current, toRevision: target, revision: rolled.revision };
    if (backup && restoreSpec) {
      const database = restoreSpec.database;
      run.setPhase('restoring');
      result.restored = await run.step(
        `restore Postgres from ${backup.name}`,
        () =>
          long.restoreDatabase({
            namespace,
            kube,
            database,
            backup,
            apiDeployment: restoreSpec.apiDeployment ?? `${release}-api`,
            verifyQuery: restoreSpec.verifyQuery,
            timeoutMs: input.timeout,
          }),
        { uninterruptible: true, detail: (d) => d },
      );
    }
    return result;
  });
}
