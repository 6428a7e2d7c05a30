/**
 * Refuses a run whose input writes secrets inline while the worker's payload codec is off,
 * before any step runs. A run without inline secrets schedules nothing here, so its
 * command sequence (and every saved history) is unchanged.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { inlineSecretPaths } from '../../codec/inline-secrets.js';
import type { createInlineSecretActivities } from '../../activities/inline-secrets.js';

const { checkInlineSecrets } = proxyActivities<ReturnType<typeof createInlineSecretActivities>>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});

export async function refuseInlineSecretsWithoutCodec(input: unknown, runbook: string): Promise<void> {
  const paths = inlineSecretPaths(input);
  if (paths.length === 0) return;
  try {
    await checkInlineSecrets({ runbook, paths });
  } catch (err) {
    // The run fails with the activity's own InvalidInput failure, not a wrapper around it.
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
    throw err;
  }
}
