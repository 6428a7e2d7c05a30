/**
 * How a run's ending is worded: what stopped it, what compensation did, what is left to do
 * by hand. Pure functions over the unwind report, so every runbook says it the same way.
 */
import type { UnwindReport } from './compensation.js';
import type { StopCause } from './errors.js';
import type { OutcomeFailure } from './status.js';

/** A compensation failed: the operator must finish the unwinding by hand. */
export function manualActionMessage(report: UnwindReport & { failed: NonNullable<UnwindReport['failed']> }, cause: StopCause): string {
  const remaining = report.notRun.length ? `; then, still to do: ${report.notRun.join('; ')}` : '';
  return (
    `manual action needed: "${report.failed.name}" failed (${report.failed.error})${remaining}. ` +
    `The run stopped because: ${cause.message}` +
    (report.done.length ? `. Already compensated: ${report.done.join('; ')}` : '')
  );
}

/** Why the run stopped and what stayed changed: compensated, not compensable, or untouched. */
export function stoppedMessage(report: UnwindReport, cause: StopCause, changedBy: string[]): string {
  const untouched = cause.phase === 'failed' ? '; nothing had been changed' : '; nothing was changed';
  const compensated = report.done.length
    ? `; compensated: ${report.done.join('; ')}`
    : changedBy.length
      ? `; not compensated (no compensation applies): ${changedBy.join('; ')}`
      : untouched;
  return `${cause.message}${compensated}`;
}

/** A run that completed but could not do everything names each thing it could not do. */
export function completedWithFailuresMessage(failures: OutcomeFailure[]): string {
  return `completed with ${failures.length} failure(s): ${failures.map((f) => `${f.tenant} (${f.reason})`).join('; ')}`;
}
