/**
 * A revision that this run's own helm left pending. helm writes an upgrade's outcome into its
 * release storage object at the end; when the API server went away while helm applied the
 * target (or helm was killed), nothing is written, the revision stays pending-upgrade and
 * every later `helm upgrade` refuses ("another operation is in progress"). When the activity
 * has seen that helm process exit, nobody runs the operation any more, so it writes what
 * helm itself would have written: the revision failed, with a description that says why
 * (fluxcd/helm-controller unlocks a stale release the same way).
 *
 * The object is helm's own (release-storage.ts). The write carries its resourceVersion: it
 * loses to any change made since it was read, never overwrites one.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../domain/failure-types.js';
import type { CommandRunner } from '../command.js';
import { getObject } from '../kube-json.js';
import { kubectlReplaceStdinArgs } from '../kubectl/commands.js';
import { currentRunContext } from '../run-context.js';
import type { ReleaseRef } from './commands.js';
import { decodeRelease, encodeRelease, releaseStorageKind, releaseStorageName } from './release-storage.js';
import { RUN_LABEL } from './run-mark.js';

export interface StaleRevision extends ReleaseRef {
  revision: number;
  /** The run whose helm left it: the revision must carry this run's label. */
  runId: string;
  /** Why helm could not finish (its error), kept in the new description. */
  cause: string;
}

const refuse = (what: string, s: StaleRevision) =>
  ApplicationFailure.create({
    type: FailureType.ReleaseLocked,
    nonRetryable: true,
    message: `not unlocking revision ${s.revision} of ${s.release} in ${s.namespace}: ${what}`,
  });

/**
 * Marks a pending-upgrade revision that this run's own, exited helm left behind as failed.
 * Checks, on the object it rewrites, that the revision is still pending-upgrade and carries
 * the run's label. Returns the description written.
 */
export async function markStaleUpgradeFailed(runner: CommandRunner, s: StaleRevision): Promise<string> {
  const kind = releaseStorageKind();
  if (!kind) throw refuse(`HELM_DRIVER=${process.env.HELM_DRIVER} is not a storage this can edit (secret or configmap)`, s);
  const scope = { namespace: s.namespace, kube: s.kube };
  const name = releaseStorageName(s.release, s.revision);
  const object = await getObject(runner, scope, kind, name);
  if (!object) throw refuse(`its storage object ${kind} ${name} does not exist`, s);
  const labels = object.metadata.labels ?? {};
  if (labels[RUN_LABEL] !== s.runId) throw refuse(`it is not this run's (label ${RUN_LABEL}=${labels[RUN_LABEL] ?? 'none'})`, s);
  if (labels.status !== 'pending-upgrade') throw refuse(`it is ${labels.status ?? 'of no status'} now, not pending-upgrade`, s);
  const stored = object.data?.release;
  if (!stored) throw refuse(`${kind} ${name} holds no release`, s);
  const encoded = kind === 'secret' ? Buffer.from(stored, 'base64').toString('utf8') : stored;
  const release = decodeRelease(encoded);
  const info = (release.info ?? {}) as Record<string, unknown>;
  if (release.version !== s.revision || info.status !== 'pending-upgrade') throw refuse(`the release it holds is revision ${String(release.version)}, ${String(info.status)}`, s);

  const description = `Upgrade "${s.release}" failed: helm exited before recording the outcome (${s.cause}); marked failed by upgrade-runbooks run ${s.runId}, which ran that helm`;
  const reencoded = encodeRelease({ ...release, info: { ...info, status: 'failed', description } });
  const updated = {
    ...object,
    metadata: { ...object.metadata, labels: { ...labels, status: 'failed', modifiedAt: String(Math.floor(Date.now() / 1000)) } },
    data: { ...object.data, release: kind === 'secret' ? Buffer.from(reencoded, 'utf8').toString('base64') : reencoded },
  };
  await runner.run({ tool: 'kubectl', args: kubectlReplaceStdinArgs(scope), input: JSON.stringify(updated), mutates: true }, currentRunContext());
  return description;
}
