/**
 * Which revision a rollback goes to: one rule for every runbook. The target is the one
 * asked for, or else the newest revision older than the current one; it must be in the
 * history helm keeps AND older than the current revision (rolling back to the current
 * revision, or forward, is not a rollback). Pure, so it is unit-tested as is.
 */
import type { HistoryEntry } from '../../activities/helm/parse.js';
import { FailureType } from '../../domain/failure-types.js';
import { refuse } from '../lib/errors.js';

export interface RollbackTarget {
  revision: number;
  entry: HistoryEntry;
}

/** The problem with the requested (or implied) target, naming the input field; undefined when it is valid. */
export function rollbackTargetProblem(release: string, history: readonly HistoryEntry[], current: number, requested?: number): string | undefined {
  const target = requested ?? [...history].reverse().find((h) => h.revision < current)?.revision;
  const kept = history.map((h) => h.revision).join(', ') || 'none';
  if (target === undefined) return `toRevision: ${release} has no revision older than the current revision ${current} (revisions: ${kept})`;
  if (!history.some((h) => h.revision === target)) return `toRevision: revision ${target} is not in the history of ${release} (revisions: ${kept})`;
  if (target >= current) return `toRevision: ${target} is not older than the current revision ${current}`;
  return undefined;
}

/** The rollback target, or a non-retryable InvalidInput naming the field (the same failure in every runbook). */
export function selectRollbackTarget(release: string, history: readonly HistoryEntry[], current: number, requested?: number): RollbackTarget {
  const problem = rollbackTargetProblem(release, history, current, requested);
  if (problem) throw refuse(FailureType.InvalidInput, problem);
  const revision = requested ?? [...history].reverse().find((h) => h.revision < current)!.revision;
  return { revision, entry: history.find((h) => h.revision === revision)! };
}
