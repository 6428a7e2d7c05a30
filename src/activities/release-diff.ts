/**
 * The runbook's "Dry-run with helm diff" without the plugin: render the target and
 * compare it with the live manifest. Only the summary leaves the activity (manifests can
 * be large and hold rendered secrets).
 */
import { diffManifests, summarizeDiff, type ManifestDiff } from '../domain/manifest-diff.js';
import type { HelmActivities, ChartRequest } from './helm/activities.js';

export interface DiffResult {
  diff: ManifestDiff;
  summary: string;
}

export function createReleaseDiffActivities(helm: Pick<HelmActivities, 'helmGetManifest' | 'helmTemplate'>) {
  return {
    async diffRelease(input: ChartRequest): Promise<DiffResult> {
      const live = await helm.helmGetManifest({ release: input.release, namespace: input.namespace, kube: input.kube });
      const target = await helm.helmTemplate(input);
      // Secrets' data would show up in "changed" names only, never their content.
      const diff = diffManifests(live, target);
      return { diff, summary: summarizeDiff(diff) };
    },
  };
}
