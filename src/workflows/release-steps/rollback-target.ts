/**
 * Which revision a rollback goes to: one rule for every runbook. The target is the one
 * asked for, or else the newest revision older than the current one; it must be in the
 * history helm keeps AND older than the current revision (rolling back to the revision
 * that is running changes nothing; rolling "back" to a newer one is an upgrade). Pure, so
 * it is unit-tested as is.
 */
import type { HistoryEntry } from '../../activities/helm/parse.js';
import { FailureType } from '../../domain/failure-types.js';
import { refuse } from '../lib/errors.js';

export interface RollbackTarget {
  revision: number;
  entry: HistoryEntry;
}

/** The rollback target, or a non-retryable InvalidInput naming the field and the revisions to choose from (the same failure in every runbook). */
export function selectRollbackTarget(release: string, history: readonly HistoryEntry[], current: number, requested?: number): RollbackTarget {
  const older = history.filter((h) => h.revision < current).map((h) => h.revision);
  const kept = history.map((h) => h.revision).join(', ') || 'none';
  const choices = older.length ? `choose one of ${older.join(', ')}` : 'there is nothing older to roll back to';
  const refusal = (why: string) => refuse(FailureType.InvalidInput, `toRevision: ${why}`);
  const revision = requested ?? older.at(-1);
  if (revision === undefined) throw refusal(`${release} has no revision older than the current revision ${current} (revisions: ${kept})`);
  const entry = history.find((h) => h.revision === revision);
  if (!entry) throw refusal(`revision ${revision} is not in the history of ${release} (revisions: ${kept}); ${choices}`);
  if (revision === current) throw refusal(`${revision} is the revision running now, so rolling back to it changes nothing; ${choices}`);
  if (revision > current) throw refusal(`${revision} is newer than the current revision ${current}, which is not a rollback; ${choices}`);
  return { revision, entry };
}
