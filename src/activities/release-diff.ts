/**
 * The runbook's "Dry-run with helm diff" without the plugin: render the target and
 * compare it with the live manifest. Only the summary and the masked, capped field diff
 * leave the activity (manifests can be large and hold rendered secrets).
 */
import { type FieldDiff, fieldDiff, formatFieldDiff } from '../domain/field-diff.js';
import { diffManifests, summarizeDiff, type ManifestDiff } from '../domain/manifest-diff.js';
import type { HelmActivities, ChartRequest } from './helm/activities.js';

export interface DiffResult {
  diff: ManifestDiff;
  /** Per changed object (kind, namespace, name): its changed fields, secrets masked. */
  fields?: FieldDiff;
  /** Counts, names, image changes, then the field diff: what the approval shows. */
  summary: string;
}

export function describeDiff(live: string, target: string, namespace: string): DiffResult {
  const diff = diffManifests(live, target);
  const fields = fieldDiff(live, target, { namespace });
  const fieldText = formatFieldDiff(fields);
  return { diff, fields, summary: fieldText ? `${summarizeDiff(diff)}\n\nChanged fields (live -> target; secrets masked):\n${fieldText}` : summarizeDiff(diff) };
}

export function createReleaseDiffActivities(helm: Pick<HelmActivities, 'helmGetManifest' | 'helmTemplate'>) {
  return {
    async diffRelease(input: ChartRequest): Promise<DiffResult> {
      const live = await helm.helmGetManifest({ release: input.release, namespace: input.namespace, kube: input.kube });
      const target = await helm.helmTemplate(input);
      return describeDiff(live, target, input.namespace);
    },
  };
}
