/**
 * Custom search attributes every run sets, so operators can find runs in the Web UI and
 * with `runbook list` ("all runs waiting for approval", "every upgrade of tenant-acme").
 * The dev server registers them at start (scripts/dev-server.sh); other servers need
 * `temporal operator search-attribute create` once (see README).
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const RunbookKey = defineSearchAttributeKey('UpgradeRunbook', SearchAttributeType.KEYWORD);
export const ReleaseKey = defineSearchAttributeKey('UpgradeRelease', SearchAttributeType.KEYWORD);
export const NamespaceKey = defineSearchAttributeKey('UpgradeNamespace', SearchAttributeType.KEYWORD);
export const TargetVersionKey = defineSearchAttributeKey('UpgradeTargetVersion', SearchAttributeType.KEYWORD);
export const PhaseKey = defineSearchAttributeKey('UpgradePhase', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [RunbookKey, ReleaseKey, NamespaceKey, TargetVersionKey, PhaseKey];

/** Who a run is: the attributes it carries from start to end (the phase changes, these do not). */
export interface RunIdentity {
  runbook: string;
  release?: string | undefined;
  namespace?: string | undefined;
  targetVersion?: string | undefined;
}

export function identityAttributes(id: RunIdentity): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: RunbookKey, value: id.runbook }];
  if (id.release) pairs.push({ key: ReleaseKey, value: id.release });
  if (id.namespace) pairs.push({ key: NamespaceKey, value: id.namespace });
  if (id.targetVersion) pairs.push({ key: TargetVersionKey, value: id.targetVersion });
  return pairs;
}
