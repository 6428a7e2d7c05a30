/**
 * Which run a helm operation belongs to. Every upgrade is marked with the run: a release
 * label (`--labels`, stored on helm's release Secret from the moment the revision is
 * created, so it is readable while the revision is still pending-upgrade) and a
 * `--description` (helm shows it in `helm history` once the operation ends; while pending,
 * helm keeps its own "Preparing upgrade"). A retried activity that finds a pending
 * revision carrying its own run's label knows it is looking at its own orphaned helm
 * (the killed attempt's process keeps running), not at somebody else's.
 *
 * `helm rollback` has neither flag in helm 3: its pending revision says "Rollback to <n>"
 * from the start, which, together with the revision number this run expects, identifies it.
 */
import { Context } from '@temporalio/activity';
import type { CommandRunner } from '../command.js';
import { getList } from '../kube-json.js';
import type { ReleaseRef } from './commands.js';
import { releaseStorageKind } from './release-storage.js';

/** Label key on helm's release storage objects; the value is the run ID (a UUID, label-safe). */
export const RUN_LABEL = 'upgrade-runbooks.io/run-id';

export interface RunMark {
  workflowId: string;
  runId: string;
  description: string;
  labels: Record<string, string>;
}

/** The mark of the run this activity works for; undefined outside a workflow's activity. */
export function currentRunMark(): RunMark | undefined {
  let execution: { workflowId: string; runId: string } | undefined;
  try {
    execution = Context.current().info.workflowExecution;
  } catch {
    return undefined;
  }
  if (!execution) return undefined;
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    description: `upgrade-runbooks run ${execution.workflowId} (run ${execution.runId})`,
    labels: { [RUN_LABEL]: execution.runId },
  };
}

/** The run label of one revision, read from helm's storage object (Secret, or ConfigMap with HELM_DRIVER=configmap). */
export async function revisionRunId(runner: CommandRunner, r: ReleaseRef, revision: number): Promise<string | undefined> {
  const kind = releaseStorageKind() === 'configmap' ? 'configmaps' : 'secrets';
  const items = await getList(runner, { namespace: r.namespace, kube: r.kube }, kind, `owner=helm,name=${r.release},version=${revision}`);
  return items[0]?.metadata.labels?.[RUN_LABEL];
}
