/**
 * Custom search attributes every run sets, so operators can find runs in the Web UI and
 * with `runbook list` ("all runs waiting for approval", "every upgrade of tenant-acme").
 * The dev server registers them at start (scripts/dev-server.sh); other servers need
 * `temporal operator search-attribute create` once (see README).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RunbookKey = defineSearchAttributeKey('UpgradeRunbook', SearchAttributeType.KEYWORD);
export const ReleaseKey = defineSearchAttributeKey('UpgradeRelease', SearchAttributeType.KEYWORD);
export const NamespaceKey = defineSearchAttributeKey('UpgradeNamespace', SearchAttributeType.KEYWORD);
export const TargetVersionKey = defineSearchAttributeKey('UpgradeTargetVersion', SearchAttributeType.KEYWORD);
export const PhaseKey = defineSearchAttributeKey('UpgradePhase', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [RunbookKey, ReleaseKey, NamespaceKey, TargetVersionKey, PhaseKey];
