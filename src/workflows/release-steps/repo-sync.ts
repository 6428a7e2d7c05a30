/**
 * "Add the updated Helm repository": `helm repo add --force-update` and `helm repo update`
 * for a repository chart; an OCI or local chart has no repository, so the step is skipped.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { ChartSource } from '../../domain/chart.js';
import { readProfile } from '../lib/activity-profiles.js';
import type { Run } from '../lib/run.js';

const { helmRepoSync } = proxyActivities<Activities>(readProfile);

export async function syncRepository(run: Run, chart: ChartSource, name = 'add the updated Helm repository'): Promise<void> {
  const repo = chart.repository;
  if (!repo) {
    run.skip(name, `${chart.ref} is not a repository chart`);
    return;
  }
  await run.step(name, () => helmRepoSync(chart), { detail: () => `${repo.name} ${repo.url}` });
}
